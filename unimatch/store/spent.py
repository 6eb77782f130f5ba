"""Single-use credentials: a signed payload or a code is spent by the first
request that presents it, in every process at once."""

import datetime as dt

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.store._guard import create_optional_index, translate_errors


@translate_errors
class Spent:
    """A document per spent credential: ``_id`` (``"<kind>:<key>"``),
    ``until`` (epoch s: after it the credential is refused for age anyway,
    so the record may go) and ``expires_at`` (the same as a date, for the
    TTL index). Spending is one insert, so of two racing requests exactly
    one wins."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["spent"]

    async def ensure_indexes(self) -> None:
        await create_optional_index(self._col, "expires_at", expireAfterSeconds=0,
                                    instead="the periodic purge forgets spent credentials")

    async def purge_expired(self, now: float) -> int:
        """Forget credentials refused for age anyway; returns how many."""
        return (await self._col.delete_many({"until": {"$lt": now}})).deleted_count

    async def spend(self, kind: str, key: str, until: float) -> bool:
        """Spend ``key``; False when it was spent before."""
        try:
            await self._col.insert_one({"_id": f"{kind}:{key}", "until": until,
                                        "expires_at": dt.datetime.fromtimestamp(until, dt.UTC)})
        except DuplicateKeyError:
            return False
        return True
