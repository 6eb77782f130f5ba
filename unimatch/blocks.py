"""Blocks: a student asks never to be matched with a past partner again.

Rounds never group a blocked pair, whoever blocked whom (the matcher's
``forbidden`` pairs). The blocked person is not told: nothing they can
read changes, and no answer says who blocked whom."""

from unimatch import validation
from unimatch.errors import FieldErrors, NotFound
from unimatch.store import Store
from unimatch.wire import blocked_json

NOT_A_PARTNER = "You can only block someone you have been paired with."
NOT_YOURSELF = "You cannot block yourself."


async def blocked_list(store: Store, user_id: int) -> list[dict]:
    """The people ``user_id`` blocked, the latest block first."""
    ids = await store.blocks.blocked_by(user_id)
    users = await store.users.many(ids)
    return [blocked_json(users[i]) for i in ids if i in users]


async def block(store: Store, user_id: int, data: dict, now: float) -> tuple[dict, bool]:
    """Block the past partner ``data["user"]`` names: their item, and
    whether the block is new (blocking twice changes nothing). Anyone who
    never was ``user_id``'s partner, existing or not, is the same field
    error, so the answer tells nobody whether an account exists."""
    other = validation.parse_block(data)
    if other == user_id:
        raise FieldErrors({"user": [NOT_YOURSELF]})
    pairs = await store.pairs.for_user(user_id)
    partner = await store.users.get(other) if any(other in p["members"] for p in pairs) else None
    if partner is None:
        raise FieldErrors({"user": [NOT_A_PARTNER]})
    created = await store.blocks.add(user_id, other, now)
    return blocked_json(partner), created


async def unblock(store: Store, user_id: int, other: int | None) -> None:
    """Lift ``user_id``'s block of ``other``; :class:`NotFound` when there
    is none (``other`` None: the path named no id)."""
    if other is None or not await store.blocks.remove(user_id, other):
        raise NotFound()
