"""Delivering the mail outbox to a real SMTP server on loopback: outages,
refusals, TLS and logins, one sender across processes, exactly one mail
per message; the SMTP settings; what is kept and forgotten."""

import asyncio
import datetime as dt
import logging

import pytest
from smtp_mailbox import PASSWORD, USER, Mailbox, TlsMaterial

from unimatch.config import build_parser, config_from_args, parse_config
from unimatch.delivery import CLAIM_LEASE, MAX_ATTEMPTS, SENDER_LEASE
from unimatch.mail.messages import html_to_text, is_placeholder, reset_mail
from unimatch.mail.queue import MailQueue
from unimatch.mail.sender import MailSender
from unimatch.mail.smtp import SmtpConnection, SmtpServer, parse_smtp_url
from unimatch.store import MAIL_KEPT
from unimatch.wiring import build_mail_sender

SENDER = "noreply@unimatch.test"
EMPTY = {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}


@pytest.fixture
def config_overrides(mailbox):
    return {"smtp_url": mailbox.url, "mail_from": SENDER}


@pytest.fixture
def queue(store, clock):
    return MailQueue(store, clock)


@pytest.fixture
def new_sender(config, services, io_loop):
    """Another server process's sender on the same outbox."""
    made = []

    def new(connection=None):
        sender = build_mail_sender(config, services)
        if connection is not None:
            sender = MailSender(services.store, services.clock, connection, sender=SENDER,
                                site_name=config.site_name, tokens=services.reset.tokens)
        made.append(sender)
        return sender
    yield new
    for sender in made:
        io_loop.run_sync(sender.close)


async def _everyone(api, queue, count, subject="Новости"):
    """Register ``count`` people and queue one message to each."""
    for i in range(count):
        await api.register(f"user{i}@example.com")
    assert await queue.announcement(subject, "<p>Привет!</p>") == count


def _recipients(mailbox):
    return sorted(r for m in mailbox.received for r in m.recipients)


@pytest.mark.gen_test(timeout=30)
async def test_a_server_that_is_down_is_tried_again_later_and_nothing_is_lost(
        api, store, queue, realtime, mailbox, clock, caplog):
    await _everyone(api, queue, 2)
    await mailbox.stop()
    caplog.set_level(logging.INFO)
    assert await realtime.mail_sender.deliver_due() == 0
    docs = [doc async for doc in store.db["mail_outbox"].find({})]
    assert {d["state"] for d in docs} == {"pending"}
    assert [d["attempts"] for d in docs].count(1) == 1, "one try, then every message waits"
    waited = max(d["not_before"] for d in docs) - clock.timestamp()
    assert waited >= 1.0

    await mailbox.start()  # back, on the same port
    assert await realtime.mail_sender.deliver_due() == 0, "not before the backoff"
    clock.advance(waited)
    assert await realtime.mail_sender.deliver_due() == 2
    assert _recipients(mailbox) == ["user0@example.com", "user1@example.com"]
    ours = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("unimatch")]
    assert [level for level, _ in ours if level != "INFO"] == ["WARNING"], ours
    assert any("mail server unreachable" in text for _, text in ours)
    assert any("reachable again" in text for _, text in ours)


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("stage", ["rcpt", "data"])
async def test_a_permanent_refusal_drops_the_message_with_a_log_line(
        api, store, queue, realtime, mailbox, clock, caplog, stage):
    await _everyone(api, queue, 3)
    if stage == "rcpt":
        mailbox.refuse("user1@example.com", "550 5.1.1 No such mailbox")
    else:
        mailbox.refuse_data("554 5.7.1 Message rejected as spam")
    caplog.set_level(logging.WARNING, logger="unimatch")
    assert await realtime.mail_sender.deliver_due() == 2
    assert await store.mail.counts() == {**EMPTY, "sent": 2, "dropped": 1}
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("unimatch")]
    assert "refused message" in line and ("550" in line if stage == "rcpt" else "554" in line)
    assert "@" not in line.split(":", 1)[0], "the log names the message, not the person"
    clock.advance(3600)
    assert await realtime.mail_sender.deliver_due() == 0
    assert len(mailbox.received) == 2


@pytest.mark.gen_test(timeout=30)
async def test_a_temporary_refusal_is_retried_after_a_backoff(
        api, store, queue, realtime, mailbox, clock):
    await _everyone(api, queue, 1)
    mailbox.refuse("user0@example.com", "452 4.2.2 Mailbox full")
    assert await realtime.mail_sender.deliver_due() == 0
    [doc] = [doc async for doc in store.db["mail_outbox"].find({})]
    assert doc["state"] == "pending" and doc["attempts"] == 1 and "452" in doc["last_error"]
    del mailbox.refusals["user0@example.com"]
    clock.advance(doc["not_before"] - clock.timestamp() - 1)
    assert await realtime.mail_sender.deliver_due() == 0, "not before its time"
    # A millisecond past: epoch seconds as floats carry ~1e-7 s of rounding.
    clock.advance(1.001)
    assert await realtime.mail_sender.deliver_due() == 1
    assert _recipients(mailbox) == ["user0@example.com"]


@pytest.mark.gen_test(timeout=60)
async def test_temporary_refusals_give_up_in_the_end(api, store, queue, realtime, mailbox, clock):
    await _everyone(api, queue, 1)
    mailbox.refuse("user0@example.com", "451 4.3.0 Try later")
    for _ in range(MAX_ATTEMPTS):
        clock.advance(3600)
        await realtime.mail_sender.deliver_due()
    assert await store.mail.counts() == {**EMPTY, "dropped": 1}


@pytest.mark.gen_test(timeout=30)
async def test_two_senders_never_send_one_message_twice(
        api, store, queue, realtime, mailbox, clock, new_sender):
    await _everyone(api, queue, 12)
    first, second = new_sender(), new_sender()
    sent = await asyncio.gather(first.deliver_due(), second.deliver_due(),
                                realtime.mail_sender.deliver_due())
    assert sorted(sent) == [0, 0, 12], "one process holds the sender role"
    assert _recipients(mailbox) == sorted(f"user{i}@example.com" for i in range(12))
    assert await store.mail.counts() == {**EMPTY, "sent": 12}


@pytest.mark.gen_test(timeout=30)
async def test_the_role_moves_on_when_its_holder_stops_renewing(
        api, store, queue, mailbox, clock, new_sender):
    await _everyone(api, queue, 4)
    first, second = new_sender(), new_sender()
    assert await first.deliver_due(limit=1) == 1
    assert await second.deliver_due() == 0
    clock.advance(SENDER_LEASE + 1)  # the first died
    assert await second.deliver_due() == 3
    assert await first.deliver_due() == 0, "the role moved on"
    assert len(mailbox.received) == 4 == len(set(_recipients(mailbox)))


@pytest.mark.gen_test(timeout=30)
async def test_a_long_batch_keeps_the_role(api, store, queue, mailbox, clock, new_sender):
    """A slow server makes a batch outlast the role's lease: its sender
    renews the role as it goes, so no second sender joins in."""
    await _everyone(api, queue, 6)
    first, second = new_sender(), new_sender()
    assert await first.deliver_due(limit=1) == 1  # the first holds the role
    mailbox.on_data = lambda: clock.advance(SENDER_LEASE / 2)
    batch = asyncio.ensure_future(first.deliver_due())
    while not batch.done():
        assert await second.deliver_due() == 0
        await asyncio.sleep(0.005)
    assert await batch == 5
    assert len(set(_recipients(mailbox))) == 6 == len(mailbox.received)


@pytest.mark.gen_test(timeout=30)
async def test_a_graceful_stop_hands_the_role_over_at_once(
        api, queue, realtime, mailbox, new_sender):
    await _everyone(api, queue, 2)
    assert await realtime.mail_sender.deliver_due(limit=1) == 1
    await realtime.mail_sender.close()
    assert await realtime.mail_sender.deliver_due() == 0, "a stopped sender sends nothing"
    assert await new_sender().deliver_due() == 1
    assert len(set(_recipients(mailbox))) == 2 == len(mailbox.received)


@pytest.mark.gen_test(timeout=30)
async def test_a_crashed_senders_claim_is_sent_once_it_expires(
        api, store, queue, realtime, mailbox, clock):
    await _everyone(api, queue, 2)
    stuck = await store.mail.claim_due(clock.timestamp(), CLAIM_LEASE)
    assert await realtime.mail_sender.deliver_due() == 1
    clock.advance(CLAIM_LEASE - 1)
    assert await realtime.mail_sender.deliver_due() == 0
    clock.advance(2)
    assert await realtime.mail_sender.deliver_due() == 1
    assert (await store.mail.get(stuck["_id"]))["state"] == "sent"
    assert len(set(_recipients(mailbox))) == 2 == len(mailbox.received)


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_tls_with_a_login(api, store, queue, mailbox, new_sender, security):
    box = Mailbox(security, login=True)
    await box.start()
    try:
        server = parse_smtp_url(box.url)
        assert (server.security, server.user, server.password) == (security, USER, PASSWORD)
        sender = new_sender(SmtpConnection(server, tls=box.tls.client))
        await _everyone(api, queue, 2)
        assert await sender.deliver_due() == 2
        assert _recipients(box) == ["user0@example.com", "user1@example.com"]
        assert box.logins and all(good for _, good in box.logins)
        assert mailbox.received == []
    finally:
        await box.stop()


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("problem, telltale", [
    ("untrusted certificate", "CERTIFICATE_VERIFY_FAILED"), ("wrong password", "535"),
    ("no STARTTLS", "STARTTLS extension not supported")])
async def test_a_server_we_cannot_use_safely_keeps_the_mail(
        api, store, queue, new_sender, problem, telltale):
    box = Mailbox("starttls" if problem != "no STARTTLS" else "plain", login=True)
    await box.start()
    try:
        server = parse_smtp_url(box.url.replace("smtp://", "smtp+starttls://"))
        trust = TlsMaterial().client if problem == "untrusted certificate" else (
            box.tls.client if box.tls else None)
        if problem == "wrong password":
            server = SmtpServer(server.host, server.port, server.security, USER, "wrong")
        sender = new_sender(SmtpConnection(server, tls=trust))
        await _everyone(api, queue, 1)
        assert await sender.deliver_due() == 0
        assert box.received == []
        [doc] = [doc async for doc in store.db["mail_outbox"].find({})]
        assert doc["state"] == "pending", "never dropped for the server's fault"
        assert telltale in doc["last_error"]
    finally:
        await box.stop()


@pytest.mark.gen_test(timeout=60)
async def test_two_server_processes_send_each_message_once(start_server, mailbox, io_loop):
    """Two real servers on one database, both with SMTP: every account gets
    staff's message exactly once."""
    args = ["--smtp-url", mailbox.url, "--mail-from", SENDER]
    one, two = [await io_loop.run_in_executor(None, lambda: start_server(*args))
                for _ in range(2)]

    def arrange():
        for i in range(8):
            one.register(f"user{i}@example.com", "correct-horse-7")
        done = one.cli("create-admin", "user0@example.com")
        assert done.returncode == 0, done.stderr
        status, tokens = two.request("POST", "/api/token/", {"email": "user0@example.com",
                                                              "password": "correct-horse-7"})
        assert status == 200, tokens
        return two.request("POST", "/v2/admin-api/send/emails/",
                           {"subject": "Новости", "html_message": "<p>Привет</p>"},
                           token=tokens["access"])
    assert await io_loop.run_in_executor(None, arrange) == (200, {"SEND_COUNT": "8"})
    for _ in range(200):
        if len(mailbox.received) >= 8:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(2.5)  # both senders poll every second: room for a duplicate
    assert _recipients(mailbox) == sorted(f"user{i}@example.com" for i in range(8))


@pytest.mark.gen_test(timeout=30)
async def test_finished_mail_is_forgotten_after_a_week(api, store, queue, realtime, clock):
    await _everyone(api, queue, 2)
    assert await realtime.mail_sender.deliver_due() == 2
    await queue.announcement("Ещё", "<p>Ещё</p>")  # pending: never forgotten
    clock.advance(MAIL_KEPT - 10)
    assert await store.purge_expired(clock.timestamp()) == 0
    clock.advance(20)
    # the two sent messages and the content only they named
    assert await store.purge_expired(clock.timestamp()) == 3
    assert await store.mail.counts() == {**EMPTY, "pending": 2}
    [pending] = [doc async for doc in store.db["mail_outbox"].find({})][:1]
    assert await store.mail.content(pending["content"]) is not None


# -- settings ---------------------------------------------------------------------------


def test_smtp_urls():
    assert parse_smtp_url("smtp://mail.example.com") == SmtpServer("mail.example.com", 25, "plain")
    assert parse_smtp_url("smtp+starttls://a%40b.ru:p%3Aw%2Fd@smtp.example.com") == SmtpServer(
        "smtp.example.com", 587, "starttls", "a@b.ru", "p:w/d")
    assert parse_smtp_url("SMTPS://u:@smtp.example.com:2465/") == SmtpServer(
        "smtp.example.com", 2465, "tls", "u", "")
    assert "secret" not in repr(parse_smtp_url("smtps://u:secret@h.example"))


@pytest.mark.parametrize("url", ["http://mail.example.com", "smtp://", "smtp://h:port",
                                 "smtp://h/path", "smtp://h?x=1", "smtp://:pw@h", "mail.example"])
def test_a_bad_smtp_url_is_refused_without_repeating_it(url):
    with pytest.raises(ValueError) as refused:
        parse_smtp_url(url)
    assert url not in str(refused.value)


def _config(*argv):
    return config_from_args(build_parser().parse_args(list(argv)), environ={})


def test_mail_settings_are_checked_at_start():
    config = _config("--smtp-url", "smtps://bot%40uni.example:s3cret@smtp.uni.example")
    assert config.mail_sender() == "bot@uni.example"
    assert "s3cret" not in repr(config)
    assert _config("--smtp-url", "smtp://relay.local", "--mail-from", "noreply@uni.example",
                   "--web-client-url", "https://uni.example/app/").web_client_url == \
        "https://uni.example/app"
    for argv, complaint in (
            (["--smtp-url", "smtp://relay.local"], "--mail-from"),
            (["--smtp-url", "smtp://apikey:x@relay.local"], "not an email address"),
            (["--smtp-url", "imap://relay.local"], "smtp://"),
            (["--mail-from", "Ann <ann@uni.example>"], "not an email address"),
            (["--web-client-url", "uni.example"], "--web-client-url"),
            (["--web-client-url", "javascript:alert(1)"], "--web-client-url"),
            (["--site-name", "Uni\nBcc: x@y.z"], "--site-name"),
            (["--reset-lifetime", "0"], "--reset-lifetime")):
        with pytest.raises(ValueError, match=complaint):
            _config(*argv)


def test_the_server_refuses_a_bad_smtp_url_as_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_config(["--smtp-url", "smtp://user:hunter2@mail.example:notaport"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "port" in err and "hunter2" not in err


# -- composing -------------------------------------------------------------------------


def test_the_reset_mail_escapes_what_it_quotes():
    mail = reset_mail(to="ann@example.com", link="https://app.example/password-reset/Mg/x-1?a&b",
                      site_name="Uni & <Co>", sender=SENDER, now=dt.datetime.now(dt.UTC))
    markup = mail.get_body(("html",)).get_content()
    assert "Uni &amp; &lt;Co&gt;" in markup and "<Co>" not in markup
    assert 'href="https://app.example/password-reset/Mg/x-1?a&amp;b"' in markup
    assert mail["Auto-Submitted"] == "auto-generated"


def test_html_to_text():
    assert html_to_text('<p>Hi <a href="https://x.example/">there</a></p><script>x()</script>'
                        "<ul><li>one</li><li>two</li></ul>") == (
        "Hi there (https://x.example/)\n\none\n\ntwo\n")


def test_placeholder_addresses():
    assert is_placeholder("tg_1@telegram.invalid") and is_placeholder("x@INVALID")
    assert not is_placeholder("ann@invalid.example.com")
