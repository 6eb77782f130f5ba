"""The periodic jobs: coroutines run every few seconds on the event loop.

Each job is a ``check``-style coroutine that logs its own failures with
context and never raises (``PeriodicCallback`` would swallow it anyway)."""

import dataclasses
from collections.abc import Awaitable, Callable

from tornado.ioloop import PeriodicCallback

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
