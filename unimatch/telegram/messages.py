"""The text of a new-match Telegram message (Russian, plain text)."""


def match_message(user: dict, partners: list[dict], hobbies: dict[int, frozenset],
                  hobby_names: dict[int, str]) -> str:
    """One message for ``user`` about this round's ``partners``: names,
    emails, shared hobbies and a friendly next step."""
    greeting = f"Привет, {user['first_name']}!" if user.get("first_name") else "Привет!"
    if len(partners) == 1:
        intro = "На этой неделе UniMatch познакомил вас с новым собеседником:"
    else:
        intro = "На этой неделе вы встречаетесь втроём. Ваши собеседники:"
    lines = [f"🎉 {greeting}", "", intro]
    mine = hobbies.get(user["_id"], frozenset())
    for partner in partners:
        name = " ".join(p for p in (partner.get("first_name"), partner.get("last_name")) if p)
        lines.append(f"• {name or 'Студент UniMatch'} — {partner['email']}")
        shared = sorted(hobby_names[h] for h in mine & hobbies.get(partner["_id"], frozenset())
                        if h in hobby_names)
        if shared:
            lines.append(f"  Общие увлечения: {', '.join(shared)}")
    lines += ["", "Напишите друг другу и договоритесь о встрече: кофе между парами — "
                  "отличное начало. Хорошей недели!"]
    return "\n".join(lines)
