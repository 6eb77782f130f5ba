"""Endpoint 6: linking a Telegram account with a Login Widget payload."""

import pytest
from conftest import TEST_BOT_TOKEN

from unimatch.telegram.login import sign_login

TG_AUTH = "/users/api/tg-auth/"
INVALID = {"error": "Invalid tg auth"}


@pytest.fixture
def config_overrides():
    # Signatures only: nothing here talks to Telegram (no fake is started,
    # and the test config points the Bot API at a closed loopback port).
    return {"telegram_bot_token": TEST_BOT_TOKEN}


def _payload(clock, telegram_id=777001, bot_token=TEST_BOT_TOKEN, **extra):
    """What the widget hands over after one confirmation in Telegram: each
    is signed at its own second (the test clock stands still otherwise)."""
    clock.advance(1)
    fields = {"id": telegram_id, "first_name": "Анна", "last_name": "Иванова",
              "username": "anna", "photo_url": "https://t.me/i/userpic/320/anna.jpg",
              "auth_date": int(clock.timestamp()), **extra}
    return sign_login(fields, bot_token)


@pytest.mark.gen_test
async def test_link(api, store, clock):
    registered = await api.register("ann@example.com")
    status, body = await api.post(TG_AUTH, _payload(clock), token=registered["access"])
    assert status == 201
    assert body == {"user": {**registered["user"], "chat_id": 777001}}
    doc = await store.db["users"].find_one({"_id": registered["user"]["id"]})
    assert doc["chat_id"] == 777001
    status, me = await api.get("/auth/users/me/", token=registered["access"])
    assert me["chat_id"] == 777001


@pytest.mark.gen_test
async def test_link_with_only_the_required_fields(api, clock):
    registered = await api.register()
    payload = sign_login({"id": 42, "auth_date": int(clock.timestamp())}, TEST_BOT_TOKEN)
    status, body = await api.post(TG_AUTH, payload, token=registered["access"])
    assert status == 201 and body["user"]["chat_id"] == 42


@pytest.mark.gen_test
async def test_link_with_own_email_in_any_case(api, clock):
    registered = await api.register("ann@example.com")
    # email is not part of Telegram's signed data: added after signing.
    payload = {**_payload(clock), "email": " ANN@example.com"}
    status, body = await api.post(TG_AUTH, payload, token=registered["access"])
    assert status == 201 and body["user"]["chat_id"] == 777001


TAMPERED = {
    "zero-hash": lambda p: {**p, "hash": "0" * 64},
    "empty-hash": lambda p: {**p, "hash": ""},
    "changed-name": lambda p: {**p, "first_name": "Mallory"},
    "changed-id": lambda p: {**p, "id": p["id"] + 1},
    "no-hash": lambda p: {k: v for k, v in p.items() if k != "hash"},
    "dropped-field": lambda p: {k: v for k, v in p.items() if k != "username"},
    "added-field": lambda p: {**p, "extra": "field"},
    "non-numeric-id": lambda p: {**p, "id": "not-a-number"},
    "superscript-id": lambda p: {**p, "id": "²"},
    "superscript-date": lambda p: {**p, "auth_date": "²"},
    "huge-id": lambda p: {**p, "id": "9" * 5000},
    "non-ascii-hash": lambda p: {**p, "hash": "é" * 64},
    "list-value": lambda p: {**p, "username": ["anna"]},
}


@pytest.mark.gen_test
async def test_bad_hash(api, store, clock):
    registered = await api.register()
    for name, tamper in TAMPERED.items():
        status, body = await api.post(TG_AUTH, tamper(_payload(clock)), token=registered["access"])
        assert (status, body) == (400, INVALID), name
    doc = await store.db["users"].find_one({"_id": registered["user"]["id"]})
    assert doc["chat_id"] is None
    assert await store.db["telegram_links"].count_documents({}) == 0


@pytest.mark.gen_test
async def test_signed_with_another_bot_token(api, clock):
    registered = await api.register()
    payload = _payload(clock, bot_token="654321:OTHER-token")
    status, body = await api.post(TG_AUTH, payload, token=registered["access"])
    assert (status, body) == (400, INVALID)


@pytest.mark.gen_test
async def test_auth_date_under_a_day_old(api, clock):
    registered = await api.register()
    too_old = _payload(clock, auth_date=int(clock.timestamp()) - 24 * 3600 - 60)
    status, body = await api.post(TG_AUTH, too_old, token=registered["access"])
    assert (status, body) == (400, INVALID)
    recent = _payload(clock, auth_date=int(clock.timestamp()) - 24 * 3600 + 60)
    status, body = await api.post(TG_AUTH, recent, token=registered["access"])
    assert status == 201


@pytest.mark.gen_test
async def test_auth_date_from_the_future(api, clock):
    registered = await api.register()
    payload = _payload(clock, auth_date=int(clock.timestamp()) + 3600)
    status, body = await api.post(TG_AUTH, payload, token=registered["access"])
    assert (status, body) == (400, INVALID)


@pytest.mark.gen_test
async def test_email_of_another_account(api, store, clock):
    await api.register("bob@example.com")
    ann = await api.register("ann@example.com")
    payload = {**_payload(clock), "email": "bob@example.com"}
    status, body = await api.post(TG_AUTH, payload, token=ann["access"])
    assert status == 403 and set(body) == {"error"}
    assert await store.db["users"].count_documents({"chat_id": 777001}) == 0


@pytest.mark.gen_test
async def test_telegram_id_linked_to_another_user(api, store, clock):
    ann = await api.register("ann@example.com")
    bob = await api.register("bob@example.com")
    status, _ = await api.post(TG_AUTH, _payload(clock), token=ann["access"])
    assert status == 201
    status, body = await api.post(TG_AUTH, _payload(clock), token=bob["access"])
    assert status == 409 and set(body) == {"error"}
    assert (await store.users.get(ann["user"]["id"]))["chat_id"] == 777001
    assert (await store.users.get(bob["user"]["id"]))["chat_id"] is None


@pytest.mark.gen_test
async def test_relinking_the_same_pair_is_idempotent(api, store, clock):
    ann = await api.register()
    first = await api.post(TG_AUTH, _payload(clock), token=ann["access"])
    second = await api.post(TG_AUTH, _payload(clock), token=ann["access"])
    assert first == second
    assert first[0] == 201
    assert await store.db["telegram_links"].count_documents({}) == 1


@pytest.mark.gen_test
async def test_linking_a_new_telegram_frees_the_old_one(api, clock):
    ann = await api.register("ann@example.com")
    bob = await api.register("bob@example.com")
    await api.post(TG_AUTH, _payload(clock, telegram_id=1001), token=ann["access"])
    status, body = await api.post(TG_AUTH, _payload(clock, telegram_id=1002), token=ann["access"])
    assert status == 201 and body["user"]["chat_id"] == 1002
    status, body = await api.post(TG_AUTH, _payload(clock, telegram_id=1001), token=bob["access"])
    assert status == 201 and body["user"]["chat_id"] == 1001


@pytest.mark.gen_test
async def test_a_payload_links_once(api, store, clock):
    ann = await api.register("ann@example.com")
    bob = await api.register("bob@example.com")
    captured = _payload(clock, telegram_id=1001)
    assert (await api.post(TG_AUTH, captured, token=ann["access"]))[0] == 201
    await api.post(TG_AUTH, _payload(clock, telegram_id=1002), token=ann["access"])  # 1001 is free
    status, body = await api.post(TG_AUTH, captured, token=bob["access"])
    assert (status, body) == (400, INVALID)
    assert (await store.users.get(bob["user"]["id"]))["chat_id"] is None
    status, body = await api.post(TG_AUTH, captured, token=ann["access"])
    assert (status, body) == (400, INVALID), "not even by the account it was made for"


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"telegram_bot_token": None}])
async def test_without_a_bot_token(api, clock, config_overrides, caplog):
    registered = await api.register()
    status, body = await api.post(TG_AUTH, _payload(clock), token=registered["access"])
    assert status == 503 and set(body) == {"error"}
    # An answer on purpose about the configuration: a warning, not an error.
    assert [r.levelname for r in caplog.records if "tg-auth" in r.getMessage()] == ["WARNING"]
    assert api.last.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.gen_test
async def test_needs_a_token(api, clock):
    status, body = await api.post(TG_AUTH, _payload(clock))
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})
