"""The two-way bot against the fake Bot API: python-telegram-bot's
Application long-polls the fake, a test plays the student. Linking by
deep link, every command, bad input, and one poller across processes."""

import datetime as dt

import pytest
from conftest import TEST_BOT_TOKEN

from unimatch.telegram import replies
from unimatch.telegram.bot import TelegramBot, build_application
from unimatch.telegram.conversation import Conversation
from unimatch.telegram.notifier import TelegramNotifier, make_bot

TZ = dt.timezone(dt.timedelta(hours=5))  # the service's zone, Asia/Yekaterinburg
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=TZ)  # a Wednesday; rounds are Mondays 10:00
CHAT, OTHER_CHAT = 5001, 5002
LINK_CODE = "/users/api/tg-link-code/"
COMMANDS = ("/status", "/pause 2", "/resume", "/stop", "/unlink", "/help", "/frobnicate",
            "привет")


@pytest.fixture
def config_overrides(fake_telegram):
    return {"telegram_bot_token": TEST_BOT_TOKEN, "telegram_api_url": fake_telegram.url,
            "telegram_bot_username": "unimatch_test_bot"}


@pytest.fixture
def bot(realtime, fake_telegram, io_loop, clock):
    """The server's bot, polling (this process holds the sender role)."""
    clock.set(NOW)

    async def start():
        await realtime.bot.check()
        await fake_telegram.wait_for("getUpdates")
    io_loop.run_sync(start)
    assert realtime.bot.polling
    return realtime.bot


async def _code(api, token, v2=False):
    status, body = await api.post(("/v2/api/tg-link-code/" if v2 else LINK_CODE), token=token)
    assert status == 201, body
    return body["code"]


async def _chat_id(api, registered):
    status, me = await api.get("/auth/users/me/", token=registered["access"])
    return me["chat_id"]


async def _linked(api, fake, chat=CHAT, email="ann@example.com", **fields):
    """A registered student whose chat is linked through the bot."""
    registered = await api.register(email, first_name="Анна", last_name="Иванова", **fields)
    reply = await fake.reply(chat, f"/start {await _code(api, registered['access'])}")
    assert reply.text.startswith("Готово!"), reply.text
    return registered


# -- the link code ---------------------------------------------------------------------

@pytest.mark.gen_test
async def test_a_link_code_is_a_deep_link_into_the_bot_for_ten_minutes(api, clock):
    clock.set(NOW)
    token = (await api.register())["access"]
    for path in (LINK_CODE, "/v2/api/tg-link-code/"):
        status, body = await api.post(path, token=token)
        assert status == 201 and set(body) == {"code", "url", "expires_at"}
        assert body["url"] == f"https://t.me/unimatch_test_bot?start={body['code']}"
        assert len(body["code"]) >= 20 and body["code"].replace("-", "").replace("_", "").isalnum()
        assert body["expires_at"] == "2026-12-02 12:10:00"
    status, body = await api.post(LINK_CODE)
    assert status == 401


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [
    {"telegram_bot_token": TEST_BOT_TOKEN}, {"telegram_bot_username": "unimatch_test_bot"}],
    ids=["no-username", "no-token"])
async def test_without_a_bot_there_is_no_link_code(api, config_overrides):
    token = (await api.register())["access"]
    for path in (LINK_CODE, "/v2/api/tg-link-code/"):
        assert await api.post(path, token=token) == (
            503, {"detail": "No Telegram bot is configured on this server."})


# -- linking ---------------------------------------------------------------------------

@pytest.mark.gen_test(timeout=30)
async def test_start_with_a_code_links_the_chat_and_says_to_whom(api, bot, fake_telegram):
    ann = await api.register("ann@example.com", first_name="Анна", last_name="Иванова")
    reply = await fake_telegram.reply(CHAT, f"/start {await _code(api, ann['access'], v2=True)}")
    assert reply.text == replies.linked({**ann["user"], "email": "ann@example.com"})
    assert "Анна Иванова (ann@example.com)" in reply.text
    assert await _chat_id(api, ann) == CHAT
    # /start alone in a linked chat says whose it is.
    reply = await fake_telegram.reply(CHAT, "/start")
    assert reply.text.startswith("Этот чат привязан к аккаунту Анна Иванова (ann@example.com)")


@pytest.mark.gen_test(timeout=30)
async def test_start_without_a_valid_code_explains_how_to_link(api, bot, fake_telegram):
    assert (await fake_telegram.reply(CHAT, "/start")).text == replies.HOW_TO_LINK
    reply = await fake_telegram.reply(CHAT, "/start not-a-code")
    assert reply.text == replies.CODE_INVALID + "\n\n" + replies.HOW_TO_LINK
    assert "10 минут" in replies.HOW_TO_LINK and "Привязать Telegram" in replies.HOW_TO_LINK


@pytest.mark.gen_test(timeout=30)
async def test_a_code_works_once(api, bot, fake_telegram, store):
    ann = await api.register("ann@example.com")
    code = await _code(api, ann["access"])
    assert (await fake_telegram.reply(CHAT, f"/start {code}")).text.startswith("Готово!")
    # Used again, from another chat: nothing changes.
    assert (await fake_telegram.reply(OTHER_CHAT, f"/start {code}")).text == replies.CODE_USED
    assert await _chat_id(api, ann) == CHAT
    assert await store.users.by_chat(OTHER_CHAT) is None


@pytest.mark.gen_test(timeout=30)
async def test_an_expired_code_changes_nothing(api, bot, fake_telegram, clock):
    ann = await api.register("ann@example.com")
    late, in_time = await _code(api, ann["access"]), await _code(api, ann["access"])
    clock.advance(599)
    assert (await fake_telegram.reply(CHAT, f"/start {in_time}")).text.startswith("Готово!")
    await fake_telegram.reply(CHAT, "/unlink")
    clock.advance(1)  # ten minutes since the codes were made
    assert (await fake_telegram.reply(CHAT, f"/start {late}")).text == replies.CODE_EXPIRED
    assert await _chat_id(api, ann) is None


@pytest.mark.gen_test(timeout=30)
async def test_a_chat_of_another_account_is_not_taken_over(api, bot, fake_telegram):
    ann = await _linked(api, fake_telegram)
    bob = await api.register("bob@example.com")
    code = await _code(api, bob["access"])
    reply = await fake_telegram.reply(CHAT, f"/start {code}")
    assert reply.text == replies.chat_taken({**ann["user"], "first_name": "Анна",
                                             "last_name": "Иванова"})
    assert "Анна Иванова (ann@example.com)" in reply.text and "Ничего не изменилось" in reply.text
    assert await _chat_id(api, ann) == CHAT and await _chat_id(api, bob) is None
    # The code was not spent: it still links a chat of Bob's own.
    assert (await fake_telegram.reply(OTHER_CHAT, f"/start {code}")).text.startswith("Готово!")
    assert await _chat_id(api, bob) == OTHER_CHAT


@pytest.mark.gen_test(timeout=30)
async def test_expired_codes_are_purged(api, store, clock):
    clock.set(NOW)
    token = (await api.register())["access"]
    await _code(api, token)
    assert await store.purge_expired(clock.timestamp() + 599) == 0
    assert await store.purge_expired(clock.timestamp() + 601) == 1
    assert await store.db["telegram_link_codes"].count_documents({}) == 0


# -- commands --------------------------------------------------------------------------

@pytest.mark.gen_test(timeout=30)
async def test_an_unlinked_chat_gets_the_explanation_for_every_command(api, bot, fake_telegram):
    for text in COMMANDS:
        assert (await fake_telegram.reply(CHAT, text)).text == replies.HOW_TO_LINK, text


@pytest.mark.gen_test(timeout=30)
async def test_help_and_anything_unknown_get_the_help(api, bot, fake_telegram):
    await _linked(api, fake_telegram)
    for text in ("/help", "/frobnicate", "/help@unimatch_test_bot", "привет"):
        assert (await fake_telegram.reply(CHAT, text)).text == replies.HELP, text
    for command in ("/status", "/pause N", "/resume", "/stop", "/unlink", "/help"):
        assert command in replies.HELP


@pytest.mark.gen_test(timeout=60)
async def test_status_counts_down_and_names_the_current_partner(api, bot, fake_telegram,
                                                                services, store):
    ann = await _linked(api, fake_telegram)
    reply = await fake_telegram.reply(CHAT, "/status")
    assert reply.text.startswith("До следующего раунда: 4 дня, 22 часа, 0 минут "
                                 "(07.12.2026 в 10:00).")
    assert "пары для вас не нашлось" in reply.text
    await api.register("bob@example.com", first_name="Борис")
    await services.rounds.run_now()
    reply = await fake_telegram.reply(CHAT, "/status")
    assert "Ваш собеседник в этом раунде:\n• Борис (bob@example.com)" in reply.text
    await api.patch("/auth/users/me/", {"is_active_pair": False}, token=ann["access"])
    assert "Вы не участвуете в раундах" in (await fake_telegram.reply(CHAT, "/status")).text


@pytest.mark.gen_test(timeout=30)
async def test_pause_takes_one_to_eight_weeks(api, bot, fake_telegram):
    ann = await _linked(api, fake_telegram)
    for bad in ("/pause", "/pause 0", "/pause 9", "/pause two", "/pause 2 3", "/pause -1",
                "/pause ٢"):
        assert (await fake_telegram.reply(CHAT, bad)).text == replies.PAUSE_USAGE, bad
    status, me = await api.get("/auth/users/me/", token=ann["access"])
    assert me["paused_until"] is None, "nothing changed"
    reply = await fake_telegram.reply(CHAT, "/pause 2")
    assert reply.text == replies.paused("2026-12-16")
    assert reply.text.startswith("Пауза до 16.12.2026 включительно")
    status, me = await api.get("/auth/users/me/", token=ann["access"])
    assert me["paused_until"] == "16-12-2026"
    assert "У вас пауза до 16.12.2026" in (await fake_telegram.reply(CHAT, "/status")).text
    await fake_telegram.reply(CHAT, "/pause 8")
    status, me = await api.get("/auth/users/me/", token=ann["access"])
    assert me["paused_until"] == "27-01-2027"


@pytest.mark.gen_test(timeout=30)
async def test_stop_opts_out_and_resume_opts_back_in(api, bot, fake_telegram):
    ann = await _linked(api, fake_telegram)
    assert (await fake_telegram.reply(CHAT, "/stop")).text == replies.STOPPED
    status, me = await api.get("/auth/users/me/", token=ann["access"])
    assert me["is_active_pair"] is False and me["chat_id"] == CHAT
    await fake_telegram.reply(CHAT, "/pause 3")
    reply = await fake_telegram.reply(CHAT, "/resume")
    assert reply.text == "Вы снова участвуете в раундах. Следующий: 07.12.2026 в 10:00."
    status, me = await api.get("/auth/users/me/", token=ann["access"])
    assert me["is_active_pair"] is True and me["paused_until"] is None


@pytest.mark.gen_test(timeout=60)
async def test_unlink_forgets_the_chat_and_what_was_queued_for_it(api, bot, fake_telegram,
                                                                   store, services):
    ann = await _linked(api, fake_telegram)
    await api.register("bob@example.com")
    await services.rounds.run_now()  # queues Ann's match notice and reminder
    reply = await fake_telegram.reply(CHAT, "/unlink")
    assert reply.text == replies.unlinked({**ann["user"], "first_name": "Анна",
                                           "last_name": "Иванова"})
    assert await _chat_id(api, ann) is None
    assert await store.outbox.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 2}
    assert (await fake_telegram.reply(CHAT, "/status")).text == replies.HOW_TO_LINK


# -- running it ------------------------------------------------------------------------

@pytest.mark.gen_test(timeout=30)
async def test_the_server_starts_and_stops_the_bot_with_its_realtime_parts(
        realtime, fake_telegram, clock):
    clock.set(NOW)
    await realtime.start()  # the bot's periodic check takes the free role and polls
    assert (await fake_telegram.reply(CHAT, "/help")).text == replies.HOW_TO_LINK
    await realtime.stop()
    assert not realtime.bot.polling
    mark = len(fake_telegram.calls)
    await realtime.bot.check()
    assert not realtime.bot.polling and fake_telegram.calls[mark:] == [], "stopped for good"


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"telegram_bot_username": "unimatch_test_bot"}])
async def test_without_a_token_there_is_no_bot(realtime):
    assert realtime.bot is None and realtime.notifier is None


# -- one poller ------------------------------------------------------------------------

@pytest.mark.gen_test(timeout=60)
async def test_only_the_sender_role_holder_polls_and_the_role_moves_on(api, store, clock, services,
                                                                       fake_telegram):
    """Two server processes, "a" and "b", each with its notifier and bot:
    only the one holding the Telegram sender role polls; when it stops
    renewing (it died), the other takes over, and no update is answered twice."""
    clock.set(NOW)

    def process(via):
        url = fake_telegram.url_for(via)
        notifier = TelegramNotifier(store, clock, make_bot(TEST_BOT_TOKEN, url))
        conversation = Conversation(store, clock, services.schedule)
        return notifier, TelegramBot(lambda: build_application(TEST_BOT_TOKEN, url, conversation),
                                     notifier, clock)
    (notifier_a, a), (notifier_b, b) = process("a"), process("b")
    try:
        await a.check()
        await b.check()
        await fake_telegram.wait_for("getUpdates", via="a")
        assert a.polling and not b.polling
        assert (await fake_telegram.reply(CHAT, "/help")).via == "a"
        for _ in range(3):  # "a" renews its role; "b" keeps asking in vain
            clock.advance(20)
            await a.check()
            await b.check()
            assert a.polling and not b.polling

        clock.advance(31)  # "a" stops renewing: as if it hung or died
        await b.check()
        await fake_telegram.wait_for("getUpdates", via="b")
        await a.check()  # "a" finds its role gone and stops polling
        assert b.polling and not a.polling
        mark = len(fake_telegram.calls)
        assert (await fake_telegram.reply(CHAT, "/help")).via == "b"
        assert [c.via for c in fake_telegram.calls[mark:]] == ["b"] * (len(fake_telegram.calls)
                                                                      - mark)
        assert len(fake_telegram.sends(CHAT)) == 2, "each message answered once"
    finally:
        for bot in (a, b):
            await bot.close()
        for notifier in (notifier_a, notifier_b):
            await notifier.close()
