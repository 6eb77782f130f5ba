""""Did you meet?" answers: one per person and pair."""

from pymongo.asynchronous.database import AsyncDatabase

from unimatch.store._guard import translate_errors
from unimatch.store.user_cache import UserCache

#: A user's answers' kind in the :class:`UserCache`.
_ANSWERS = "feedback"


@translate_errors
class Feedback:
    """A document per (user, pair), with exactly these fields (the
    organisers' stats read them): ``_id`` (``"<pair>:<user>"``),
    ``user_id``, ``pair_id``, ``round`` (the pair's round number), ``met``
    (bool), ``rating`` (int 1-5 or None), ``updated_at`` (epoch s).

    An answer is written whole (a replace, not ``$set``): nx-27017 reads a
    boolean written by ``$set`` back as 0/1, and another answer's leftovers
    must not survive a change.

    A user's answers are read on every GET pairs, so this process keeps
    them in the :class:`UserCache` beside the user, and a new answer
    counts as a change to its user."""

    def __init__(self, db: AsyncDatabase, cache: UserCache):
        self._col = db["feedback"]
        self._cache = cache

    async def ensure_indexes(self) -> None:
        await self._col.create_index("user_id")
        await self._col.create_index("round")

    async def record(self, *, user_id: int, pair_id: int, round_no: int, met: bool,
                     rating: int | None, now: float) -> dict:
        """Write (or replace) ``user_id``'s answer about ``pair_id``; returns it."""
        doc = {"_id": f"{pair_id}:{user_id}", "user_id": user_id, "pair_id": pair_id,
               "round": round_no, "met": bool(met), "rating": rating, "updated_at": now}
        async with self._cache.changing(user_id):
            await self._col.replace_one({"_id": doc["_id"]}, doc, upsert=True)
        return doc

    async def for_user(self, user_id: int, fresh: bool = False) -> dict[int, dict]:
        """Every answer ``user_id`` gave, by pair id: kept in this process,
        else (or ``fresh``: what a new answer is built on) one query,
        however many pairs (one a week per user keeps it small)."""
        kept = None if fresh else self._cache.get(_ANSWERS, user_id)
        if kept is None:
            token = self._cache.token()
            kept = {"answers": [doc async for doc in self._col.find({"user_id": user_id})]}
            self._cache.keep(_ANSWERS, user_id, kept, token)
        return {doc["pair_id"]: _read(doc) for doc in kept["answers"]}


def _read(doc: dict) -> dict:
    doc["met"] = bool(doc["met"])
    return doc
