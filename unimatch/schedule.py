"""The weekly matching schedule and the countdown to it."""

import datetime as dt
import zoneinfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Schedule:
    """One round a week, at ``weekday`` ``time`` in the service time zone."""

    def __init__(self, weekday: int, time: dt.time, tz: zoneinfo.ZoneInfo):
        self.weekday = weekday
        self.time = time
        self.tz = tz

    def previous(self, now: dt.datetime) -> dt.datetime:
        """The latest scheduled moment at or before ``now`` (aware, local tz)."""
        local = now.astimezone(self.tz)
        days_back = (local.weekday() - self.weekday) % 7
        day = local.date() - dt.timedelta(days=days_back)
        slot = dt.datetime.combine(day, self.time, tzinfo=self.tz)
        if slot > local:
            slot = dt.datetime.combine(day - dt.timedelta(days=7), self.time, tzinfo=self.tz)
        return slot

    def next(self, now: dt.datetime) -> dt.datetime:
        """The first scheduled moment strictly after ``now`` (aware, local tz)."""
        prev = self.previous(now)
        # Add a week in local wall time so DST-free zones and DST zones alike
        # keep the same clock time.
        return dt.datetime.combine(prev.date() + dt.timedelta(days=7), self.time, tzinfo=self.tz)

    def countdown(self, now: dt.datetime) -> dict:
        """The contract's countdown object plus ``seconds_left`` and ``server_time``."""
        target = self.next(now)
        # Timestamps, not datetimes: Python subtracts two datetimes of one
        # zone in wall time, which would ignore a DST change in between.
        left = max(0, int(target.timestamp() - now.timestamp()))
        days, rest = divmod(left, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return {
            "days_left": days,
            "hours_left": hours,
            "minutes_left": minutes,
            "seconds_left": seconds,
            "next_match_at": format_local(target, self.tz),
            "server_time": format_local(now, self.tz),
        }


def format_local(moment: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in the service time zone."""
    return moment.astimezone(tz).strftime(DATETIME_FORMAT)


def parse_weekday(text: str) -> int:
    """Monday=0 from a name ("monday", "Mon") or a number 0-6."""
    value = text.strip().lower()
    if value.isdigit() and int(value) < 7:
        return int(value)
    for index, name in enumerate(WEEKDAYS):
        if len(value) >= 3 and name.startswith(value):
            return index
    raise ValueError(f"not a weekday: {text!r}")


def parse_time(text: str) -> dt.time:
    """``HH:MM`` (or ``HH:MM:SS``) into a time."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a time of day (HH:MM): {text!r}")
    hour, minute, second = (int(p) for p in [*parts, "0"][:3])
    return dt.time(hour, minute, second)
