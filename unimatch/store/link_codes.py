"""Telegram link codes: what a deep link into the bot carries, so that the
chat that opens it is linked to the account that asked for it."""

from pymongo.asynchronous.database import AsyncDatabase

from unimatch.store._guard import translate_errors


@translate_errors
class LinkCodes:
    """A document per code: ``_id`` (the code's SHA-256, hex: the code
    itself is a credential and is not kept), ``user_id``, ``until`` (epoch
    s). Single use is :class:`~unimatch.store.spent.Spent`'s; expired codes
    go with the periodic purge (FerretDB 1.x has no TTL indexes)."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["telegram_link_codes"]

    async def ensure_indexes(self) -> None:
        await self._col.create_index("until")

    async def add(self, digest: str, user_id: int, until: float) -> None:
        await self._col.insert_one({"_id": digest, "user_id": user_id, "until": until})

    async def get(self, digest: str) -> dict | None:
        """The code with this digest, expired or not, or None."""
        return await self._col.find_one({"_id": digest})

    async def purge_expired(self, now: float) -> int:
        """Forget codes that expired before ``now``; returns how many."""
        return (await self._col.delete_many({"until": {"$lt": now}})).deleted_count
