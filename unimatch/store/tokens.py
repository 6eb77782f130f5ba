"""The refresh-token blacklist."""

import datetime as dt

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.errors import TokenBlacklisted
from unimatch.store._guard import create_optional_index, translate_errors


@translate_errors
class Blacklist:
    """One document per revoked refresh token: ``_id`` is its ``jti``.

    A revoked token is worth keeping only until it would have expired
    anyway (``exp``, epoch seconds): after that the token fails its own
    expiry check. Two mechanisms forget it then, so that every engine
    keeps the same data:

    - :meth:`purge_expired`, a plain ``delete_many`` the service runs
      periodically; this is the one every engine honours;
    - a TTL index on ``expires_at`` (a date), where the engine has TTL
      indexes: MongoDB deletes in the background, nx-27017 hides expired
      documents at once. FerretDB 1.x answers ``NotImplemented`` to
      ``expireAfterSeconds``, so there the purge alone does the work."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["token_blacklist"]

    async def ensure_indexes(self) -> None:
        await create_optional_index(self._col, "expires_at", expireAfterSeconds=0,
                                    instead="the periodic purge alone forgets expired tokens")
        await self._col.create_index("exp")

    async def add(self, jti: str, exp: int, user_id: int, *,
                  successor: dict | None = None, rotated_at: float | None = None) -> None:
        """Revoke a token. Raises :class:`TokenBlacklisted` when it already was:
        of two concurrent refreshes with one token, exactly one succeeds.

        A token revoked by rotation keeps the claims of its ``successor``
        (claims, never a signed token) and when that happened, so that a
        parallel refresh with the same token can be handed the same one."""
        doc = {"_id": jti, "exp": exp, "user_id": user_id,
               "expires_at": dt.datetime.fromtimestamp(exp, dt.UTC)}
        if successor is not None:
            doc.update(successor=successor, rotated_at=rotated_at)
        try:
            await self._col.insert_one(doc)
        except DuplicateKeyError as exc:
            raise TokenBlacklisted(jti) from exc

    async def get(self, jti: str) -> dict | None:
        """The revocation of ``jti``: ``exp``, ``user_id`` and, after a
        rotation, ``successor`` and ``rotated_at``; None when not revoked."""
        return await self._col.find_one({"_id": jti})

    async def contains(self, jti: str) -> bool:
        return await self._col.find_one({"_id": jti}, {"_id": 1}) is not None

    async def purge_expired(self, now: float) -> int:
        """Forget revoked tokens that expired before ``now`` (epoch s);
        returns how many. A token past ``exp`` fails its own check, so
        forgetting it changes no answer."""
        return (await self._col.delete_many({"exp": {"$lt": now}})).deleted_count
