"""Counted attempts (failed logins, reset requests) in fixed time windows,
shared by every process on the store, and the addresses an account has
logged in from."""

import datetime as dt
from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.store._guard import create_optional_index, translate_errors


@translate_errors
class Attempts:
    """A count document: ``_id`` ``"<key>@<window start>"`` (epoch s),
    ``count``, ``expires_at`` (a date: when the window ends).

    Counts are read for the current window only, so correctness never waits
    for the TTL index, which merely keeps the collection small."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["attempts"]
        self._known = db["known_addresses"]

    async def ensure_indexes(self) -> None:
        for col in (self._col, self._known):
            await create_optional_index(col, "expires_at", expireAfterSeconds=0,
                                        instead="the periodic purge forgets old counts")

    async def purge_expired(self, now: float) -> int:
        """Forget windows and addresses that ended before ``now``; returns how many."""
        before = dt.datetime.fromtimestamp(now, dt.UTC)
        removed = 0
        for col in (self._col, self._known):
            removed += (await col.delete_many({"expires_at": {"$lt": before}})).deleted_count
        return removed

    async def counts(self, keys: Sequence[str], window_start: int) -> dict[str, int]:
        """How many attempts each key made in the window starting at ``window_start``."""
        ids = {f"{key}@{window_start}": key for key in keys}
        cursor = self._col.find({"_id": {"$in": list(ids)}}, {"count": 1})
        found = {ids[doc["_id"]]: int(doc["count"]) async for doc in cursor}
        return {key: found.get(key, 0) for key in keys}

    async def add(self, keys: Sequence[str], window_start: int, window_end: int) -> None:
        """Count one more attempt for each key in its current window."""
        expires = dt.datetime.fromtimestamp(window_end, dt.UTC)
        for key in keys:
            doc_id = f"{key}@{window_start}"
            try:
                await self._col.update_one({"_id": doc_id},
                                           {"$inc": {"count": 1}, "$set": {"expires_at": expires}},
                                           upsert=True)
            except DuplicateKeyError:
                # Two first attempts in a window raced; the loser counts as an update.
                await self._col.update_one({"_id": doc_id}, {"$inc": {"count": 1}})

    async def remember(self, key: str, address: str, until: float) -> None:
        """Note that ``key`` succeeded from ``address``, until ``until`` (epoch s)."""
        update = {"$set": {"until": until, "expires_at": dt.datetime.fromtimestamp(until, dt.UTC)}}
        try:
            await self._known.update_one({"_id": f"{key}@{address}"}, update, upsert=True)
        except DuplicateKeyError:  # a concurrent first login from there won
            await self._known.update_one({"_id": f"{key}@{address}"}, update)

    async def known(self, key: str, address: str, now: float) -> bool:
        """Whether ``key`` succeeded from ``address`` recently (see :meth:`remember`)."""
        doc = await self._known.find_one({"_id": f"{key}@{address}"}, {"until": 1})
        return doc is not None and doc["until"] > now
