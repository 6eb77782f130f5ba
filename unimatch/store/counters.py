"""Sequential integer ids, one sequence per collection."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.errors import StoreUnavailable
from unimatch.store._guard import translate_errors


@translate_errors
class Counters:
    """Ids are allocated by an atomic ``$inc`` and never handed out twice,
    even when the insert they were meant for fails (gaps are allowed,
    reuse is not)."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["counters"]

    async def allocate(self, name: str, count: int = 1) -> range:
        """Reserve ``count`` consecutive ids of sequence ``name``."""
        if count < 1:
            return range(0)
        for attempt in range(2):
            try:
                doc = await self._col.find_one_and_update(
                    {"_id": name}, {"$inc": {"seq": count}},
                    upsert=True, return_document=ReturnDocument.AFTER)
                break
            except DuplicateKeyError:
                # Two first-ever upserts raced; the loser retries as an update.
                if attempt:
                    raise
        if doc is None:  # an upsert that wrote nothing (a full or read-only disk)
            raise StoreUnavailable(f"counter {name!r} could not be advanced")
        last = doc["seq"]
        return range(last - count + 1, last + 1)

    async def next(self, name: str) -> int:
        """One new id of sequence ``name``."""
        return (await self.allocate(name))[0]
