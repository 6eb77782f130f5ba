"""How documents look on the wire (the contract's shapes)."""

import datetime as dt

def user_json(user: dict) -> dict:
    """The contract's user object (plus ``is_active_pair``)."""
    birth = user.get("birth")
    return {
        "id": user["_id"],
        "first_name": user.get("first_name", ""),
        "last_name": user.get("last_name", ""),
        "email": user["email"],
        "birth": _birth(birth) if birth else None,
        "chat_id": user.get("chat_id"),
        "image": user.get("image"),
        "hobby": list(user.get("hobby") or []),
        "is_active_pair": user.get("is_active_pair", True),
    }


def _birth(iso: str) -> str:
    # By hand: strftime("%Y") drops the zero padding of years before 1000.
    day = dt.date.fromisoformat(iso)
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def partner_json(user: dict) -> dict:
    return {"id": user["_id"], "first_name": user.get("first_name", ""),
            "last_name": user.get("last_name", ""), "email": user["email"]}


def pair_items(user_id: int, pairs: list[dict], users: dict[int, dict],
               hobby_names: dict[int, str]) -> list[dict]:
    """Pairs items as one user sees them: one entry per partner, in the
    order given. Pairs whose partner no longer exists are left out."""
    items = []
    for pair in pairs:
        partner_id = next((m for m in pair["members"] if m != user_id), None)
        partner = users.get(partner_id)
        if partner is None:
            continue
        items.append({
            "id": pair["_id"],
            "partner": partner_json(partner),
            "created_at": pair["created_at"],
            # Beyond the seed (allowed extra keys): which round, so clients
            # can tell two rounds on one date apart.
            "round": pair["round"],
            "common_hobbies": [hobby_names[h] for h in pair.get("common", []) if h in hobby_names],
        })
    return items
