"""Endpoint 1: registration."""

import asyncio

import pytest


@pytest.mark.gen_test
async def test_register_returns_user_and_tokens(api):
    body = await api.register("  Ann@Example.COM ", first_name="Анна", last_name="Иванова",
                              birth="20-01-2000", hobby=[2, 1, 5])
    assert body["user"] == {
        "id": body["user"]["id"], "first_name": "Анна", "last_name": "Иванова",
        "email": "Ann@example.com", "birth": "20-01-2000", "chat_id": None, "image": None,
        "hobby": [1, 2, 5], "is_active_pair": True, "paused_until": None,
    }
    assert body["refresh"] and body["access"]
    status, me = await api.get("/auth/users/me/", token=body["access"])
    assert status == 200 and me == body["user"]


@pytest.mark.gen_test
async def test_optional_fields_default(api):
    body = await api.register("bob@example.com", first_name=None, birth=None, hobby=None)
    user = body["user"]
    assert (user["first_name"], user["last_name"], user["birth"], user["hobby"]) == ("", "", None, [])


@pytest.mark.gen_test
async def test_ids_are_sequential(api):
    first = await api.register("a1@example.com")
    second = await api.register("a2@example.com")
    assert second["user"]["id"] == first["user"]["id"] + 1


@pytest.mark.gen_test
async def test_email_taken_case_insensitively(api):
    await api.register("ann@example.com")
    status, body = await api.post("/users/api/register/",
                                  {"email": "ANN@example.com", "password": "correct-horse-7"})
    assert status == 400
    assert body == {"email": ["user with this email already exists."]}


@pytest.mark.gen_test
@pytest.mark.parametrize("owner, lookalike", [
    ("kate@example.com", "\u212aate@example.com"),   # KELVIN SIGN, a K to the email check
    ("sam@example.com", "\u017fam@example.com"),     # LATIN SMALL LETTER LONG S
    ("kate@example.com", "kate@\uff45xample.com"),   # a FULLWIDTH e in the domain
    ("kate@example.com", "KATE@example.com")])
async def test_lookalike_emails_are_the_same_account(api, owner, lookalike):
    kate = await api.register(owner)
    status, body = await api.post("/users/api/register/",
                                  {"email": lookalike, "password": "other-horse-8"})
    assert (status, body) == (400, {"email": ["user with this email already exists."]})
    # The lookalike logs in to the owner's account only with the owner's password.
    status, _ = await api.post("/api/token/", {"email": lookalike, "password": "other-horse-8"})
    assert status == 401
    status, tokens = await api.post("/api/token/", {"email": lookalike,
                                                    "password": "correct-horse-7"})
    assert status == 200
    status, me = await api.get("/auth/users/me/", token=tokens["access"])
    assert me["id"] == kate["user"]["id"] and me["email"] == owner


@pytest.mark.gen_test
async def test_full_width_letters_are_not_an_address(api):
    status, body = await api.post("/users/api/register/",
                                  {"email": "ｋａｔｅ@example.com", "password": "other-horse-8"})
    assert (status, body) == (400, {"email": ["Enter a valid email address."]})


@pytest.mark.gen_test
async def test_the_address_is_shown_as_typed(api):
    body = await api.register("Kate.Smith@Example.COM")
    assert body["user"]["email"] == "Kate.Smith@example.com"


# Six at once, each past the email check before any is written: room for
# all six in the hashing queue (test_hashing.py covers a full one).
@pytest.mark.parametrize("config_overrides", [{"hash_queue": 6}])
@pytest.mark.gen_test
async def test_concurrent_duplicate_registrations_leave_one_account(api, store):
    body = {"email": "race@example.com", "password": "correct-horse-7"}
    results = await asyncio.gather(*(api.post("/users/api/register/", body) for _ in range(6)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400, 400, 400, 400, 400]
    for status, answer in results:
        if status == 400:
            assert answer == {"email": ["user with this email already exists."]}
    assert await store.users.email_taken("race@example.com")
    assert await store.db["users"].count_documents({"email_key": "race@example.com"}) == 1


@pytest.mark.gen_test
async def test_missing_required_fields(api):
    status, body = await api.post("/users/api/register/", {})
    assert status == 400
    assert body == {"email": ["This field is required."], "password": ["This field is required."]}


@pytest.mark.gen_test
@pytest.mark.parametrize("password, messages", [
    ("q7z", ["This password is too short. It must contain at least 4 characters."]),
    ("98765432101", ["This password is entirely numeric."]),
    ("password", ["This password is too common."]),
    ("123", ["This password is too short. It must contain at least 4 characters.",
             "This password is too common.", "This password is entirely numeric."]),
    ("annivanova", ["The password is too similar to the email address."]),
])
async def test_password_rules(api, password, messages):
    status, body = await api.post("/users/api/register/",
                                  {"email": "annivanova@example.com", "password": password})
    assert status == 400
    assert body == {"password": messages}


@pytest.mark.gen_test
@pytest.mark.parametrize("field, value, message", [
    ("email", "not-an-email", "Enter a valid email address."),
    ("email", "a@b", "Enter a valid email address."),
    ("email", 42, "Enter a valid email address."),
    ("email", ["x@example.com"], "Not a valid string."),
    ("email", "", "This field may not be blank."),
    ("birth", "31-02-2000", "Date has wrong format. Use one of these formats instead: DD-MM-YYYY."),
    ("birth", "2000-01-20", "Date has wrong format. Use one of these formats instead: DD-MM-YYYY."),
    ("birth", 20012000, "Date has wrong format. Use one of these formats instead: DD-MM-YYYY."),
    ("first_name", {"a": 1}, "Not a valid string."),
    ("first_name", "x" * 151, "Ensure this field has no more than 150 characters."),
    ("hobby", [99], 'Invalid pk "99" - object does not exist.'),
    ("hobby", [2**70], f'Invalid pk "{2**70}" - object does not exist.'),
    ("hobby", "1,2", 'Expected a list of items but got type "str".'),
    ("hobby", [1.5], "Incorrect type. Expected pk value, received float."),
    ("hobby", [True], "Incorrect type. Expected pk value, received bool."),
])
async def test_field_errors(api, store, field, value, message):
    body = {"email": "ann@example.com", "password": "correct-horse-7", field: value}
    status, answer = await api.post("/users/api/register/", body)
    assert status == 400
    assert answer == {field: [message]}
    assert await store.db["users"].count_documents({}) == 0


@pytest.mark.gen_test
async def test_every_bad_field_reported_at_once(api):
    status, body = await api.post("/users/api/register/", {
        "email": "bad", "password": "1", "birth": "31-02-2000", "hobby": [77]})
    assert status == 400
    assert set(body) == {"email", "password", "birth", "hobby"}


@pytest.mark.gen_test
async def test_password_is_stored_hashed(api, store):
    await api.register("ann@example.com", "correct-horse-7")
    doc = await store.db["users"].find_one({})
    assert doc["password"].startswith("$2b$04$")
    assert "correct-horse-7" not in str(doc)
