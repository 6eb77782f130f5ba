"""Staff's mail to everyone (v2 endpoint 20) and its operator command,
``unimatch send-email``: queued in the mail outbox, delivered to a real SMTP
server on loopback."""

import pytest

from unimatch.store.users import NO_PASSWORD

SEND = "/v2/admin-api/send/emails/"
SENDER = "noreply@unimatch.test"
HTML = "<h1>Новый семестр</h1><p>Встречи снова <b>каждую неделю</b>.</p>"


@pytest.fixture
def config_overrides(mailbox):
    return {"smtp_url": mailbox.url, "mail_from": SENDER, "site_name": "UniMatch"}


async def _staff(api, store, email="boss@example.com"):
    body = await api.register(email)
    await store.users.set_staff(email)
    return body["access"]


@pytest.mark.gen_test(timeout=30)
async def test_every_account_with_a_real_address_gets_the_message(
        api, store, realtime, mailbox):
    token = await _staff(api, store)
    await api.register("ann@example.com")
    await api.patch("/auth/users/me/", {"is_active_pair": False},
                    token=(await api.register("bob@example.com"))["access"])
    await store.users.create(email="tg_7@telegram.invalid", password_hash=NO_PASSWORD,
                             created_at=0.0)

    status, body = await api.post(SEND, {"subject": "Новости", "html_message": HTML}, token=token)
    assert (status, body) == (200, {"SEND_COUNT": "3"})
    assert mailbox.received == [], "queued, not sent during the request"
    assert await realtime.mail_sender.deliver_due() == 3
    assert sorted(r for m in mailbox.received for r in m.recipients) == [
        "ann@example.com", "bob@example.com", "boss@example.com"]
    for mail in mailbox.received:
        assert mail.mail["Subject"] == "Новости"
        assert mail.mail["From"].addresses[0].addr_spec == SENDER
        assert mail.html == HTML + "\n"
        assert mail.text == "Новый семестр\n\nВстречи снова каждую неделю.\n"
    assert await realtime.mail_sender.deliver_due() == 0


@pytest.mark.gen_test(timeout=30)
async def test_staff_only(api, store):
    status, body = await api.post(SEND, {"subject": "s", "html_message": "m"})
    assert status == 401 and set(body) == {"detail"}
    ann = await api.register("ann@example.com")
    status, body = await api.post(SEND, {"subject": "s", "html_message": "m"},
                                  token=ann["access"])
    assert status == 403 and set(body) == {"detail"}
    assert await store.mail.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("body", [
    {}, {"subject": "Новости"}, {"html_message": HTML}, {"subject": "", "html_message": HTML},
    {"subject": "Новости", "html_message": "  \n"}, {"subject": " \r\n", "html_message": HTML},
    {"subject": None, "html_message": HTML}, {"subject": 5, "html_message": HTML},
    {"subject": "Новости", "html_message": ["<p>"]},
])
async def test_a_subject_and_a_message_are_both_needed(api, store, body):
    token = await _staff(api, store)
    status, answer = await api.post(SEND, body, token=token)
    assert (status, answer) == (400, {"message": "No message"})
    assert await store.mail.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}


@pytest.mark.gen_test(timeout=30)
async def test_a_subject_is_one_line(api, store, realtime, mailbox):
    token = await _staff(api, store)
    status, body = await api.post(SEND, {"subject": "Новости\r\nBcc: all@example.com",
                                         "html_message": HTML}, token=token)
    assert (status, body) == (200, {"SEND_COUNT": "1"})
    assert await realtime.mail_sender.deliver_due() == 1
    [mail] = mailbox.received
    assert mail.mail["Subject"] == "Новости Bcc: all@example.com"
    assert mail.mail["Bcc"] is None and mail.recipients == ["boss@example.com"]


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("config_overrides", [{}], ids=["no-smtp"])
async def test_without_smtp_nothing_is_queued(api, store):
    token = await _staff(api, store)
    status, body = await api.post(SEND, {"subject": "s", "html_message": "m"}, token=token)
    assert status == 503 and set(body) == {"detail"}
    assert await store.mail.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}


@pytest.mark.gen_test(timeout=60)
async def test_the_send_email_command_queues_for_the_server_to_send(
        api, store, realtime, mailbox, cli, tmp_path, io_loop, clock):
    await api.register("ann@example.com")
    await api.register("bob@example.com")
    await store.users.create(email="tg_7@telegram.invalid", password_hash=NO_PASSWORD,
                             created_at=0.0)
    letter = tmp_path / "letter.html"
    letter.write_text(HTML, encoding="utf-8")

    done = await io_loop.run_in_executor(
        None, lambda: cli("send-email", "--subject", "Новости", "--html-file", str(letter)))
    assert done.returncode == 0, done.stderr
    assert "queued 2 messages" in done.stdout
    clock.advance(5)  # the command queued on the real clock, a moment after the test's
    assert await realtime.mail_sender.deliver_due() == 2
    assert sorted(r for m in mailbox.received for r in m.recipients) == [
        "ann@example.com", "bob@example.com"]
    assert {m.mail["Subject"] for m in mailbox.received} == {"Новости"}

    done = await io_loop.run_in_executor(
        None, lambda: cli("send-email", "--subject", "Из трубы", "--html-file", "-",
                          stdin="<p>Привет</p>"))
    assert done.returncode == 0 and "queued 2 messages" in done.stdout, done.stderr


@pytest.mark.first_lane
@pytest.mark.parametrize("args, complaint", [
    (["--subject", " ", "--html-file", "letter.html"], "must not be empty"),
    (["--subject", "s", "--html-file", "missing.html"], "cannot read missing.html"),
    (["--subject", "s"], "--html-file"),
])
def test_the_send_email_command_refuses_empty_or_missing_parts(cli, tmp_path, args, complaint):
    (tmp_path / "letter.html").write_text(HTML, encoding="utf-8")
    done = cli("send-email", *args)
    assert done.returncode == 2 and complaint in done.stderr
    assert "Traceback" not in done.stderr
