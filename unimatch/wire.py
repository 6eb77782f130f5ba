"""How users and pairs look on the wire (the contract's shapes), for REST
answers and WebSocket alerts alike."""

import datetime as dt

from unimatch.store import Store


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
        partner = users.get(partner_id) if partner_id is not None else None
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


async def load_pair_items(store: Store, pairs_by_user: dict[int, list[dict]]) -> dict[int, list[dict]]:
    """Pairs items for several users at once (each user's pairs in the order
    given), with one lookup of partners and hobby names for all of them."""
    if not any(pairs_by_user.values()):
        return {user_id: [] for user_id in pairs_by_user}
    member_ids = {m for pairs in pairs_by_user.values() for pair in pairs for m in pair["members"]}
    users = await store.users.many(member_ids)
    names = await store.hobbies.names()
    return {user_id: pair_items(user_id, pairs, users, names)
            for user_id, pairs in pairs_by_user.items()}
