"""Endpoint 4: the current user, read with GET or POST and edited with PATCH."""

import datetime as dt

import pytest

ME = "/auth/users/me/"
BAD_DATE = "Date has wrong format. Use one of these formats instead: DD-MM-YYYY."


async def _stored(store, user_id):
    """The raw document, secrets included, to see exactly what was written."""
    return await store.db["users"].find_one({"_id": user_id})


@pytest.mark.gen_test
async def test_me(api):
    registered = await api.register("ann@example.com", first_name="Анна", birth="20-01-2000",
                                    hobby=[3, 1])
    for method in ("GET", "POST"):
        for path in (ME, ME.rstrip("/")):
            status, body = await api.request(method, path, token=registered["access"])
            assert (status, body) == (200, registered["user"]), (method, path)
    assert body["hobby"] == [1, 3] and body["birth"] == "20-01-2000"
    assert "password" not in body and "email_key" not in body


@pytest.mark.gen_test
async def test_me_answers_for_the_tokens_owner(api):
    await api.register("ann@example.com")
    bob = await api.register("bob@example.com")
    status, body = await api.get(ME, token=bob["access"])
    assert status == 200 and body["email"] == "bob@example.com"


@pytest.mark.gen_test
async def test_me_needs_a_token(api):
    for method in ("GET", "POST", "PATCH"):
        status, body = await api.request(method, ME)
        assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.gen_test
async def test_patch_profile(api, store):
    registered = await api.register("ann@example.com")
    token = registered["access"]
    status, body = await api.patch(ME, {"first_name": " Анна ", "last_name": "Иванова",
                                        "birth": "29-02-2004", "hobby": [5, 2, 5],
                                        "is_active_pair": False}, token=token)
    assert status == 200
    assert body == {**registered["user"], "first_name": "Анна", "last_name": "Иванова",
                    "birth": "29-02-2004", "hobby": [2, 5], "is_active_pair": False}
    assert body["is_active_pair"] is False  # a JSON false, not 0
    doc = await _stored(store, registered["user"]["id"])
    assert (doc["first_name"], doc["birth"], doc["hobby"], doc["is_active_pair"]) == \
        ("Анна", "2004-02-29", [2, 5], False)
    status, me = await api.get(ME, token=token)
    assert me == body and me["is_active_pair"] is False


@pytest.mark.gen_test
async def test_patch_is_active_pair_back_and_forth(api):
    token = (await api.register())["access"]
    for value in (False, True, False, True):
        status, body = await api.patch(ME, {"is_active_pair": value}, token=token)
        assert status == 200 and body["is_active_pair"] is value
        assert api.last.body.count(b'"is_active_pair": %s' % str(value).lower().encode()) == 1


@pytest.mark.gen_test
async def test_patch_one_field_leaves_the_others(api):
    for n, (field, value) in enumerate((
            ("first_name", "Анна"), ("last_name", "Иванова"), ("birth", "01-12-1999"),
            ("hobby", [16]), ("is_active_pair", False))):
        registered = await api.register(f"u{n}@example.com", first_name="A", last_name="B",
                                        birth="20-01-2000", hobby=[1])
        status, body = await api.patch(ME, {field: value}, token=registered["access"])
        assert (status, body) == (200, {**registered["user"], field: value}), field
        assert body["is_active_pair"] is (value if field == "is_active_pair" else True)


@pytest.mark.gen_test
async def test_patch_without_slash(api):
    registered = await api.register()
    status, body = await api.patch(ME.rstrip("/"), {"first_name": "Ann"},
                                   token=registered["access"])
    assert status == 200 and body["first_name"] == "Ann"


@pytest.mark.gen_test
async def test_patch_ignores_unknown_and_read_only_keys(api, store):
    registered = await api.register("ann@example.com")
    user_id = registered["user"]["id"]
    before = await _stored(store, user_id)
    status, body = await api.patch(ME, {
        "email": "mallory@example.com", "id": 999, "chat_id": 12345, "image": "x.png",
        "is_staff": True, "password": "new-password-1", "email_key": "x", "color": "red",
        "first_name": "Ann"}, token=registered["access"])
    assert status == 200
    assert body == {**registered["user"], "first_name": "Ann"}
    after = await _stored(store, user_id)
    assert after == {**before, "first_name": "Ann"}
    assert not await store.users.email_taken("mallory@example.com")


@pytest.mark.gen_test
async def test_patch_with_a_bad_field_changes_nothing(api, store):
    registered = await api.register("ann@example.com", first_name="Old", birth="20-01-2000",
                                    hobby=[1])
    user_id = registered["user"]["id"]
    before = await _stored(store, user_id)
    for bad, errors in (
            ({"birth": "31-02-2000"}, {"birth": [BAD_DATE]}),
            ({"hobby": [99]}, {"hobby": ['Invalid pk "99" - object does not exist.']}),
            ({"is_active_pair": "no"}, {"is_active_pair": ["Must be a valid boolean."]}),
            ({"is_active_pair": None}, {"is_active_pair": ["This field may not be null."]}),
            ({"last_name": "x" * 151},
             {"last_name": ["Ensure this field has no more than 150 characters."]})):
        status, body = await api.patch(ME, {"first_name": "New", "hobby": [2, 3],
                                            "is_active_pair": False, **bad},
                                       token=registered["access"])
        assert (status, body) == (400, errors)
        assert await _stored(store, user_id) == before, bad


@pytest.mark.gen_test
async def test_patch_bad_birth(api):
    registered = await api.register(birth="20-01-2000")
    for birth in ("31-02-2000", "29-02-2001", "2000-01-20", "1-1-2000", "20.01.2000", 20012000,
                  "20-01-2000x"):
        status, body = await api.patch(ME, {"birth": birth}, token=registered["access"])
        assert (status, body) == (400, {"birth": [BAD_DATE]}), birth


@pytest.mark.gen_test
async def test_patch_empty_birth_clears_it(api, store):
    registered = await api.register(birth="20-01-2000")
    for empty in (None, ""):
        status, body = await api.patch(ME, {"birth": "01-01-2001"}, token=registered["access"])
        assert body["birth"] == "01-01-2001"
        status, body = await api.patch(ME, {"birth": empty}, token=registered["access"])
        assert status == 200 and body["birth"] is None, empty
        assert (await _stored(store, registered["user"]["id"]))["birth"] is None


@pytest.mark.gen_test
async def test_patch_null_names_and_hobbies_clear_them(api):
    registered = await api.register(first_name="Ann", last_name="Lee", hobby=[1, 2])
    status, body = await api.patch(ME, {"first_name": None, "last_name": None, "hobby": None},
                                   token=registered["access"])
    assert status == 200
    assert (body["first_name"], body["last_name"], body["hobby"]) == ("", "", [])


@pytest.mark.gen_test
async def test_empty_patch_changes_nothing(api, store):
    registered = await api.register(first_name="Ann")
    before = await _stored(store, registered["user"]["id"])
    status, body = await api.patch(ME, {}, token=registered["access"])
    assert (status, body) == (200, registered["user"])
    assert await _stored(store, registered["user"]["id"]) == before


@pytest.mark.gen_test
async def test_patch_needs_a_json_object(api):
    registered = await api.register()
    status, body = await api.patch(ME, ["first_name"], token=registered["access"])
    assert status == 400 and set(body) == {"detail"}


@pytest.mark.gen_test
async def test_birth_is_a_real_date_from_1900_to_today(api, clock):
    registered = await api.register()
    clock.set(dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC))
    for birth in ("01-01-1900", "04-12-2026"):
        status, body = await api.patch(ME, {"birth": birth}, token=registered["access"])
        assert (status, body["birth"]) == (200, birth)
    for birth in ("31-12-1899", "01-01-0987", "05-12-2026"):
        status, body = await api.patch(ME, {"birth": birth}, token=registered["access"])
        assert (status, body) == (400, {"birth": ["Date must be between 01-01-1900 and today."]})
    # Full-width digits are digits to Python, not to any client.
    status, body = await api.patch(ME, {"birth": "０１-０１-２０００"}, token=registered["access"])
    assert (status, body) == (400, {"birth": [BAD_DATE]})
    status, body = await api.get(ME, token=registered["access"])
    assert body["birth"] == "04-12-2026"


@pytest.mark.gen_test
async def test_names_are_text_without_control_characters(api):
    registered = await api.register()
    for value, message in ((42, "Not a valid string."), ("Ann\x00", "Null characters are not allowed."),
                           ("Ann\nLee", "Control characters are not allowed."),
                           ("\x1b[31mAnn", "Control characters are not allowed.")):
        status, body = await api.patch(ME, {"first_name": value}, token=registered["access"])
        assert (status, body) == (400, {"first_name": [message]}), value
    status, body = await api.patch(ME, {"first_name": "Анна-Мария 😀"}, token=registered["access"])
    assert (status, body["first_name"]) == (200, "Анна-Мария 😀")
