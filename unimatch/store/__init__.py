"""All MongoDB access. Nothing outside this package imports pymongo."""

import asyncio
import logging
from collections.abc import Sequence
from urllib.parse import urlsplit

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from pymongo.monitoring import CommandListener

from unimatch.errors import StoreUnavailable
from unimatch.store.attempts import Attempts
from unimatch.store.blocks import Blocks
from unimatch.store.counters import Counters
from unimatch.store.feedback import Feedback
from unimatch.store.hobbies import Hobbies
from unimatch.store.link_codes import LinkCodes
from unimatch.store.outbox import Outbox, TelegramOutbox
from unimatch.store.pairs import Pairs
from unimatch.store.rounds import Rounds
from unimatch.store.spent import Spent
from unimatch.store.stats import Stats
from unimatch.store.tokens import Blacklist
from unimatch.store.user_cache import UserCache
from unimatch.store.users import Users

logger = logging.getLogger(__name__)

DEFAULT_DB_NAME = "unimatch"
#: How long mail stays in its outbox once sent or dropped, for operators to look into.
MAIL_KEPT = 7 * 24 * 3600


class Store:
    """The service's data, one repository per collection family.

    Built from a database handle; :meth:`connect` makes the client (inside
    the running event loop, as PyMongo's async API requires)."""

    def __init__(self, db: AsyncDatabase, client: AsyncMongoClient | None = None):
        self.db = db
        self._client = client
        self.counters = Counters(db)
        self.hobbies = Hobbies(db, self.counters)
        self._user_cache = UserCache(db)
        self.users = Users(db, self.counters, self._user_cache)
        self.blacklist = Blacklist(db)
        self.pairs = Pairs(db, self.counters)
        self.rounds = Rounds(db, self.counters)
        self.outbox = TelegramOutbox(db)
        self.mail = Outbox(db, "mail_outbox")
        self.attempts = Attempts(db)
        self.spent = Spent(db)
        self.blocks = Blocks(db)
        self.stats = Stats(db)
        self.feedback = Feedback(db, self._user_cache)
        self.link_codes = LinkCodes(db)

    @classmethod
    async def connect(cls, url: str, db_name: str | None = None, timeout_ms: int = 5000,
                      prepare: bool = True, listeners: Sequence[CommandListener] = ()) -> "Store":
        """Open a client on ``url``, check it answers, and (with ``prepare``)
        create the indexes. ``listeners`` see every command the client
        sends (tests count round trips with them).

        The database name is ``db_name``, else the URL's path, else 'unimatch'."""
        client: AsyncMongoClient = AsyncMongoClient(url, serverSelectionTimeoutMS=timeout_ms,
                                                     tz_aware=True, event_listeners=listeners)
        name = db_name or urlsplit(url).path.lstrip("/") or DEFAULT_DB_NAME
        store = cls(client[name], client)
        try:
            await client.admin.command("ping")
            if prepare:
                await store.ensure_indexes()
        except PyMongoError as exc:
            await client.close()
            raise StoreUnavailable(f"cannot use the database: {exc}") from exc
        except BaseException:
            await client.close()
            raise
        return store

    async def ping(self) -> None:
        """One round trip that touches no data; :class:`StoreUnavailable`
        when the server cannot be reached (health checks)."""
        try:
            await self.db.client.admin.command("ping")
        except PyMongoError as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def ensure_indexes(self) -> None:
        await self.users.ensure_indexes()
        await self.hobbies.ensure_indexes()
        await self.blacklist.ensure_indexes()
        await self.pairs.ensure_indexes()
        await self.rounds.ensure_indexes()
        await self.outbox.ensure_indexes()
        await self.mail.ensure_indexes()
        await self.attempts.ensure_indexes()
        await self.spent.ensure_indexes()
        await self.blocks.ensure_indexes()
        await self.feedback.ensure_indexes()
        await self.link_codes.ensure_indexes()

    async def is_ferretdb(self) -> bool:
        """Whether the server is FerretDB, whose updates are not atomic
        (README, Known limits)."""
        try:
            info = await self.db.client.admin.command("buildInfo")
        except PyMongoError as exc:
            raise StoreUnavailable(f"the database does not answer: {exc}") from exc
        return "ferretdbVersion" in info

    async def purge_expired(self, now: float) -> int:
        """Delete every record whose use ended before ``now`` (epoch s):
        the work of TTL indexes, on engines without them (Telegram link
        codes too); and mail sent or dropped over :data:`MAIL_KEPT` ago.
        Returns how many."""
        return (await self.blacklist.purge_expired(now) + await self.attempts.purge_expired(now)
                + await self.spent.purge_expired(now) + await self.mail.forget_done(now - MAIL_KEPT)
                + await self.link_codes.purge_expired(now))

    async def refresh_cached(self) -> None:
        """Bring what this process keeps from the store (hobby names, the
        latest round's number, users and their answers) up to date with
        changes made elsewhere."""
        # Side by side, each on its own: one that fails must not keep the
        # others stale, and a store that does not answer costs one wait
        # (server selection), not one per part.
        outcomes = await asyncio.gather(self.hobbies.refresh(), self.rounds.refresh(),
                                        self._user_cache.refresh(), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def drop(self) -> None:
        """Delete this database."""
        await self.db.client.drop_database(self.db.name)

    async def clear(self) -> None:
        """Delete every document, keeping collections and indexes (tests
        share one database and start each from empty)."""
        for name in await self.db.list_collection_names():
            await self.db[name].delete_many({})
        self.hobbies.forget_cached()
        self.rounds.forget_cached()
        self._user_cache.forget_all()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
