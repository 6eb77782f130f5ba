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
    (``YYYY-MM-DD`` in the service time zone), ``common`` (shared hobby ids).

    Each pair is also written once per member into ``pair_members``
    (``_id`` ``"<pair id>:<member>"``, ``user``, ``pair``: the whole pair
    document), which :meth:`for_user` reads through the index on ``user``.
    The index on ``members`` cannot serve it: nx-27017 indexes an array as
    one value, so it answers ``$in`` on it with a scan of every pair."""

    def __init__(self, db: AsyncDatabase, counters: Counters):
        self._col = db["pairs"]
        self._by_member = db["pair_members"]
        self._counters = counters

    async def ensure_indexes(self) -> None:
        await self._col.create_index("key", unique=True)
        await self._col.create_index("members")
        await self._col.create_index("round")
        await self._by_member.create_index("user")
        await self._complete_member_index()

    async def _complete_member_index(self) -> None:
        """Write the ``pair_members`` documents of pairs that have none
        (written before they existed, or by a round that stopped between
        its two writes). Two documents per pair, so the counts tell."""
        if await self._by_member.count_documents({}) == 2 * await self._col.count_documents({}):
            return
        batch = []
        async for pair in self._col.find({}):
            batch.extend(_member_docs(pair))
            if len(batch) >= 1000:
                await insert_new(self._by_member, batch)
                batch = []
        await insert_new(self._by_member, batch)

    async def insert_round(self, round_no: int, created_at: str,
                           groups: list[tuple[int, ...]], hobbies: dict[int, frozenset]) -> int:
        """Write every inner pair of ``groups`` for round ``round_no``, and
        its ``pair_members`` documents.

        Idempotent: pairs already written for this round (an interrupted
        earlier attempt) are skipped by the unique ``key``, and the member
        documents of every pair of the round are completed. Returns how
        many pairs were newly written."""
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
        written = 0
        if rows:
            ids = await self._counters.allocate("pairs", len(rows))
            for row, pair_id in zip(rows, ids, strict=True):
                row["_id"] = pair_id
            written = await insert_new(self._col, rows)
        # Read back: a concurrent attempt may have written a pair first, under its own id.
        pairs = await self.for_round(round_no)
        await insert_new(self._by_member, [doc for pair in pairs for doc in _member_docs(pair)])
        return written

    async def for_user(self, user_id: int) -> list[dict]:
        """Every pair the user has been in, newest first."""
        # Sorted here: nx-27017 sorts _id as text. One pair a week per user
        # keeps this small.
        docs = [doc["pair"] async for doc in self._by_member.find({"user": user_id})]
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


def _member_docs(pair: dict) -> list[dict]:
    """The pair's ``pair_members`` documents, one per member."""
    return [{"_id": f"{pair['_id']}:{member}", "user": member, "pair": pair}
            for member in pair["members"]]


def pair_key(round_no: int, a: int, b: int) -> str:
    a, b = sorted((a, b))
    return f"{round_no}:{a}-{b}"
