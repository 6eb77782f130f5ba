"""The periodic jobs: coroutines run every few seconds on the event loop.

Each job is a ``check``-style coroutine that logs its own failures with
context and never raises (``PeriodicCallback`` would swallow it anyway)."""

import dataclasses
import logging
from collections.abc import Awaitable, Callable

from tornado.ioloop import PeriodicCallback

from unimatch.clock import Clock
from unimatch.store import Store

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None] | None]


@dataclasses.dataclass(frozen=True)
class Every:
    """``job`` every ``seconds``."""

    job: Job
    seconds: float


class PeriodicJobs:
    """Starts and stops a fixed set of jobs together."""

    def __init__(self, schedule: list[Every]):
        self.schedule = schedule
        self._callbacks: list[PeriodicCallback] = []

    def start(self) -> None:
        for every in self.schedule:
            callback = PeriodicCallback(every.job, every.seconds * 1000)
            callback.start()
            self._callbacks.append(callback)

    def stop(self) -> None:
        for callback in self._callbacks:
            callback.stop()
        self._callbacks.clear()


class ExpiredPurge:
    """Forgets records past their use (revoked tokens that expired anyway,
    old throttling counts, spent credentials, expired Telegram link codes),
    which a TTL index does on MongoDB only (FerretDB 1.x has none): run
    periodically, it keeps those collections the same size on every engine."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    async def check(self) -> None:
        """The periodic entry point: log, never raise."""
        try:
            removed = await self.store.purge_expired(self.clock.timestamp())
        except Exception:
            logger.exception("purging expired records failed; will retry")
            return
        if removed:
            logger.info("forgot %d expired records", removed)


class CachedState:
    """Keeps what this process holds from the store for requests (hobby
    names, the latest round's number, users and their answers) in step
    with changes other processes make: a few small reads per run (see
    :meth:`Store.refresh_cached`)."""

    def __init__(self, store: Store):
        self.store = store

    async def check(self) -> None:
        """The periodic entry point: log, never raise."""
        try:
            await self.store.refresh_cached()
        except Exception:
            logger.exception("refreshing cached hobbies, rounds and users failed; will retry")
