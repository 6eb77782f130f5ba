"""The one source of time: everything asks a Clock, so tests can move it."""

import asyncio
import datetime as dt


class Clock:
    """Wall-clock time in UTC, optionally shifted.

    Production uses a plain ``Clock()``. Tests keep a reference and call
    :meth:`advance` to jump ahead (token expiry, due rounds) without sleeping.
    """

    def __init__(self, offset: dt.timedelta = dt.timedelta(0)):
        self._offset = offset

    def now(self) -> dt.datetime:
        """The current time as an aware UTC datetime."""
        return dt.datetime.now(dt.UTC) + self._offset

    def timestamp(self) -> float:
        """The current time as POSIX seconds."""
        return self.now().timestamp()

    def advance(self, delta: dt.timedelta | float) -> None:
        """Move this clock forward (seconds or a timedelta)."""
        if not isinstance(delta, dt.timedelta):
            delta = dt.timedelta(seconds=delta)
        self._offset += delta

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time (pacing asks here, not the loop)."""
        await asyncio.sleep(seconds)

    def set(self, moment: dt.datetime) -> None:
        """Make :meth:`now` read ``moment`` from here on (aware datetime)."""
        self._offset = moment - dt.datetime.now(dt.UTC)
