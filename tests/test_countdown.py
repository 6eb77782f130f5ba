"""Endpoint 12 (days-to-match) and the weekly schedule behind it."""

import datetime as dt
import zoneinfo

import pytest

from unimatch.schedule import Schedule, format_local, parse_time, parse_weekday

COUNTDOWN = "/users/api/days-to-match/"
YEKATERINBURG = zoneinfo.ZoneInfo("Asia/Yekaterinburg")
UTC = dt.UTC


def _at(*args, tz=YEKATERINBURG):
    return dt.datetime(*args, tzinfo=tz)


# -- the endpoint ------------------------------------------------------------------
#
# The clock keeps running after clock.set(), so each moment is set 30 s before
# a round minute: the answer is the same whether the request takes 1 ms or 20 s.

@pytest.mark.gen_test
async def test_countdown_shape_and_arithmetic(api, clock):
    clock.set(_at(2026, 11, 29, 8, 29, 30))  # a Sunday
    status, body = await api.get(COUNTDOWN)
    assert status == 200
    assert body == {"days_left": 1, "hours_left": 1, "minutes_left": 30,
                    "next_match_at": "2026-11-30 10:00:00"}
    assert api.last.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.gen_test
async def test_countdown_needs_no_token_and_ignores_a_bad_one(api, clock):
    clock.set(_at(2026, 11, 29, 8, 29, 30))
    status, body = await api.get(COUNTDOWN, token="garbage")
    assert status == 200 and body["next_match_at"] == "2026-11-30 10:00:00"


@pytest.mark.gen_test
async def test_countdown_arithmetic(api, clock):
    for moment, expected in (
            # Monday just before the round: minutes only.
            (_at(2026, 11, 30, 9, 47, 30), (0, 0, 12, "2026-11-30 10:00:00")),
            # The Tuesday after: almost a week.
            (_at(2026, 12, 1, 10, 59, 30), (5, 23, 0, "2026-12-07 10:00:00")),
            # Late Sunday, across midnight.
            (_at(2026, 11, 29, 23, 59, 30), (0, 10, 0, "2026-11-30 10:00:00")),
            # A moment given in UTC is judged in the service's zone (UTC+5).
            (_at(2026, 11, 30, 4, 29, 30, tz=UTC), (0, 0, 30, "2026-11-30 10:00:00")),
            # Thursday to Monday, across a year boundary.
            (_at(2026, 12, 31, 9, 59, 30), (4, 0, 0, "2027-01-04 10:00:00"))):
        clock.set(moment)
        status, body = await api.get(COUNTDOWN)
        assert (body["days_left"], body["hours_left"], body["minutes_left"],
                body["next_match_at"]) == expected, moment


@pytest.mark.gen_test
async def test_at_the_round_time_the_next_round_is_a_week_away(api, clock):
    clock.set(_at(2026, 11, 30, 10, 0, 0))
    status, body = await api.get(COUNTDOWN)
    assert body["next_match_at"] == "2026-12-07 10:00:00"
    assert (body["days_left"], body["hours_left"], body["minutes_left"]) == (7, 0, 0)
    clock.advance(1)
    status, body = await api.get(COUNTDOWN)
    assert body["next_match_at"] == "2026-12-07 10:00:00"
    assert (body["days_left"], body["hours_left"], body["minutes_left"]) == (6, 23, 59)


@pytest.mark.gen_test
async def test_countdown_follows_the_clock(api, clock):
    clock.set(_at(2026, 11, 29, 8, 29, 30))
    clock.advance(dt.timedelta(days=1, hours=1))
    status, body = await api.get(COUNTDOWN)
    assert body == {"days_left": 0, "hours_left": 0, "minutes_left": 30,
                    "next_match_at": "2026-11-30 10:00:00"}
    clock.advance(dt.timedelta(minutes=31))
    status, body = await api.get(COUNTDOWN)
    assert body["next_match_at"] == "2026-12-07 10:00:00"


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [
    {"match_weekday": 4, "match_time": dt.time(18, 30), "timezone": "Europe/Moscow"},
])
async def test_custom_schedule(api, clock, config_overrides):
    # Sunday 08:29:30 in Yekaterinburg is 06:29:30 in Moscow.
    clock.set(_at(2026, 11, 29, 8, 29, 30))
    status, body = await api.get(COUNTDOWN)
    assert body == {"days_left": 5, "hours_left": 12, "minutes_left": 0,
                    "next_match_at": "2026-12-04 18:30:00"}


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [
    {"match_weekday": 6, "match_time": dt.time(9, 0), "timezone": "UTC"},
])
async def test_custom_schedule_same_day(api, clock, config_overrides):
    clock.set(_at(2026, 11, 29, 8, 29, 30, tz=UTC))
    status, body = await api.get(COUNTDOWN)
    assert body == {"days_left": 0, "hours_left": 0, "minutes_left": 30,
                    "next_match_at": "2026-11-29 09:00:00"}


# -- Schedule, pure ------------------------------------------------------------------

MONDAY_10 = Schedule(0, dt.time(10, 0), YEKATERINBURG)


def test_next_is_strictly_after_now():
    slot = _at(2026, 11, 30, 10, 0)
    assert MONDAY_10.next(slot) == _at(2026, 12, 7, 10, 0)
    assert MONDAY_10.next(slot - dt.timedelta(microseconds=1)) == slot
    assert MONDAY_10.previous(slot) == slot
    assert MONDAY_10.previous(slot - dt.timedelta(microseconds=1)) == _at(2026, 11, 23, 10, 0)


@pytest.mark.parametrize("now, days, hours, minutes, seconds", [
    (_at(2026, 11, 29, 8, 30), 1, 1, 30, 0),
    (_at(2026, 11, 30, 10, 0), 7, 0, 0, 0),
    (_at(2026, 11, 30, 9, 59, 59, 999999), 0, 0, 0, 0),
    (_at(2026, 11, 30, 9, 58, 1), 0, 0, 1, 59),
    (_at(2026, 11, 30, 10, 0, 1), 6, 23, 59, 59),
])
def test_countdown_split(now, days, hours, minutes, seconds):
    countdown = MONDAY_10.countdown(now.astimezone(UTC))
    assert (countdown["days_left"], countdown["hours_left"], countdown["minutes_left"],
            countdown["seconds_left"]) == (days, hours, minutes, seconds)
    assert 0 <= countdown["hours_left"] <= 23 and 0 <= countdown["minutes_left"] <= 59


def test_countdown_times_are_local():
    countdown = MONDAY_10.countdown(_at(2026, 11, 29, 3, 30, tz=UTC))
    assert countdown["next_match_at"] == "2026-11-30 10:00:00"
    assert countdown["server_time"] == "2026-11-29 08:30:00"


def test_countdown_across_a_dst_change():
    # Europe/Berlin springs forward on 2026-03-29: Saturday 10:00 CET to
    # Monday 10:00 CEST is 47 hours, and the round stays at 10:00 wall time.
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    schedule = Schedule(0, dt.time(10, 0), berlin)
    now = dt.datetime(2026, 3, 28, 10, 0, tzinfo=berlin).astimezone(UTC)
    countdown = schedule.countdown(now)
    assert (countdown["days_left"], countdown["hours_left"]) == (1, 23)
    assert countdown["next_match_at"] == "2026-03-30 10:00:00"
    assert schedule.next(now).utcoffset() == dt.timedelta(hours=2)


def test_countdown_with_a_local_now_across_a_dst_change():
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    schedule = Schedule(0, dt.time(10, 0), berlin)
    countdown = schedule.countdown(dt.datetime(2026, 3, 28, 10, 0, tzinfo=berlin))
    assert (countdown["days_left"], countdown["hours_left"]) == (1, 23)


def test_other_weekday_and_zone():
    schedule = Schedule(4, dt.time(18, 30), zoneinfo.ZoneInfo("Europe/Moscow"))
    now = _at(2026, 11, 29, 8, 30)  # Sunday 06:30 in Moscow
    assert format_local(schedule.next(now), schedule.tz) == "2026-12-04 18:30:00"
    assert format_local(schedule.previous(now), schedule.tz) == "2026-11-27 18:30:00"


def test_format_local():
    assert format_local(_at(2026, 1, 2, 3, 4, 5, tz=UTC), YEKATERINBURG) == "2026-01-02 08:04:05"


@pytest.mark.parametrize("text, weekday", [
    ("monday", 0), ("Mon", 0), ("TUE", 1), ("wednesday", 2), ("sun", 6), ("0", 0), ("6", 6),
    (" friday ", 4),
])
def test_parse_weekday(text, weekday):
    assert parse_weekday(text) == weekday


@pytest.mark.parametrize("text", ["7", "mo", "", "funday", "-1"])
def test_parse_weekday_rejects(text):
    with pytest.raises(ValueError):
        parse_weekday(text)


@pytest.mark.parametrize("text, time", [
    ("10:00", dt.time(10, 0)), ("9:05", dt.time(9, 5)), ("23:59:59", dt.time(23, 59, 59)),
])
def test_parse_time(text, time):
    assert parse_time(text) == time


@pytest.mark.parametrize("text", ["10", "10:00:00:00", "ten:00", "24:00", "10:60", "", "-1:00"])
def test_parse_time_rejects(text):
    with pytest.raises(ValueError):
        parse_time(text)
