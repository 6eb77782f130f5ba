"""The text of the Telegram notices (Russian, plain text): a new match, and
the "did you meet?" reminder."""


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


MET, NOT_MET = "Мы встретились", "Не получилось"


def _names(partners: list[dict]) -> str:
    names = [" ".join(p for p in (partner.get("first_name"), partner.get("last_name")) if p)
             or "Студент UniMatch" for partner in partners] or ["Студент UniMatch"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " и " + names[-1]


def reminder_message(user: dict, partners: list[dict]) -> str:
    """The "did you meet?" reminder, three days after a round."""
    greeting = f"Привет, {user['first_name']}!" if user.get("first_name") else "Привет!"
    label = "Ваш собеседник" if len(partners) == 1 else "Ваши собеседники"
    return (f"👋 {greeting} Несколько дней назад UniMatch предложил вам встречу. "
            f"{label}: {_names(partners)}.\n\n"
            "Удалось встретиться? Нажмите кнопку ниже: ответ видим только мы, "
            "и он помогает подбирать пары лучше.")


_COUNTED = "\n\n✅ Ответ учтён: "


def counted_message(text: str, met: bool) -> str:
    """The reminder once answered (``text``: as it reads now): its text and
    the answer, without buttons."""
    original = text.split(_COUNTED)[0]
    return f"{original}{_COUNTED}{(MET if met else NOT_MET).lower()}. Спасибо!"
