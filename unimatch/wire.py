"""How users and pairs look on the wire (the contract's shapes), for REST
answers and WebSocket alerts alike."""

import asyncio

from unimatch.dialects import V1, V2, Dialect
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
        "paused_until": _date(V1, user.get("paused_until")),
    }


def _birth(iso: str) -> str:
    return V1.format_date(iso)


def _date(dialect: Dialect, iso: str | None) -> str | None:
    return dialect.format_date(iso) if iso else None


def partner_json(user: dict) -> dict:
    return {"id": user["_id"], "first_name": user.get("first_name", ""),
            "last_name": user.get("last_name", ""), "email": user["email"]}


def pair_items(user_id: int, pairs: list[dict], users: dict[int, dict],
               hobby_names: dict[int, str], feedback: dict[int, dict] | None = None) -> list[dict]:
    """Pairs items as one user sees them: one entry per partner, in the
    order given. Pairs whose partner no longer exists are left out.
    ``feedback`` (the user's answers by pair id, from
    ``store.feedback.for_user``): each item gets ``my_feedback``."""
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
        if feedback is not None:
            items[-1]["my_feedback"] = feedback_json(feedback.get(pair["_id"]))
    return items


def feedback_json(answer: dict | None) -> dict | None:
    """``my_feedback``: the user's "did you meet?" answer, or None."""
    return None if answer is None else {"met": answer["met"], "rating": answer["rating"]}


async def load_pair_items(store: Store, pairs_by_user: dict[int, list[dict]],
                          feedback: bool = False) -> dict[int, list[dict]]:
    """Pairs items for several users at once (each user's pairs in the order
    given), with one lookup of partners and hobby names for all of them;
    with ``feedback``, also ``my_feedback`` (one lookup per user: REST
    answers have it, alerts to many sockets do without), asked for beside
    the partners: one round trip for both."""
    if not any(pairs_by_user.values()):
        return {user_id: [] for user_id in pairs_by_user}
    member_ids = {m for pairs in pairs_by_user.values() for pair in pairs for m in pair["members"]}
    lookups = [store.users.many(member_ids)]
    if feedback:
        lookups += [store.feedback.for_user(user_id) for user_id in pairs_by_user]
    users, *answers = await asyncio.gather(*lookups)
    names = await store.hobbies.names()
    return {user_id: pair_items(user_id, pairs, users, names, answers[n] if feedback else None)
            for n, (user_id, pairs) in enumerate(pairs_by_user.items())}


# -- v2 ------------------------------------------------------------------------


def user_v2(user: dict, hobby_names: dict[int, str]) -> dict:
    """v2's user object: ISO ``birth``, ``chat_id`` as text (the original's
    column was text), ``tg_link``, and ``hobby`` as ``{"id", "name"}``."""
    birth = user.get("birth")
    chat_id = user.get("chat_id")
    return {
        "id": user["_id"],
        "first_name": user.get("first_name", ""),
        "last_name": user.get("last_name", ""),
        "email": user["email"],
        "birth": V2.format_date(birth) if birth else None,
        "chat_id": None if chat_id is None else str(chat_id),
        "image": user.get("image"),
        "tg_link": user.get("tg_link"),
        "hobby": _hobby_objects(user, hobby_names),
        "is_active_pair": user.get("is_active_pair", True),
        "paused_until": _date(V2, user.get("paused_until")),
    }


def _hobby_objects(user: dict, hobby_names: dict[int, str]) -> list[dict]:
    return [{"id": h, "name": hobby_names[h]} for h in user.get("hobby") or [] if h in hobby_names]


def partner_v2(user: dict, hobby_names: dict[int, str]) -> dict:
    """A partner as v2 shows one: its own hobbies, and ``tg_link`` as text
    (never null: the web client builds a link from it unconditionally)."""
    return {**partner_json(user), "tg_link": user.get("tg_link") or "",
            "hobby": _hobby_objects(user, hobby_names)}


def pair_items_v2(user_id: int, pairs: list[dict], users: dict[int, dict],
                  hobby_names: dict[int, str], feedback: dict[int, dict] | None = None) -> list[dict]:
    """:func:`pair_items` with v2's partners."""
    return [{**item, "partner": partner_v2(users[item["partner"]["id"]], hobby_names)}
            for item in pair_items(user_id, pairs, users, hobby_names, feedback)]


def pairs_v2(user_id: int, pairs: list[dict], latest_round: int | None, users: dict[int, dict],
             hobby_names: dict[int, str], feedback: dict[int, dict] | None = None) -> dict:
    """v2's pairs answer: ``current_pair``, the user's pair made by the
    latest round (the lowest pair id of a trio; ``current_pairs`` has all),
    or null; ``pairs``, every earlier one, newest round first, then by id."""
    items = pair_items_v2(user_id, pairs, users, hobby_names, feedback)
    items.sort(key=lambda item: (-item["round"], item["id"]))
    current = [item for item in items if item["round"] == latest_round]
    return {"current_pair": current[0] if current else None,
            "current_pairs": current,
            "pairs": [item for item in items if item["round"] != latest_round]}


# -- blocks (both versions) --------------------------------------------------------


def blocked_json(user: dict) -> dict:
    """A block list item: who was blocked, and nothing else about them."""
    return {"id": user["_id"], "first_name": user.get("first_name", ""),
            "last_name": user.get("last_name", "")}
