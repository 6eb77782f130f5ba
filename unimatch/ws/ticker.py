"""Countdown ticks: one frame built per tick and sent to every socket."""

import asyncio
import json

from unimatch.clock import Clock
from unimatch.schedule import Schedule
from unimatch.ws.hub import Hub


class Ticker:
    def __init__(self, hub: Hub, schedule: Schedule, clock: Clock):
        self.hub = hub
        self.schedule = schedule
        self.clock = clock

    def frame(self) -> str:
        """The current tick, agreeing with ``users/api/days-to-match/``."""
        countdown = self.schedule.countdown(self.clock.now())
        return json.dumps({"type": "tick", **countdown})

    def tick(self) -> "asyncio.Future[None] | None":
        """Send the tick to every socket; the future (awaited by the periodic
        job, so ticks never overlap) is done when all had their turn."""
        if len(self.hub):
            return self.hub.broadcast(self.frame())
        return None
