"""Countdown ticks: one frame built per tick and sent to every socket."""

import asyncio
import json

from unimatch.clock import Clock
from unimatch.metrics import Metrics
from unimatch.schedule import Schedule
from unimatch.ws.hub import Hub


class Ticker:
    """``interval``: the seconds between ticks the periodic job keeps, so
    that a tick starting later than that shows as lag in ``metrics``."""

    def __init__(self, hub: Hub, schedule: Schedule, clock: Clock,
                 metrics: Metrics | None = None, interval: float = 1.0):
        self.hub = hub
        self.schedule = schedule
        self.clock = clock
        self.metrics = metrics if metrics is not None else Metrics()
        self.interval = interval
        self._last_start: float | None = None  # loop time; durations, not the service's clock

    def frame(self) -> str:
        """The current tick, agreeing with ``users/api/days-to-match/``."""
        countdown = self.schedule.countdown(self.clock.now())
        return json.dumps({"type": "tick", **countdown})

    def tick(self) -> "asyncio.Future[None] | None":
        """Send the tick to every socket; the future (awaited by the periodic
        job, so ticks never overlap) is done when all had their turn."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        if self._last_start is not None:
            self.metrics.tick_started(started - self._last_start - self.interval)
        self._last_start = started
        if not len(self.hub):
            return None
        sent = self.hub.broadcast(self.frame())
        sent.add_done_callback(lambda _: self.metrics.tick_sent(loop.time() - started))
        return sent
