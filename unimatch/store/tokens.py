"""The refresh-token blacklist."""

import datetime as dt

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.errors import TokenBlacklisted
from unimatch.store._guard import translate_errors


@translate_errors
class Blacklist:
    """One document per revoked refresh token: ``_id`` is its ``jti``.

    ``expires_at`` (a date) carries a TTL index so MongoDB forgets a token
    once it would have expired anyway; ``exp`` (epoch seconds) is what the
    code reads, because TTL deletion is lazy (and nx-27017 does not run it)."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["token_blacklist"]

    async def ensure_indexes(self) -> None:
        await self._col.create_index("expires_at", expireAfterSeconds=0)

    async def add(self, jti: str, exp: int, user_id: int) -> None:
        """Revoke a token. Raises :class:`TokenBlacklisted` when it already was:
        of two concurrent refreshes with one token, exactly one succeeds."""
        try:
            await self._col.insert_one({
                "_id": jti, "exp": exp, "user_id": user_id,
                "expires_at": dt.datetime.fromtimestamp(exp, dt.UTC),
            })
        except DuplicateKeyError as exc:
            raise TokenBlacklisted(jti) from exc

    async def contains(self, jti: str) -> bool:
        return await self._col.find_one({"_id": jti}, {"_id": 1}) is not None
