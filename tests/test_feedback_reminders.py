""""Did you meet?" reminders in Telegram: queued with a round's notices, sent
once three days later with two buttons, and a press recorded by the bot."""

import collections
import datetime as dt

import pytest
from cohorts import register_cohort
from conftest import TEST_BOT_TOKEN

from unimatch.rounds import NOTIFIED, RoundService
from unimatch.telegram import replies
from unimatch.telegram.notices import RoundNotices
from unimatch.telegram.reminders import button_data

TZ = dt.timezone(dt.timedelta(hours=5))  # the service's zone, Asia/Yekaterinburg
NOW = dt.datetime(2026, 12, 7, 10, 0, 30, tzinfo=TZ)  # a Monday, just after the round time
THREE_DAYS = 3 * 24 * 3600
FIRST_CHAT = 7001
BARRIER_CHAT = 1
BUTTONS = ["Мы встретились", "Не получилось"]


@pytest.fixture
def config_overrides(fake_telegram):
    return {"telegram_bot_token": TEST_BOT_TOKEN, "telegram_api_url": fake_telegram.url}


async def _round(api, store, realtime, clock, count, linked=None):
    """``count`` students (the first ``linked`` with chats FIRST_CHAT...) and
    a round for them, its match notices sent. Returns the registration bodies."""
    clock.set(NOW)
    users = await register_cohort(api, count)
    for i, body in enumerate(users[:count if linked is None else linked]):
        await store.users.link_telegram(body["user"]["id"], FIRST_CHAT + i)
    await realtime.rounds.run_now()
    await realtime.notifier.deliver_due()
    return users


def _reminders(fake, chat_id=None):
    return [call for call in fake.sends(chat_id) if call.buttons]


async def _reminded(api, store, realtime, clock, fake, count):
    """A round of ``count`` linked students, three days on: their reminders
    sent. Returns the registration bodies and the first student's reminder."""
    users = await _round(api, store, realtime, clock, count)
    clock.advance(THREE_DAYS)
    await realtime.notifier.deliver_due()
    [reminder] = _reminders(fake, FIRST_CHAT)
    return users, reminder


async def _pairs(api, registered):
    token = await api.login(registered["user"]["email"])
    status, items = await api.get("/users/api/pairs/", token=token)
    return items


@pytest.mark.gen_test(timeout=60)
async def test_three_days_after_a_round_each_linked_member_gets_one_reminder(
        api, store, realtime, clock, fake_telegram):
    users = await _round(api, store, realtime, clock, 5, linked=4)  # a pair and a trio
    assert _reminders(fake_telegram) == []
    clock.advance(THREE_DAYS - 60)
    assert await realtime.notifier.deliver_due() == 0, "not before three days"
    clock.advance(60)
    assert await realtime.notifier.deliver_due() == 4
    assert await realtime.notifier.deliver_due() == 0

    by_chat = collections.Counter(call.chat_id for call in _reminders(fake_telegram))
    assert by_chat == {FIRST_CHAT + i: 1 for i in range(4)}
    pair_of = {}
    for i, body in enumerate(users[:4]):
        [reminder] = _reminders(fake_telegram, FIRST_CHAT + i)
        assert reminder.text.startswith(f"👋 Привет, Имя{i}! Несколько дней назад UniMatch")
        first = min(item["id"] for item in await _pairs(api, body))
        assert reminder.buttons == [(BUTTONS[0], button_data(first, True)),
                                    (BUTTONS[1], button_data(first, False))]
        pair_of[body["user"]["id"]] = first
    # The partners are named; a trio names both.
    for i, body in enumerate(users[:4]):
        [reminder] = _reminders(fake_telegram, FIRST_CHAT + i)
        for item in await _pairs(api, body):
            partner = item["partner"]
            assert f"{partner['first_name']} {partner['last_name']}" in reminder.text


@pytest.mark.gen_test(timeout=60)
async def test_reminders_go_out_once_across_a_restart_and_a_retried_round(
        api, store, realtime, clock, fake_telegram, new_notifier):
    await _round(api, store, realtime, clock, 6)
    clock.advance(THREE_DAYS)
    assert await realtime.notifier.deliver_due(limit=2) == 2
    await realtime.notifier.close()  # a restart
    notifier = new_notifier()
    assert await notifier.deliver_due() == 4
    # The round's notices queued again (a retried last step): nothing new.
    round_doc = await store.db["rounds"].find_one({})
    groups = [tuple(p["group"]) for p in await store.pairs.for_round(round_doc["number"])]
    assert await RoundNotices(store, clock).enqueue(round_doc["number"], groups, {}) == 0
    clock.advance(3600)
    assert await notifier.deliver_due() == 0
    assert await new_notifier().deliver_due() == 0
    assert collections.Counter(c.chat_id for c in _reminders(fake_telegram)) == {
        FIRST_CHAT + i: 1 for i in range(6)}


@pytest.mark.gen_test(timeout=60)
async def test_a_round_that_crashed_after_queueing_queues_its_reminders_once(
        api, store, services, clock, fake_telegram, new_notifier, matcher_pool):
    clock.set(NOW)
    users = await register_cohort(api, 4)
    for i, body in enumerate(users):
        await store.users.link_telegram(body["user"]["id"], FIRST_CHAT + i)
    notices = RoundNotices(store, clock)

    async def crash(step, number):
        if step == NOTIFIED:
            raise RuntimeError("killed")
    crashed = RoundService(store, services.schedule, clock, matcher_pool, owner="crashed",
                           notices=notices, checkpoint=crash)
    with pytest.raises(RuntimeError):
        await crashed.run_now()
    clock.advance(40)
    survivor = RoundService(store, services.schedule, clock, matcher_pool, owner="survivor",
                            notices=notices)
    assert len(await survivor.finish_abandoned()) == 1
    assert await store.db["outbox"].count_documents({"kind": "feedback"}) == 4
    notifier = new_notifier()
    assert await notifier.deliver_due() == 4  # the match notices
    clock.advance(THREE_DAYS)
    assert await notifier.deliver_due() == 4
    assert collections.Counter(c.chat_id for c in _reminders(fake_telegram)) == {
        FIRST_CHAT + i: 1 for i in range(4)}


@pytest.mark.gen_test(timeout=60)
async def test_a_reminder_is_not_sent_once_answered_or_unlinked(api, store, realtime, clock,
                                                                fake_telegram):
    users = await _round(api, store, realtime, clock, 4)
    answered, unlinked, relinked = users[0], users[1], users[2]
    for item in await _pairs(api, answered):
        token = await api.login(answered["user"]["email"])
        await api.post(f"/users/api/pairs/{item['id']}/feedback/", {"met": True}, token=token)
    await store.users.unlink_telegram(FIRST_CHAT + 1)
    await store.users.link_telegram(relinked["user"]["id"], 9999)  # a new chat since
    clock.advance(THREE_DAYS)
    assert await realtime.notifier.deliver_due() == 1
    assert [c.chat_id for c in _reminders(fake_telegram)] == [FIRST_CHAT + 3]
    states = {doc["_id"]: (doc["state"], doc.get("last_error")) async for doc in
              store.db["outbox"].find({"kind": "feedback"})}
    number = (await store.db["rounds"].find_one({}))["number"]
    assert states[f"feedback:{number}:{answered['user']['id']}"] == ("dropped", "answered already")
    for body in (unlinked, relinked):
        assert states[f"feedback:{number}:{body['user']['id']}"] == (
            "dropped", "the chat is no longer linked to the user")


# -- pressing the buttons ----------------------------------------------------------------

@pytest.fixture
def polling(realtime, fake_telegram, io_loop):
    """The server's bot, polling."""
    async def start():
        await realtime.bot.check()
        await fake_telegram.wait_for("getUpdates")
    io_loop.run_sync(start)
    return realtime.bot


async def _press(fake, reminder, data):
    """Press a button under ``reminder``; returns the answerCallbackQuery
    call, once the press is handled completely (edit included)."""
    mark = len(fake.calls)
    await fake.press(reminder, data)
    [answer] = await fake.wait_for("answerCallbackQuery", after=mark)
    # The bot handles updates in order: once a later message is answered,
    # the press is done with.
    await fake.reply(BARRIER_CHAT, "/help")
    return answer


@pytest.mark.gen_test(timeout=60)
async def test_pressing_met_records_it_for_the_whole_group_and_edits_the_reminder(
        api, store, realtime, clock, fake_telegram, polling):
    users, reminder = await _reminded(api, store, realtime, clock, fake_telegram, 3)  # a trio
    mark = len(fake_telegram.calls)
    answer = await _press(fake_telegram, reminder, reminder.buttons[0][1])
    assert answer.params["text"] == replies.BUTTON_COUNTED
    [edit] = await fake_telegram.wait_for("editMessageText", FIRST_CHAT, after=mark)
    assert edit.status == 200
    assert edit.text == reminder.text + "\n\n✅ Ответ учтён: мы встретились. Спасибо!"
    assert "reply_markup" not in edit.params, "the buttons are gone"
    assert [i["my_feedback"] for i in await _pairs(api, users[0])] == [
        {"met": True, "rating": None}] * 2
    assert [i["my_feedback"] for i in await _pairs(api, users[1])] == [None, None]


@pytest.mark.gen_test(timeout=60)
async def test_a_button_keeps_a_rating_given_on_the_web_while_met_stays_true(
        api, store, realtime, clock, fake_telegram, polling):
    users = await _round(api, store, realtime, clock, 3)  # a trio
    first, second = sorted(i["id"] for i in await _pairs(api, users[0]))
    token = await api.login(users[0]["user"]["email"])
    await api.post(f"/users/api/pairs/{first}/feedback/", {"met": True, "rating": 5}, token=token)
    clock.advance(THREE_DAYS)
    await realtime.notifier.deliver_due()
    [reminder] = _reminders(fake_telegram, FIRST_CHAT)  # one pair of two is still unanswered
    await _press(fake_telegram, reminder, reminder.buttons[0][1])
    answers = {i["id"]: i["my_feedback"] for i in await _pairs(api, users[0])}
    assert answers == {first: {"met": True, "rating": 5}, second: {"met": True, "rating": None}}
    await _press(fake_telegram, reminder, reminder.buttons[1][1])  # changed its mind
    answers = {i["id"]: i["my_feedback"] for i in await _pairs(api, users[0])}
    assert answers == {first: {"met": False, "rating": None}, second: {"met": False, "rating": None}}


@pytest.mark.gen_test(timeout=60)
async def test_a_button_for_someone_elses_pair_is_only_answered(api, store, realtime, clock,
                                                                fake_telegram, polling):
    users, mine = await _reminded(api, store, realtime, clock, fake_telegram, 4)
    [theirs] = [i["id"] for i in await _pairs(api, users[2])]
    for data, notice in ((button_data(theirs, True), replies.BUTTON_NOT_YOURS),
                         (button_data(999999, False), replies.BUTTON_NOT_YOURS),
                         ("met:abc:1", replies.BUTTON_UNKNOWN),
                         ("something else", replies.BUTTON_UNKNOWN)):
        answer = await _press(fake_telegram, mine, data)
        assert answer.params["text"] == notice, data
    # Pressed from a chat that is not linked (a forwarded keyboard, say).
    await store.users.unlink_telegram(FIRST_CHAT + 1)
    [other] = _reminders(fake_telegram, FIRST_CHAT + 1)
    answer = await _press(fake_telegram, other, other.buttons[0][1])
    assert answer.params["text"] == replies.BUTTON_NOT_LINKED
    assert await store.db["feedback"].count_documents({}) == 0
    assert fake_telegram.of("editMessageText", delivered=False) == []


@pytest.mark.gen_test(timeout=60)
async def test_a_second_press_sends_nothing_new(api, store, realtime, clock, fake_telegram,
                                               polling):
    users, reminder = await _reminded(api, store, realtime, clock, fake_telegram, 2)
    await _press(fake_telegram, reminder, reminder.buttons[1][1])
    sent = len(fake_telegram.sends(FIRST_CHAT))
    # The same press again (Telegram delivers a double tap twice).
    answer = await _press(fake_telegram, reminder, reminder.buttons[1][1])
    assert answer.params["text"] == replies.BUTTON_COUNTED
    edits = fake_telegram.of("editMessageText", delivered=False)
    assert [e.status for e in edits] == [200, 400], "the second edit changes nothing"
    assert len(fake_telegram.sends(FIRST_CHAT)) == sent
    assert [i["my_feedback"] for i in await _pairs(api, users[0])] == [{"met": False,
                                                                        "rating": None}]


@pytest.mark.gen_test(timeout=60)
async def test_a_press_after_four_weeks_is_refused(api, store, realtime, clock, fake_telegram,
                                                   polling):
    users, reminder = await _reminded(api, store, realtime, clock, fake_telegram, 2)
    clock.advance(25 * 24 * 3600)
    answer = await _press(fake_telegram, reminder, reminder.buttons[0][1])
    assert answer.params["text"] == replies.BUTTON_CLOSED
    assert [i["my_feedback"] for i in await _pairs(api, users[0])] == [None]
