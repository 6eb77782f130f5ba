"""Telegram match notices: a real Bot talking HTTP to a fake Bot API, the
outbox in the real store; exactly one message per linked member per round."""

import asyncio
import collections
import logging

import pytest
from cohorts import register_cohort
from conftest import TEST_BOT_TOKEN
from crashes import Crash, crash_at
from fake_telegram import BAD_GATEWAY, BLOCKED, CHAT_NOT_FOUND, DROP, RETRY_AFTER_1

from unimatch.rounds import NOTIFIED, RoundService, slot_key
from unimatch.telegram.notices import RoundNotices
from unimatch.telegram.notifier import CLAIM_LEASE

FIRST_CHAT = 1001

# RetryAfter's constructor itself warns that retry_after will become a
# timedelta (PTB 22.2+); production ignores DeprecationWarning subclasses.
ignore_retry_after_deprecation = pytest.mark.filterwarnings(
    "ignore:.*attribute `retry_after` will be of type:DeprecationWarning")


@pytest.fixture
def config_overrides(fake_telegram):
    return {"telegram_bot_token": TEST_BOT_TOKEN, "telegram_api_url": fake_telegram.url}


async def _cohort(api, store, count, linked=None):
    """Register ``count`` students; link the first ``linked`` (all by default)
    to chats FIRST_CHAT, FIRST_CHAT + 1, ... Returns the registered bodies."""
    linked = count if linked is None else linked
    users = await register_cohort(api, count)
    for i, body in enumerate(users[:linked]):
        await store.users.link_telegram(body["user"]["id"], FIRST_CHAT + i)
    return users


async def _partners(store, round_no) -> dict[int, set[int]]:
    partners = collections.defaultdict(set)
    for pair in await store.pairs.for_round(round_no):
        a, b = pair["members"]
        partners[a].add(b)
        partners[b].add(a)
    return partners


async def _states(store) -> dict[str, str]:
    """The match notices' states (each round's reminders wait three days:
    tests/test_feedback_reminders.py)."""
    return {doc["_id"]: doc["state"] async for doc in store.db["outbox"].find({"kind": "match"})}


async def _counts(store) -> dict[str, int]:
    """How many match notices are in each state."""
    states = collections.Counter((await _states(store)).values())
    return {state: states[state] for state in ("pending", "sending", "sent", "dropped")}


def _per_chat(fake) -> collections.Counter:
    return collections.Counter(call.chat_id for call in fake.sends())


@pytest.mark.gen_test(timeout=30)
async def test_each_linked_member_gets_one_russian_message_about_the_round(
        api, store, realtime, fake_telegram):
    users = await _cohort(api, store, 7, linked=4)
    summary = await realtime.rounds.run_now()
    assert await realtime.notifier.deliver_due() == 4

    by_id = {u["user"]["id"]: u["user"] for u in users}
    chat_of = {u["user"]["id"]: FIRST_CHAT + i for i, u in enumerate(users[:4])}
    hobby_name = {h["id"]: h["name"] for h in await store.hobbies.all()}
    partners = await _partners(store, summary["round"])
    assert {call.method for call in fake_telegram.calls} == {"getMe", "sendMessage"}
    assert {call.token for call in fake_telegram.calls} == {TEST_BOT_TOKEN}
    assert _per_chat(fake_telegram) == {chat: 1 for chat in chat_of.values()}
    for user_id, chat_id in chat_of.items():
        [call] = fake_telegram.sends(chat_id)
        assert call.text.startswith(f"🎉 Привет, {by_id[user_id]['first_name']}!")
        assert "Напишите друг другу" in call.text
        mine = set(by_id[user_id]["hobby"])
        for partner_id in partners[user_id]:
            partner = by_id[partner_id]
            assert f"{partner['first_name']} {partner['last_name']} — {partner['email']}" in call.text
            shared = sorted(hobby_name[h] for h in mine & set(partner["hobby"]))
            if shared:
                assert f"Общие увлечения: {', '.join(shared)}" in call.text
        others = set(by_id) - partners[user_id] - {user_id}
        assert not any(by_id[o]["email"] in call.text for o in others)
    assert await _states(store) == {f"{summary['round']}:{u}": "sent" for u in chat_of}


@pytest.mark.gen_test(timeout=30)
async def test_retried_round_and_repeated_delivery_send_nothing_more(
        api, store, realtime, services, clock, matcher_pool, fake_telegram, new_notifier):
    await _cohort(api, store, 4)
    await store.rounds.first_seen(clock.timestamp())
    clock.advance(7 * 24 * 3600)
    # A first owner ran the round up to its messages, which went out, then
    # died before marking the round done.
    notices = RoundNotices(store, clock)
    crashed = RoundService(store, services.schedule, clock, matcher_pool, owner="crashed",
                           lease=60, notices=notices, checkpoint=crash_at(NOTIFIED))
    with pytest.raises(Crash):
        await crashed.run_due()
    slot = slot_key(services.schedule.previous(clock.now()))
    round_doc = await store.rounds.get(slot)
    assert round_doc["state"] == "running"
    assert await realtime.notifier.deliver_due() == 4

    clock.advance(61)
    retry = RoundService(store, services.schedule, clock, matcher_pool, owner="retry", lease=60,
                         notices=notices)
    summary = await retry.run_due()
    assert summary["round"] == round_doc["number"]
    assert (await store.rounds.get(slot))["attempts"] == 2
    # The retry queued the round's notices again: the same ids, so nothing new.
    assert await notices.enqueue(round_doc["number"], [tuple(g) for g in round_doc["plan"]],
                                 await store.users.participants(round_doc["created_at"])) == 0
    clock.advance(10)
    assert await realtime.notifier.deliver_due() == 0
    # A fresh sender, with no memory of what went out, finds nothing either.
    assert await new_notifier().deliver_due() == 0
    assert _per_chat(fake_telegram) == {FIRST_CHAT + i: 1 for i in range(4)}
    assert await _counts(store) == {"pending": 0, "sending": 0, "sent": 4, "dropped": 0}


@pytest.mark.gen_test(timeout=30)
async def test_restart_midway_sends_every_message_exactly_once(
        api, store, realtime, fake_telegram, new_notifier):
    await _cohort(api, store, 6)
    await realtime.rounds.run_now()
    assert await realtime.notifier.deliver_due(limit=2) == 2
    await realtime.notifier.close()
    assert await realtime.notifier.deliver_due() == 0, "a stopped notifier sends nothing"

    assert await new_notifier().deliver_due() == 4
    assert _per_chat(fake_telegram) == {FIRST_CHAT + i: 1 for i in range(6)}
    assert set((await _states(store)).values()) == {"sent"}


@pytest.mark.gen_test(timeout=30)
async def test_graceful_stop_finishes_the_message_in_hand(
        api, store, realtime, fake_telegram, new_notifier):
    await _cohort(api, store, 2)
    await realtime.rounds.run_now()
    release = fake_telegram.hold_next()
    delivery = asyncio.ensure_future(realtime.notifier.deliver_due())
    await fake_telegram.held.wait()          # Telegram has the first message
    stopping = asyncio.ensure_future(realtime.notifier.close())
    await asyncio.sleep(0)                   # the stop has begun: it waits for the message
    assert not stopping.done()
    release.set()                            # ... which Telegram answers during the stop
    assert await delivery == 1
    await stopping
    assert await _counts(store) == {"pending": 1, "sending": 0, "sent": 1, "dropped": 0}

    assert await new_notifier().deliver_due() == 1
    assert _per_chat(fake_telegram) == {FIRST_CHAT: 1, FIRST_CHAT + 1: 1}


@pytest.mark.gen_test(timeout=30)
async def test_a_crashed_senders_message_is_sent_once_its_claim_expires(
        api, store, realtime, clock, fake_telegram):
    await _cohort(api, store, 3)
    await realtime.rounds.run_now()
    # A sender claimed one message and died before sending or recording it.
    stuck = await store.outbox.claim_due(clock.timestamp(), CLAIM_LEASE)
    assert await realtime.notifier.deliver_due() == 2
    clock.advance(CLAIM_LEASE - 5)
    assert await realtime.notifier.deliver_due() == 0
    assert (await store.outbox.get(stuck["_id"]))["state"] == "sending"
    clock.advance(10)
    assert await realtime.notifier.deliver_due() == 1
    assert (await store.outbox.get(stuck["_id"]))["state"] == "sent"
    assert _per_chat(fake_telegram) == {FIRST_CHAT + i: 1 for i in range(3)}


@ignore_retry_after_deprecation
@pytest.mark.gen_test(timeout=30)
async def test_retry_after_pauses_all_sending_then_delivers_once(
        api, store, realtime, clock, fake_telegram):
    await _cohort(api, store, 2)
    await realtime.rounds.run_now()
    fake_telegram.fail_next(RETRY_AFTER_1)
    assert await realtime.notifier.deliver_due() == 0
    [refused] = fake_telegram.sends(delivered=False)
    assert refused.status == 429
    doc = await store.db["outbox"].find_one({"chat_id": refused.chat_id})
    assert doc["state"] == "pending" and doc["attempts"] == 0
    assert doc["not_before"] > clock.timestamp()

    clock.advance(0.9)  # Telegram asked for a second
    assert await realtime.notifier.deliver_due() == 0
    assert len(fake_telegram.sends(delivered=False)) == 1, "nothing at all is sent while paused"
    clock.advance(0.2)
    assert await realtime.notifier.deliver_due() == 2

    calls = fake_telegram.sends(refused.chat_id, delivered=False)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0
    assert _per_chat(fake_telegram) == {FIRST_CHAT: 1, FIRST_CHAT + 1: 1}
    assert set((await _states(store)).values()) == {"sent"}


@pytest.mark.gen_test(timeout=30)
async def test_blocked_bot_unlinks_the_chat_and_drops_its_messages(
        api, store, realtime, clock, fake_telegram):
    users = await _cohort(api, store, 3, linked=2)
    blocked_chat = FIRST_CHAT + 1
    fake_telegram.fail_chat(blocked_chat, BLOCKED)
    first = await realtime.rounds.run_now()
    second = await realtime.rounds.run_now()  # queued before anything went out
    assert await realtime.notifier.deliver_due() == 1

    status, me = await api.get("/auth/users/me/", token=users[1]["access"])
    assert status == 200 and me["chat_id"] is None
    blocker = users[1]["user"]["id"]
    states = await _states(store)
    assert states[f"{first['round']}:{blocker}"] == "dropped"
    assert states[f"{second['round']}:{blocker}"] == "dropped"
    # The link is gone: the chat can belong to someone else now.
    relinked = await store.users.link_telegram(users[2]["user"]["id"], blocked_chat)
    assert relinked["chat_id"] == blocked_chat

    clock.advance(3600)  # past the per-chat interval of the other chat
    assert await realtime.notifier.deliver_due() == 1  # the other member's second message
    assert len(fake_telegram.sends(blocked_chat, delivered=False)) == 1, "never retried"
    assert _per_chat(fake_telegram) == {FIRST_CHAT: 2}


@pytest.mark.gen_test(timeout=30)
async def test_refused_message_is_dropped_and_the_rest_go_out(
        api, store, realtime, clock, fake_telegram):
    users = await _cohort(api, store, 2)
    fake_telegram.fail_chat(FIRST_CHAT, CHAT_NOT_FOUND)
    summary = await realtime.rounds.run_now()
    assert await realtime.notifier.deliver_due() == 1
    states = await _states(store)
    assert states[f"{summary['round']}:{users[0]['user']['id']}"] == "dropped"
    assert states[f"{summary['round']}:{users[1]['user']['id']}"] == "sent"
    clock.advance(3600)
    assert await realtime.notifier.deliver_due() == 0
    assert len(fake_telegram.sends(FIRST_CHAT, delivered=False)) == 1


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("failure", [BAD_GATEWAY, DROP], ids=["502", "connection-drop"])
async def test_network_error_retries_after_a_backoff(
        api, store, realtime, clock, fake_telegram, failure):
    users = await _cohort(api, store, 1)
    await api.register("unlinked@example.com")
    summary = await realtime.rounds.run_now()
    message_id = f"{summary['round']}:{users[0]['user']['id']}"
    fake_telegram.fail_next(failure)
    assert await realtime.notifier.deliver_due() == 0
    doc = await store.outbox.get(message_id)
    assert doc["state"] == "pending" and doc["attempts"] == 1
    wait = doc["not_before"] - clock.timestamp()
    assert wait > 1.0

    clock.advance(wait - 0.5)
    assert await realtime.notifier.deliver_due() == 0
    assert len(fake_telegram.sends(delivered=False)) == 1, "not resent before the backoff"
    clock.advance(1.0)
    assert await realtime.notifier.deliver_due() == 1
    assert [c.status for c in fake_telegram.sends(delivered=False)] == [
        0 if failure == DROP else 502, 200]
    assert (await store.outbox.get(message_id))["state"] == "sent"


@pytest.mark.gen_test(timeout=30)
async def test_at_most_25_messages_in_any_second(api, store, realtime, fake_telegram):
    await _cohort(api, store, 30)
    await realtime.rounds.run_now()
    assert await realtime.notifier.deliver_due() == 30

    times = sorted(call.at for call in fake_telegram.sends())
    assert len(times) == 30 and len(_per_chat(fake_telegram)) == 30
    # Sends are 1/25 s apart on the clock; timestamps near 1.7e9 s carry
    # about 2e-7 s of float rounding, hence the microsecond of slack.
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 1 / 25 - 1e-6
    busiest = max(sum(1 for t in times if start <= t < start + 1.0 - 1e-6) for start in times)
    assert busiest <= 25


@pytest.mark.gen_test(timeout=30)
async def test_at_most_one_message_a_second_per_chat(api, store, realtime, clock, fake_telegram):
    await _cohort(api, store, 4)
    first = await realtime.rounds.run_now()
    second = await realtime.rounds.run_now()
    assert await realtime.notifier.deliver_due() == 4
    assert await realtime.notifier.deliver_due() == 0, "each chat waits a second"
    assert await _counts(store) == {"pending": 4, "sending": 0, "sent": 4, "dropped": 0}
    clock.advance(1.0)
    assert await realtime.notifier.deliver_due() == 4

    assert set((await _states(store)).values()) == {"sent"}
    rounds = {first["round"], second["round"]}
    assert {doc["round"] async for doc in store.db["outbox"].find({})} == rounds
    for chat_id in range(FIRST_CHAT, FIRST_CHAT + 4):
        one, two = fake_telegram.sends(chat_id)
        assert two.at - one.at >= 1.0


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("config_overrides", [{"telegram_bot_token": None}])
async def test_without_a_token_notifications_are_off(api, store, realtime, fake_telegram):
    await _cohort(api, store, 4, linked=2)
    assert realtime.notifier is None and realtime.rounds.notices is None
    summary = await realtime.rounds.run_now()
    assert summary["participants"] == 4 and summary["pairs"] == 2
    assert await _counts(store) == {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}
    assert fake_telegram.calls == []


@pytest.mark.gen_test(timeout=30)
async def test_only_one_process_sends_at_a_time(api, store, realtime, fake_telegram, clock,
                                                new_notifier):
    """Telegram's limits are per bot: a second server's notifier stays idle
    while the first holds the sender role, and takes over once it lapses."""
    await _cohort(api, store, 4)
    await realtime.rounds.run_now()
    first, second = new_notifier(), new_notifier()
    assert await first.deliver_due(limit=1) == 1
    assert await second.deliver_due() == 0, "the role is held by the first"
    clock.advance(31)  # the first stops renewing (as if it died)
    assert await second.deliver_due() == 3
    assert await first.deliver_due() == 0, "the role moved on"
    assert sorted(_per_chat(fake_telegram).values()) == [1, 1, 1, 1]


@pytest.mark.gen_test(timeout=30)
async def test_an_unreachable_telegram_is_tried_less_and_less_and_logged_once(
        store, clock, fake_telegram, new_notifier, caplog):
    """An outage of minutes is a warning when it starts and a line when it
    ends, with tries spaced out exponentially, not one a second."""
    fake_telegram.down = DROP  # every connection closes without an answer
    notifier = new_notifier()
    caplog.set_level(logging.INFO)
    for _ in range(90):  # the periodic check, once a second for 90 s
        clock.advance(1)
        await notifier.check()
    tries = [call for call in fake_telegram.calls if call.method == "getMe"]
    assert 5 <= len(tries) <= 7, [call.at for call in tries]
    gaps = [b.at - a.at for a, b in zip(tries, tries[1:], strict=False)]
    assert gaps == sorted(gaps) and gaps[-1] >= 16
    ours = [r for r in caplog.records if r.name.startswith(("unimatch", "telegram", "httpx"))]
    logged = [(r.levelname, r.getMessage()) for r in ours]
    assert [level for level, _ in logged] == ["WARNING"], logged
    assert "Telegram unreachable" in logged[0][1]

    fake_telegram.down = None
    for _ in range(70):
        clock.advance(1)
        await notifier.check()
    ours = [r for r in caplog.records if r.name.startswith(("unimatch", "telegram", "httpx"))]
    assert any("reachable again" in r.getMessage() for r in ours), ours
    assert sum(1 for r in ours if r.levelno >= logging.WARNING) == 1
