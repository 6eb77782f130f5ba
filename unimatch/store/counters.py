"""Sequential integer ids, one sequence per collection."""

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.store._guard import translate_errors


@translate_errors
class Counters:
    """Ids are never handed out twice, even when the insert they were meant
    for fails (gaps are allowed, reuse is not), across any number of
    processes and on every engine.

    Each allocation is one document in ``counter_blocks``:
    ``{"_id": "<name>:<first>", "name", "first", "last"}``, inserted where
    the sequence ends. The unique ``_id`` lets exactly one allocation take
    each start, and each allocation starts right after one that exists, so
    they form one chain from 1 and never overlap. This costs an insert and
    two small writes where an atomic ``$inc`` would be one, because the
    ``$inc`` is not atomic on FerretDB 1.x: it applies every update as read,
    change and write back without a transaction, and concurrent ``$inc``
    there handed out the same id several times. A unique key is
    enforced atomically by MongoDB, FerretDB and nx-27017 alike.

    ``counters`` ``{"_id": name, "seq"}`` holds the last id allocated, as a
    hint where the chain ends; a stale hint (another process raced ahead)
    costs one more read per allocation it missed. A sequence started by the
    former ``$inc`` counter continues after its ``seq``. Blocks are never
    deleted: a process holding an old hint must still find the blocks after
    it, and there is one small block per registration or round."""

    def __init__(self, db: AsyncDatabase):
        self._hints = db["counters"]
        self._blocks = db["counter_blocks"]

    async def allocate(self, name: str, count: int = 1) -> range:
        """Reserve ``count`` consecutive ids of sequence ``name``."""
        if count < 1:
            return range(0)
        hint = await self._hints.find_one({"_id": name})
        first = (hint["seq"] if hint else 0) + 1
        while True:
            try:
                await self._blocks.insert_one({"_id": f"{name}:{first}", "name": name,
                                               "first": first, "last": first + count - 1})
                break
            except DuplicateKeyError:
                # Taken: the end of the chain is further on.
                taken = await self._blocks.find_one({"_id": f"{name}:{first}"}, {"last": 1})
                if taken is not None:
                    first = taken["last"] + 1
        await self._advance_hint(name, first + count - 1)
        return range(first, first + count)

    async def next(self, name: str) -> int:
        """One new id of sequence ``name``."""
        return (await self.allocate(name))[0]

    async def _advance_hint(self, name: str, last: int) -> None:
        try:
            await self._hints.update_one({"_id": name}, {"$max": {"seq": last}}, upsert=True)
        except DuplicateKeyError:
            # Two first-ever upserts raced; the other one's hint is as good.
            pass
