"""Wiring shared by the server and the operator commands: open the
configured store, build the services."""

import concurrent.futures
import contextlib
import logging
import multiprocessing
import sys
from urllib.parse import urlsplit, urlunsplit

from unimatch.app import Services
from unimatch.auth.passwords import PasswordHasher
from unimatch.auth.secret import load_or_create_secret
from unimatch.auth.tokens import TokenService
from unimatch.config import Config
from unimatch.store import Store
from unimatch.store.embedded import EmbeddedMongo, running_url

logger = logging.getLogger(__name__)


class StoreRuntime:
    """The open store and, without MONGO_URL, the embedded child behind it."""

    def __init__(self, store: Store, embedded: EmbeddedMongo | None):
        self.store = store
        self.embedded = embedded

    @classmethod
    async def open(cls, config: Config, share_embedded: bool = False) -> "StoreRuntime":
        """Connect to ``config.mongo_url``, or start the embedded server.

        ``share_embedded``: an operator command first looks for an embedded
        server that a running service already started on the same data dir."""
        if config.mongo_url:
            store = await Store.connect(config.mongo_url)
            logger.info("store: MongoDB at %s (database %s)", _redact(config.mongo_url), store.db.name)
            return cls(store, None)
        if share_embedded:
            url = await running_url(config.data_dir)
            if url:
                store = await Store.connect(url)
                logger.info("store: the running service's embedded nx-27017 at %s", url)
                return cls(store, None)
        embedded = EmbeddedMongo(config.data_dir)
        url = await embedded.start()
        try:
            store = await Store.connect(url)
        except BaseException:
            embedded.stop()
            raise
        logger.info("store: embedded nx-27017 at %s (data in %s)", url, embedded.data_dir)
        return cls(store, embedded)

    async def close(self) -> None:
        await self.store.close()
        if self.embedded is not None:
            self.embedded.stop()


def build_services(config: Config, store: Store, clock, executor=None) -> Services:
    secret = config.jwt_secret or load_or_create_secret(config.data_dir)
    return Services(
        config=config,
        store=store,
        tokens=TokenService(secret, clock, config.access_lifetime, config.refresh_lifetime),
        hasher=PasswordHasher(config.bcrypt_rounds, executor),
        clock=clock,
        schedule=config.schedule(),
    )


def _redact(url: str) -> str:
    """The URL without credentials, for logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def configure_logging(level: str) -> None:
    """Logging for a process, set up once in its ``main``."""
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("pymongo").setLevel(logging.WARNING)


class MatcherPool(concurrent.futures.Executor):
    """One worker process for the matcher: a big round runs there while the
    event loop keeps serving (a thread would still hold the GIL). Spawned,
    not forked, so the child inherits no sockets or event loop. A worker
    that died (out of memory, killed) is replaced on the next round instead
    of breaking every round until a restart."""

    def __init__(self):
        self._pool = self._new_pool()

    @staticmethod
    def _new_pool():
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, fn, /, *args, **kwargs):
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except concurrent.futures.process.BrokenProcessPool:
            logger.warning("the matcher process died; starting a new one")
            self._pool.shutdown(wait=False)
            self._pool = self._new_pool()
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait=True, *, cancel_futures=False):
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


@contextlib.contextmanager
def matcher_pool():
    pool = MatcherPool()
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
