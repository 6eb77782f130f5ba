"""Weekly rounds: exactly once per slot, across processes and crashes."""

import asyncio
import datetime as dt

import pytest
from cohorts import register_cohort
from crashes import Crash, Stall, crash_at

from unimatch.rounds import CLAIMED, PAIRED, PLANNED, RoundService, slot_key
from unimatch.store import Store
from unimatch.telegram.notices import RoundNotices

TZ = dt.timezone(dt.timedelta(hours=5))  # Asia/Yekaterinburg has no DST


def _monday_after(clock, hour=10, minute=0, seconds=30):
    """Move ``clock`` to just after the next Monday 10:00 (service time)."""
    now = clock.now().astimezone(TZ)
    days = (7 - now.weekday()) % 7 or 7
    target = dt.datetime.combine(now.date() + dt.timedelta(days=days), dt.time(hour, minute), TZ)
    clock.set(target + dt.timedelta(seconds=seconds))
    return target


@pytest.mark.gen_test(timeout=60)
async def test_due_round_runs_once_and_pairs_everyone(api, realtime, clock, store):
    users = await register_cohort(api, 7)
    assert await realtime.rounds.run_due() is None, "nothing is owed before the first slot"
    slot = _monday_after(clock)
    summary = await realtime.rounds.run_due()
    assert summary["participants"] == 7
    assert (summary["groups"], summary["trios"], summary["pairs"]) == (3, 1, 5)
    assert summary["created_at"] == slot.date().isoformat()
    assert summary["scheduled_for"] == slot.strftime("%Y-%m-%d %H:%M:%S")
    assert await realtime.rounds.run_due() is None, "the same slot never runs twice"

    seen = {}
    for user in users:
        token = await api.login(user["user"]["email"])  # the old one expired meanwhile
        status, items = await api.get("/users/api/pairs/", token=token)
        assert status == 200 and items
        assert {item["created_at"] for item in items} == {slot.date().isoformat()}
        seen[user["user"]["id"]] = {item["partner"]["id"] for item in items}
    assert sorted(len(p) for p in seen.values()) == [1, 1, 1, 1, 2, 2, 2]
    for user_id, partners in seen.items():
        for partner in partners:
            assert user_id in seen[partner]


@pytest.mark.gen_test(timeout=60)
async def test_two_instances_one_database_run_exactly_one_round(api, services, clock, store,
                                                                 matcher_pool):
    await register_cohort(api, 10)
    first = RoundService(store, services.schedule, clock, matcher_pool, owner="server-a")
    second = RoundService(store, services.schedule, clock, matcher_pool, owner="server-b")
    assert await first.run_due() is None  # both servers were up before the slot
    _monday_after(clock)
    results = await asyncio.gather(first.run_due(), second.run_due(), first.run_due())
    done = [r for r in results if r is not None]
    assert len(done) == 1
    assert await store.db["rounds"].count_documents({}) == 1
    assert await store.db["pairs"].count_documents({}) == 5


@pytest.mark.gen_test(timeout=60)
async def test_a_round_made_by_another_process_is_current_at_once(api, services, clock, store,
                                                                  matcher_pool, mongo_url):
    """This process keeps the latest round's number between its periodic
    checks; a student alerted of a round another process made must still
    find the new partner when the page asks right away."""
    users = await register_cohort(api, 2)
    token = users[0]["access"]
    status, body = await api.get("/v2/api/pairs/", token=token)
    assert status == 200 and body["current_pair"] is None  # this process has seen no round yet
    elsewhere = await Store.connect(mongo_url, store.db.name, prepare=False)
    try:
        other = RoundService(elsewhere, services.schedule, clock, matcher_pool, owner="server-b")
        assert (await other.run_now())["pairs"] == 1
    finally:
        await elsewhere.close()
    status, body = await api.get("/v2/api/pairs/", token=token)
    assert status == 200, body
    assert body["current_pair"]["partner"]["id"] == users[1]["user"]["id"]


@pytest.mark.gen_test(timeout=60)
async def test_missed_weeks_run_one_round(api, realtime, clock, store):
    await register_cohort(api, 4)
    await realtime.rounds.run_due()          # records when the scheduler first ran
    _monday_after(clock)
    clock.advance(dt.timedelta(weeks=3))      # the server was down for three more weeks
    assert await realtime.rounds.run_due() is not None
    assert await realtime.rounds.run_due() is None
    assert await store.db["rounds"].count_documents({}) == 1


@pytest.mark.gen_test(timeout=60)
async def test_crash_mid_round_is_finished_by_the_retry_without_duplicates(
        api, services, clock, store, matcher_pool):
    await register_cohort(api, 8)
    await store.rounds.first_seen(clock.timestamp())  # the service ran before the slot
    slot = _monday_after(clock)
    # The first owner claimed the slot, saved its plan and wrote part of the
    # pairs, then died.
    round_doc, plan = await _crash_after_plan(store, services, clock, matcher_pool, slot)
    participants = await store.users.participants(round_doc["created_at"])
    await store.pairs.insert_round(round_doc["number"], slot.date().isoformat(), plan[:2], participants)

    retry = RoundService(store, services.schedule, clock, matcher_pool, owner="retry", lease=60)
    assert await retry.run_due() is None, "the crashed owner's lease still holds"
    # Registrations after the crash must not change the interrupted round.
    await api.register("late@example.com")
    clock.advance(61)
    summary = await retry.run_due()
    assert summary is not None and summary["round"] == round_doc["number"]
    pairs = await store.pairs.for_round(round_doc["number"])
    assert len(pairs) == 4
    assert sorted(tuple(p["members"]) for p in pairs) == sorted(tuple(sorted(g)) for g in plan)
    round_after = await store.rounds.get(slot_key(slot))
    assert round_after["state"] == "done" and round_after["attempts"] == 2


@pytest.mark.gen_test(timeout=60)
async def test_history_is_never_repeated_while_avoidable(api, realtime, clock, store):
    await register_cohort(api, 6)
    met = set()
    for week in range(3):
        summary = await realtime.rounds.run_now()
        assert summary["repeats"] == 0, f"week {week}"
        pairs = await store.pairs.for_round(summary["round"])
        now = {tuple(p["members"]) for p in pairs}
        assert not (now & met)
        met |= now


@pytest.mark.gen_test(timeout=60)
async def test_opted_out_users_are_left_out(api, realtime, store):
    users = await register_cohort(api, 5)
    status, _ = await api.patch("/auth/users/me/", {"is_active_pair": False},
                                token=users[0]["access"])
    assert status == 200
    summary = await realtime.rounds.run_now()
    assert summary["participants"] == 4
    status, items = await api.get("/users/api/pairs/", token=users[0]["access"])
    assert items == []


@pytest.mark.gen_test(timeout=60)
async def test_admin_create_pairs_needs_staff(api, store):
    users = await register_cohort(api, 4)
    status, body = await api.post("/admin-api/create-pairs/", token=users[0]["access"])
    assert status == 403
    assert body == {"detail": "You do not have permission to perform this action."}
    await store.users.set_staff(users[0]["user"]["email"])
    status, body = await api.post("/admin-api/create-pairs", token=users[0]["access"])
    assert status == 201
    assert body["participants"] == 4 and body["pairs"] == 2 and body["repeats"] == 0
    status, _ = await api.post("/admin-api/create-pairs/")
    assert status == 401


async def _crash_after_plan(store, services, clock, matcher_pool, slot, lease=60):
    """A first owner claims ``slot``, saves its plan and dies before writing
    pairs; returns the round document and the saved plan."""
    crashed = RoundService(store, services.schedule, clock, matcher_pool, owner="crashed",
                           lease=lease, checkpoint=crash_at(PLANNED))
    with pytest.raises(Crash):
        await crashed.run_due()
    round_doc = await store.rounds.get(slot_key(slot))
    assert round_doc["state"] == "running" and round_doc["owner"] == "crashed"
    assert await store.db["pairs"].count_documents({}) == 0
    return round_doc, [tuple(g) for g in round_doc["plan"]]


@pytest.mark.gen_test(timeout=60)
async def test_retry_finishes_even_when_a_planned_member_opted_out(
        api, services, clock, store, matcher_pool):
    users = await register_cohort(api, 6)
    await store.rounds.first_seen(clock.timestamp())
    slot = _monday_after(clock)
    round_doc, plan = await _crash_after_plan(store, services, clock, matcher_pool, slot)
    await store.users.update(users[0]["user"]["id"], {"is_active_pair": False})
    clock.advance(61)
    retry = RoundService(store, services.schedule, clock, matcher_pool, owner="retry")
    summary = await retry.run_due()
    assert summary is not None and summary["round"] == round_doc["number"]
    assert (await store.rounds.get(slot_key(slot)))["state"] == "done"
    assert await store.db["pairs"].count_documents({}) == 3


@pytest.mark.gen_test(timeout=60)
async def test_an_owner_that_lost_its_claim_writes_nothing(api, services, clock, store,
                                                           matcher_pool):
    await register_cohort(api, 4)
    await store.rounds.first_seen(clock.timestamp())
    _monday_after(clock)
    stall = Stall(CLAIMED)
    stalled = RoundService(store, services.schedule, clock, matcher_pool, owner="stalled",
                           lease=60, checkpoint=stall)
    running = asyncio.ensure_future(stalled.run_due())
    await stall.reached.wait()
    clock.advance(61)  # the stalled owner's lease runs out; a successor finishes the round
    successor = RoundService(store, services.schedule, clock, matcher_pool, owner="successor")
    assert await successor.run_due() is not None
    pairs_before = await store.db["pairs"].count_documents({})
    # The stalled owner wakes up and carries on with its stale claim.
    stall.resume()
    assert await running is None
    assert await store.db["pairs"].count_documents({}) == pairs_before == 2


@pytest.mark.gen_test(timeout=60)
async def test_shutdown_releases_a_running_round_for_an_immediate_retry(
        api, services, clock, store, matcher_pool):
    await register_cohort(api, 4)
    await store.rounds.first_seen(clock.timestamp())
    slot = _monday_after(clock)
    stall = Stall(CLAIMED)
    service = RoundService(store, services.schedule, clock, matcher_pool, owner="stopping",
                           checkpoint=stall)
    running = asyncio.ensure_future(service.run_due())
    await stall.reached.wait()
    await service.release()
    other = RoundService(store, services.schedule, clock, matcher_pool, owner="next-start")
    assert await other.run_due() is not None, "no need to wait out the lease"
    assert (await store.rounds.get(slot_key(slot)))["state"] == "done"
    stall.resume()
    assert await running is None, "the released round is not ours any more"


@pytest.mark.gen_test(timeout=60)
async def test_a_manual_round_cut_off_by_a_crash_is_finished_by_another_process(
        api, services, clock, store, matcher_pool):
    users = await register_cohort(api, 6)
    for i, user in enumerate(users[:4]):
        await store.users.link_telegram(user["user"]["id"], 5000 + i)
    # Staff ran create-pairs; the process died after writing the pairs,
    # before queueing any Telegram notice.
    crashed = RoundService(store, services.schedule, clock, matcher_pool, owner="crashed",
                           notices=RoundNotices(store, clock), checkpoint=crash_at(PAIRED))
    with pytest.raises(Crash):
        await crashed.run_now()
    [round_doc] = await store.db["rounds"].find({}).to_list(None)
    assert round_doc["manual"] and round_doc["state"] == "running"
    assert await store.db["outbox"].count_documents({}) == 0

    survivor = RoundService(store, services.schedule, clock, matcher_pool, owner="survivor",
                            notices=RoundNotices(store, clock))
    await survivor.check()
    assert (await store.rounds.get(round_doc["_id"]))["state"] == "running", "its lease still holds"
    clock.advance(40)
    await survivor.check()
    finished = await store.rounds.get(round_doc["_id"])
    assert finished["state"] == "done" and finished["attempts"] == 2
    assert finished["summary"]["round"] == round_doc["number"]
    assert await store.db["pairs"].count_documents({}) == 3, "the saved plan, not a second one"
    assert await store.db["outbox"].count_documents({"kind": "match"}) == 4
    assert await store.db["outbox"].count_documents({"kind": "feedback"}) == 4
    assert await store.db["rounds"].count_documents({}) == 1, "no extra round"


@pytest.mark.gen_test(timeout=60)
async def test_a_crashed_round_is_finished_within_a_minute(api, services, clock, store,
                                                           matcher_pool):
    await register_cohort(api, 4)
    await store.rounds.first_seen(clock.timestamp())
    slot = _monday_after(clock)
    crashed = RoundService(store, services.schedule, clock, matcher_pool, owner="crashed",
                           checkpoint=crash_at(PLANNED))
    with pytest.raises(Crash):
        await crashed.run_due()
    clock.advance(40)  # a restart and one round check later
    restarted = RoundService(store, services.schedule, clock, matcher_pool, owner="restarted")
    await restarted.check()
    assert (await store.rounds.get(slot_key(slot)))["state"] == "done"


@pytest.mark.gen_test(timeout=60)
async def test_a_live_owner_keeps_its_round_past_the_lease_by_renewing(
        api, services, clock, store, matcher_pool):
    await register_cohort(api, 4)
    stall = Stall(CLAIMED)
    slow = RoundService(store, services.schedule, clock, matcher_pool, owner="slow",
                        lease=30, renew_every=0.01, checkpoint=stall)
    running = asyncio.ensure_future(slow.run_now())
    await stall.reached.wait()
    [claimed] = await store.db["rounds"].find({}).to_list(None)
    for _ in range(3):  # 75 s in all: well past one lease, never past a renewal
        clock.advance(25)
        await _renewed_past(store, claimed["_id"], clock.timestamp())
    other = RoundService(store, services.schedule, clock, matcher_pool, owner="other")
    assert await other.finish_abandoned() == []
    stall.resume()
    summary = await running
    assert summary["round"] == claimed["number"]
    assert (await store.rounds.get(claimed["_id"]))["attempts"] == 1


async def _renewed_past(store, slot, moment, timeout=30.0):
    """Wait until the owner has renewed ``slot``'s lease beyond ``moment``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await store.rounds.get(slot))["lease_until"] <= moment:
        assert loop.time() < deadline, "the owner never renewed its lease"
        await asyncio.sleep(0.01)
