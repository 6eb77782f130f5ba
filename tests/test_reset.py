"""Password reset by email over HTTP (v2 endpoints 14 and 15): the request,
the mail a real SMTP server on loopback receives, the link in it, and
the new password set through it."""

import asyncio
import math

import pytest

from unimatch.auth.reset import BAD_TOKEN, BAD_UID, PER_CLIENT, PER_EMAIL, encode_uid
from unimatch.store.users import NO_PASSWORD

RESET = "/v2/api/auth/users/reset_password/"
CONFIRM = "/v2/api/auth/users/reset_password_confirm/"
OLD, NEW = "correct-horse-7", "brand-new-pass-9"
SENDER = "noreply@unimatch.test"
REQUIRED = ["Обязательное поле."]


@pytest.fixture
def extra_config():
    return {}


@pytest.fixture
def config_overrides(mailbox, extra_config):
    return {"smtp_url": mailbox.url, "mail_from": SENDER, "site_name": "UniMatch Test",
            **extra_config}


async def _mailed_link(api, realtime, mailbox, address):
    """Ask for a reset of ``address``, deliver it, and return the link's
    ``(uid, token)``."""
    status, body = await api.post(RESET, {"email": address})
    assert (status, body) == (200, {})
    assert await realtime.mail_sender.deliver_due() == 1
    uid, token = mailbox.received[-1].reset_path().split("/")[2:4]
    return uid, token


def _confirm(uid, token, password=NEW):
    return {"uid": uid, "token": token, "new_password": password}


def test_the_uid_is_the_ids_digits_in_unpadded_base64url():
    assert encode_uid(2) == "Mg"
    assert encode_uid(1234567) == "MTIzNDU2Nw"


@pytest.mark.gen_test(timeout=30)
async def test_the_mailed_link_sets_a_new_password_and_ends_every_session(
        api, realtime, mailbox, clock):
    ann = await api.register("Ann@Example.com", OLD, first_name="Ann")
    clock.advance(60)
    status, body = await api.post(RESET, {"email": "ann@EXAMPLE.com"})
    assert (status, body) == (200, {})
    assert mailbox.received == [], "nothing is sent while the request is answered"

    assert await realtime.mail_sender.deliver_due() == 1
    [mail] = mailbox.received
    assert mail.sender == SENDER and mail.recipients == ["Ann@example.com"]
    assert mail.mail["Subject"] == "Сброс пароля"
    assert mail.mail["From"].addresses[0].addr_spec == SENDER
    assert mail.mail["From"].addresses[0].display_name == "UniMatch Test"
    assert mail.mail["To"] == "Ann@example.com"
    assert mail.mail.get_content_type() == "multipart/alternative"
    path = mail.reset_path()
    link = api.base_url + path
    for part in (mail.text, mail.html):
        assert "UniMatch Test" in part and "Ann@example.com" in part
        assert "сброс пароля" in part and "Спасибо" in part
    assert link in mail.text
    assert f'<a href="{link}">' in mail.html
    _, _, uid, token = path.split("/")
    assert uid == encode_uid(ann["user"]["id"])
    assert "/" not in token and "?" not in token

    # The link works in a browser: the page is served there.
    status, page = await api.get(path)
    assert status == 200 and page.lower().startswith("<!doctype html>")
    assert api.last.headers["Content-Type"].startswith("text/html")

    status, body = await api.post(CONFIRM, _confirm(uid, token))
    assert (status, body) == (200, {}), "nobody is logged in by a reset"
    status, _ = await api.post("/api/token/", {"email": "ann@example.com", "password": OLD})
    assert status == 401
    assert await api.login("ann@example.com", NEW)
    status, _ = await api.get("/auth/users/me/", token=ann["access"])
    assert status == 401, "access tokens from before the reset are refused"
    status, _ = await api.post("/api/token/refresh/", {"refresh": ann["refresh"]})
    assert status == 401, "refresh tokens from before the reset are refused"

    status, body = await api.post(CONFIRM, _confirm(uid, token, "another-pass-77"))
    assert (status, body) == (400, {"token": [BAD_TOKEN]}), "a link works once"


@pytest.mark.gen_test(timeout=30)
async def test_the_reset_ends_the_tokens_of_its_own_second_and_then_logs_in_work(
        api, realtime, mailbox, clock):
    """Tokens carry whole seconds; the reset's moment has a fraction."""
    await api.register("ann@example.com", OLD)
    uid, token = await _mailed_link(api, realtime, mailbox, "ann@example.com")
    clock.advance(0.5)
    before = await api.post("/api/token/", {"email": "ann@example.com", "password": OLD})
    status, _ = await api.post(CONFIRM, _confirm(uid, token))
    assert status == 200
    assert clock.timestamp() % 1 == 0, "the answer came in the next second"
    assert (await api.get("/auth/users/me/", token=before[1]["access"]))[0] == 401
    assert (await api.post("/api/token/refresh/", {"refresh": before[1]["refresh"]}))[0] == 401
    status, body = await api.post("/api/token/", {"email": "ann@example.com", "password": NEW})
    assert status == 200
    assert (await api.get("/auth/users/me/", token=body["access"]))[0] == 200
    assert (await api.post("/api/token/refresh/", {"refresh": body["refresh"]}))[0] == 200


@pytest.mark.gen_test(timeout=30)
async def test_an_address_without_an_account_gets_the_same_answer_and_no_mail(
        api, store, realtime, mailbox):
    await store.users.create(email="tg_42@telegram.invalid", password_hash=NO_PASSWORD,
                             created_at=0.0)
    for address in ("nobody@example.com", "tg_42@telegram.invalid"):
        status, body = await api.post(RESET, {"email": address})
        assert (status, body) == (200, {})
    assert await realtime.mail_sender.deliver_due() == 0
    assert mailbox.received == []
    assert await store.mail.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 2}


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("body, errors", [
    ({}, {"email": ["This field is required."]}),
    ({"email": None}, {"email": ["This field may not be null."]}),
    ({"email": ""}, {"email": ["This field may not be blank."]}),
    ({"email": "not-an-address"}, {"email": ["Enter a valid email address."]}),
    ({"email": ["ann@example.com"]}, {"email": ["Not a valid string."]}),
])
async def test_a_malformed_or_missing_address_is_a_field_error(api, store, body, errors):
    status, answer = await api.post(RESET, body)
    assert (status, answer) == (400, errors)
    assert await store.mail.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}


@pytest.mark.gen_test(timeout=30)
async def test_a_body_that_is_not_an_object_is_a_detail(api):
    status, answer = await api.post(RESET, ["ann@example.com"])
    assert status == 400 and set(answer) == {"detail"}


def _window_left(clock, seconds):
    return math.ceil((int(clock.timestamp()) // seconds + 1) * seconds - clock.timestamp())


@pytest.mark.gen_test(timeout=30)
async def test_three_mails_an_hour_per_address(api, store, clock):
    for spelling in ("ann@example.com", "ANN@example.com", "Ann@Example.COM"):
        assert (await api.post(RESET, {"email": spelling}))[0] == 200
    status, body = await api.post(RESET, {"email": "ann@example.com"})
    wait = _window_left(clock, PER_EMAIL.window)
    assert status == 429
    assert body == {"detail": f"Request was throttled. Expected available in {wait} seconds."}
    assert api.last.headers["Retry-After"] == str(wait)
    assert (await api.post(RESET, {"email": "bob@example.com"}))[0] == 200, "per address"
    assert (await store.mail.counts())["pending"] == 4

    clock.advance(wait)
    assert (await api.post(RESET, {"email": "ann@example.com"}))[0] == 200


@pytest.mark.gen_test(timeout=30)
async def test_ten_requests_an_hour_per_client(api, clock):
    for i in range(PER_CLIENT.failures):
        assert (await api.post(RESET, {"email": f"user{i}@example.com"}))[0] == 200
    status, body = await api.post(RESET, {"email": "one-more@example.com"})
    assert status == 429 and body["detail"].startswith("Request was throttled.")
    assert int(api.last.headers["Retry-After"]) == _window_left(clock, PER_CLIENT.window)


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("config_overrides", [{}], ids=["no-smtp"])
async def test_without_smtp_a_link_cannot_be_asked_for_but_links_still_work(
        api, store, services, realtime):
    assert realtime.mail_sender is None
    ann = await api.register("ann@example.com", OLD)
    status, body = await api.post(RESET, {"email": "ann@example.com"})
    assert status == 503 and set(body) == {"detail"}
    assert await store.mail.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}

    user, password_hash = await store.users.for_reset("ann@example.com")
    token = services.reset.tokens.make(user["_id"], password_hash, user["email"])
    status, body = await api.post(CONFIRM, _confirm(encode_uid(ann["user"]["id"]), token))
    assert (status, body) == (200, {})
    assert await api.login("ann@example.com", NEW)


@pytest.mark.gen_test(timeout=30)
async def test_links_point_at_the_service_only_for_hosts_it_can_vouch_for(
        api, store, realtime, mailbox):
    """Without a web client URL the link names the request's own host:
    loopback here. A forged Host header must not send somebody's link to a
    stranger's site."""
    await api.register("ann@example.com", OLD)
    status, body = await api.post(RESET, {"email": "ann@example.com"},
                                  headers={"Host": "evil.example"})
    assert status == 503 and set(body) == {"detail"}
    assert await store.mail.counts() == {"pending": 0, "sending": 0, "sent": 0, "dropped": 0}
    await _mailed_link(api, realtime, mailbox, "ann@example.com")
    assert mailbox.received[0].reset_path() in mailbox.received[0].text
    assert f"{api.base_url}/password-reset/" in mailbox.received[0].text


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("extra_config, host, base", [
    ({"web_client_url": "https://app.example/unimatch"}, "evil.example",
     "https://app.example/unimatch"),
    ({"cors_origins": ("http://app.example",)}, "app.example", "http://app.example"),
], ids=["web-client-url", "cors-origin"])
async def test_the_link_base(api, realtime, mailbox, host, base):
    await api.register("ann@example.com", OLD)
    status, _ = await api.post(RESET, {"email": "ann@example.com"}, headers={"Host": host})
    assert status == 200
    assert await realtime.mail_sender.deliver_due() == 1
    assert f"{base}/password-reset/" in mailbox.received[0].text


@pytest.mark.gen_test(timeout=30)
async def test_missing_confirm_fields_are_named_in_russian(api):
    status, body = await api.post(CONFIRM, {})
    assert (status, body) == (400, {"uid": REQUIRED, "token": REQUIRED, "new_password": REQUIRED})
    status, body = await api.post(CONFIRM, {"uid": "Mg", "token": None})
    assert (status, body) == (400, {"token": ["This field may not be null."],
                                    "new_password": REQUIRED})


@pytest.mark.gen_test(timeout=30)
async def test_confirm_checks_the_password_then_the_uid_then_the_token(
        api, store, realtime, mailbox):
    ann = await api.register("zorbaqwin@example.com", OLD)
    uid, token = await _mailed_link(api, realtime, mailbox, "zorbaqwin@example.com")
    short = ["This password is too short. It must contain at least 4 characters."]

    # The password first, whatever the uid and token.
    status, body = await api.post(CONFIRM, _confirm("@@", "nonsense", "q7"))
    assert (status, body) == (400, {"new_password": short})
    # With a uid that names the user, the rules see the user's attributes.
    status, body = await api.post(CONFIRM, _confirm(uid, "nonsense", "zorbaqwin"))
    assert (status, body) == (400, {"new_password": [
        "The password is too similar to the email address."]})
    status, body = await api.post(CONFIRM, _confirm("@@", token, "zorbaqwin"))
    assert (status, body) == (400, {"uid": [BAD_UID]}), "no user, no attributes to compare"
    # Then the uid.
    for bad_uid in ("@@", encode_uid(ann["user"]["id"] + 100), "Mg==", "MDI", "LTI", "0"):
        status, body = await api.post(CONFIRM, _confirm(bad_uid, token))
        assert (status, body) == (400, {"uid": [BAD_UID]}), bad_uid
    # Then the token.
    for bad_token in ("nonsense", token[:-1], token[:-1] + ("0" if token[-1] != "0" else "1"),
                      "0-" + token.split("-")[1], token + "0"):
        status, body = await api.post(CONFIRM, _confirm(uid, bad_token))
        assert (status, body) == (400, {"token": [BAD_TOKEN]}), bad_token

    status, body = await api.post(CONFIRM, _confirm(uid, token))
    assert (status, body) == (200, {})


@pytest.mark.gen_test(timeout=30)
async def test_a_link_is_for_its_own_account(api, realtime, mailbox):
    await api.register("ann@example.com", OLD)
    bob = await api.register("bob@example.com", OLD)
    _, ann_token = await _mailed_link(api, realtime, mailbox, "ann@example.com")
    status, body = await api.post(CONFIRM, _confirm(encode_uid(bob["user"]["id"]), ann_token))
    assert (status, body) == (400, {"token": [BAD_TOKEN]})


@pytest.mark.gen_test(timeout=30)
async def test_a_link_expires_after_the_reset_lifetime(api, realtime, mailbox, clock, config):
    await api.register("ann@example.com", OLD)
    uid, token = await _mailed_link(api, realtime, mailbox, "ann@example.com")
    clock.advance(config.reset_lifetime + 1)
    status, body = await api.post(CONFIRM, _confirm(uid, token))
    assert (status, body) == (400, {"token": [BAD_TOKEN]})

    uid, token = await _mailed_link(api, realtime, mailbox, "ann@example.com")
    clock.advance(config.reset_lifetime)
    status, body = await api.post(CONFIRM, _confirm(uid, token))
    assert (status, body) == (200, {}), "valid to the end of its lifetime"


@pytest.mark.gen_test(timeout=30)
async def test_using_one_link_spends_every_other(api, realtime, mailbox, clock):
    await api.register("ann@example.com", OLD)
    first = await _mailed_link(api, realtime, mailbox, "ann@example.com")
    clock.advance(1)
    second = await _mailed_link(api, realtime, mailbox, "ann@example.com")
    assert first != second
    status, _ = await api.post(CONFIRM, _confirm(*second))
    assert status == 200
    status, body = await api.post(CONFIRM, _confirm(*first, "third-pass-99"))
    assert (status, body) == (400, {"token": [BAD_TOKEN]})
    assert await api.login("ann@example.com", NEW)


@pytest.mark.gen_test(timeout=30)
async def test_two_racing_confirmations_of_one_link_set_one_password(
        api, realtime, mailbox):
    await api.register("ann@example.com", OLD)
    uid, token = await _mailed_link(api, realtime, mailbox, "ann@example.com")
    answers = await asyncio.gather(api.post(CONFIRM, _confirm(uid, token, "first-pass-11")),
                                   api.post(CONFIRM, _confirm(uid, token, "second-pass-22")))
    assert sorted(status for status, _ in answers) == [200, 400]
    winner = "first-pass-11" if answers[0][0] == 200 else "second-pass-22"
    assert await api.login("ann@example.com", winner)


@pytest.mark.gen_test(timeout=30)
async def test_the_paths_work_without_their_slash_and_take_only_post(api, store):
    status, body = await api.post(RESET.rstrip("/"), {"email": "ann@example.com"})
    assert (status, body) == (200, {})
    status, body = await api.post(CONFIRM.rstrip("/"), {})
    assert status == 400 and set(body) == {"uid", "token", "new_password"}
    for path in (RESET, CONFIRM, "/v2/admin-api/send/emails/"):
        status, body = await api.get(path)
        assert status == 405 and set(body) == {"detail"}, path
