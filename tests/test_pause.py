"""Pause until a date: set and cleared through PATCH on both API versions,
honoured by every round scheduled on or before it, over by itself after."""

import datetime as dt

import pytest
from cohorts import register_cohort

TZ = dt.timezone(dt.timedelta(hours=5))  # the service's zone, Asia/Yekaterinburg
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=TZ)  # a Wednesday


@pytest.mark.gen_test
async def test_pause_is_set_and_cleared_in_each_versions_dates(api, clock):
    clock.set(NOW)
    token = (await api.register())["access"]
    status, me = await api.get("/auth/users/me/", token=token)
    assert me["paused_until"] is None
    status, me = await api.patch("/auth/users/me/", {"paused_until": "16-12-2026"}, token=token)
    assert (status, me["paused_until"]) == (200, "16-12-2026")
    status, me = await api.get("/v2/api/auth/users/me/", token=token)
    assert me["paused_until"] == "2026-12-16"
    status, me = await api.patch("/v2/api/auth/users/me/", {"paused_until": "2026-12-30"},
                                 token=token)
    assert (status, me["paused_until"]) == (200, "2026-12-30")
    status, me = await api.patch("/auth/users/me/", {"paused_until": None}, token=token)
    assert (status, me["paused_until"]) == (200, None)


@pytest.mark.gen_test
@pytest.mark.parametrize("path, value, message", [
    ("/auth/users/me/", "01-12-2026", "Date must be between today and one year from today."),
    ("/auth/users/me/", "03-12-2027", "Date must be between today and one year from today."),
    ("/auth/users/me/", "2026-12-16",
     "Date has wrong format. Use one of these formats instead: DD-MM-YYYY."),
    ("/v2/api/auth/users/me/", "16-12-2026",
     "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."),
    ("/v2/api/auth/users/me/", "2026-12-01", "Date must be between today and one year from today.")])
async def test_a_pause_in_the_past_or_over_a_year_ahead_is_refused(api, clock, path, value, message):
    clock.set(NOW)
    token = (await api.register())["access"]
    status, body = await api.patch(path, {"paused_until": value, "first_name": "Changed"},
                                   token=token)
    assert (status, body) == (400, {"paused_until": [message]})
    status, me = await api.get("/auth/users/me/", token=token)
    assert me["first_name"] != "Changed", "nothing of the request was written"


@pytest.mark.gen_test(timeout=60)
async def test_a_paused_student_sits_out_rounds_on_or_before_the_date(api, clock, store, services,
                                                                       realtime):
    clock.set(NOW)
    users = await register_cohort(api, 5)
    paused = users[0]
    await store.rounds.first_seen(clock.timestamp())
    # Paused until next Monday, the day of the next round, inclusive.
    await api.patch("/auth/users/me/", {"paused_until": "07-12-2026"}, token=paused["access"])
    clock.set(dt.datetime(2026, 12, 7, 10, 0, 30, tzinfo=TZ))
    first = await realtime.rounds.run_due()
    assert first["participants"] == 4
    members = {m for pair in await store.pairs.for_round(first["round"]) for m in pair["members"]}
    assert paused["user"]["id"] not in members
    # The week after, the pause is over by itself.
    clock.set(dt.datetime(2026, 12, 14, 10, 0, 30, tzinfo=TZ))
    second = await realtime.rounds.run_due()
    assert second["participants"] == 5
    token = await api.login(paused["user"]["email"])
    status, me = await api.get("/auth/users/me/", token=token)
    assert me["paused_until"] == "07-12-2026", "kept as history, no longer in force"
