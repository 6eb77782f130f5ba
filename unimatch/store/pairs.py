"""Pairs made by matching rounds: one document per two people who meet.

A trio is stored as its three inner pairs (sharing ``group``), which is what
both the Pairs endpoint (one entry per partner) and the matcher's history
(a trio's inner pairs count as pairs) want."""

import itertools

from pymongo.asynchronous.database import AsyncDatabase

from unimatch.store._guard import insert_new, translate_errors
from unimatch.store.counters import Counters


@translate_errors
class Pairs:
    """A pair document: ``_id`` (int, sequential), ``round`` (round number),
    ``key`` (``"<round>:<a>-<b>"``, unique: the same two people are written
    once per round however often a round is retried), ``members`` ([a, b],
    a < b), ``group`` (all member ids of the group), ``created_at``
    (``YYYY-MM-DD`` in the service time zone), ``common`` (shared hobby ids)."""

    def __init__(self, db: AsyncDatabase, counters: Counters):
        self._col = db["pairs"]
        self._counters = counters

    async def ensure_indexes(self) -> None:
        await self._col.create_index("key", unique=True)
        await self._col.create_index("members")
        await self._col.create_index("round")

    async def insert_round(self, round_no: int, created_at: str,
                           groups: list[tuple[int, ...]], hobbies: dict[int, frozenset]) -> int:
        """Write every inner pair of ``groups`` for round ``round_no``.

        Idempotent: pairs already written for this round (an interrupted
        earlier attempt) are skipped by the unique ``key``. Returns how many
        pairs were newly written."""
        rows = []
        for group in groups:
            for a, b in itertools.combinations(sorted(group), 2):
                rows.append({
                    "round": round_no, "key": pair_key(round_no, a, b), "members": [a, b],
                    "group": sorted(group), "created_at": created_at,
                    "common": sorted(hobbies.get(a, frozenset()) & hobbies.get(b, frozenset())),
                })
        if not rows:
            return 0
        done = {doc["key"] async for doc in self._col.find({"round": round_no}, {"key": 1})}
        rows = [row for row in rows if row["key"] not in done]
        if not rows:
            return 0
        for row, pair_id in zip(rows, await self._counters.allocate("pairs", len(rows)), strict=True):
            row["_id"] = pair_id
        return await insert_new(self._col, rows)

    async def for_user(self, user_id: int) -> list[dict]:
        """Every pair the user has been in, newest first."""
        # Sorted here: nx-27017 sorts _id as text. One pair a week per user
        # keeps this small.
        # "$in" rather than plain equality: nx-27017 finds nothing for an
        # equality match on an indexed array field (pinned in test_store).
        docs = [doc async for doc in self._col.find({"members": {"$in": [user_id]}})]
        return sorted(docs, key=lambda d: d["_id"], reverse=True)

    async def get(self, pair_id: int) -> dict | None:
        return await self._col.find_one({"_id": pair_id})

    async def for_round(self, round_no: int) -> list[dict]:
        """The pairs of one round, by id."""
        docs = [doc async for doc in self._col.find({"round": round_no})]
        return sorted(docs, key=lambda d: d["_id"])

    async def history(self) -> dict[tuple[int, int], int]:
        """``(a, b)`` (a < b) to the last round in which they met."""
        last: dict[tuple[int, int], int] = {}
        async for doc in self._col.find({}, {"members": 1, "round": 1}):
            key = tuple(doc["members"])
            if doc["round"] > last.get(key, 0):
                last[key] = doc["round"]
        return last


def pair_key(round_no: int, a: int, b: int) -> str:
    a, b = sorted((a, b))
    return f"{round_no}:{a}-{b}"
