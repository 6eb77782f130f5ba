"""Pairs items with their partners and shared hobbies looked up, for the
REST endpoint and the WebSocket match alerts alike."""

from unimatch.views import pair_items


async def load_pair_items(store, user_id: int, pairs: list[dict]) -> list[dict]:
    partner_ids = {m for pair in pairs for m in pair["members"]}
    users = await store.users.many(partner_ids) if pairs else {}
    names = await store.hobbies.names() if pairs else {}
    return pair_items(user_id, pairs, users, names)
