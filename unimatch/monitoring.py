"""The service watching itself: how late the event loop runs, whether the
store answers, how much waits in the outboxes. What it finds goes to
:class:`~unimatch.metrics.Metrics` and to ``/healthz``."""

import asyncio
import logging

from unimatch.errors import StoreUnavailable
from unimatch.metrics import Metrics
from unimatch.store import Store

logger = logging.getLogger(__name__)

#: How long the store may take to answer a health check's ping.
PING_TIMEOUT = 1.0
#: How long a scrape waits for the outbox depths before showing the last ones.
DEPTH_TIMEOUT = 1.0


class LoopMonitor:
    """Sets a timer every ``interval`` seconds and reports how late the loop
    ran it: anything that holds the loop (a long computation, a big
    broadcast, the garbage collector) shows as lag."""

    def __init__(self, metrics: Metrics, interval: float = 0.1):
        self.metrics = metrics
        self.interval = interval
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._schedule(asyncio.get_running_loop())

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        due = loop.time() + self.interval
        self._timer = loop.call_at(due, self._woke, loop, due)

    def _woke(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        self.metrics.loop_late(loop.time() - due)
        self._schedule(loop)


async def store_answers(store: Store, timeout: float = PING_TIMEOUT) -> str | None:
    """None when the store answers a ping within ``timeout`` seconds, else
    why not (for the health check's answer and the log)."""
    try:
        await asyncio.wait_for(store.ping(), timeout)
    except TimeoutError:
        return f"the database did not answer within {timeout:g} s"
    except StoreUnavailable as exc:
        logger.warning("health check: database unreachable: %s", exc)
        return "the database cannot be reached"
    return None


async def refresh_outbox_depths(store: Store, metrics: Metrics,
                                timeout: float = DEPTH_TIMEOUT) -> None:
    """Count the messages waiting in the Telegram and mail outboxes (at each
    scrape: the figure is the store's, the same whichever process reads it).
    On a slow or unreachable store the last depths stay: a scrape answers
    even then."""
    try:
        telegram, mail = await asyncio.wait_for(
            asyncio.gather(store.outbox.waiting(), store.mail.waiting()), timeout)
    except (TimeoutError, StoreUnavailable) as exc:
        logger.warning("metrics: outbox depths unavailable (%s)", str(exc) or "timed out")
        return
    metrics.outbox_waiting("telegram", telegram)
    metrics.outbox_waiting("mail", mail)
