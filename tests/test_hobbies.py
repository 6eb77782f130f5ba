"""Endpoints 8-11: the user's hobbies and the list of all hobbies."""

import asyncio

import pytest

from unimatch.store import Store
from unimatch.store.hobbies import DEFAULT_HOBBIES
from unimatch.wiring import CACHE_CHECK_SECONDS

HOBBY = "/users/api/hobby/"


async def _hobby_ids(store, user_id):
    return (await store.db["users"].find_one({"_id": user_id}))["hobby"]


@pytest.mark.gen_test
async def test_my_hobby_names(api):
    token = (await api.register(hobby=[2, 1]))["access"]
    status, body = await api.get(HOBBY, token=token)
    assert (status, body) == (200, ["Программирование", "Спорт"])


@pytest.mark.gen_test
async def test_my_hobby_names_empty(api):
    token = (await api.register())["access"]
    assert await api.get(HOBBY, token=token) == (200, [])


@pytest.mark.gen_test
async def test_my_hobbies_in_id_order_past_9(api):
    token = (await api.register(hobby=[10, 9, 2]))["access"]
    status, body = await api.get(HOBBY, token=token)
    assert (status, body) == (200, [DEFAULT_HOBBIES[1], DEFAULT_HOBBIES[8], DEFAULT_HOBBIES[9]])


@pytest.mark.gen_test
async def test_patch_replaces_the_set(api, store):
    registered = await api.register(hobby=[1, 2, 3])
    status, body = await api.patch(HOBBY, {"hobby": [12, 5, 12, 10]}, token=registered["access"])
    assert (status, body) == (200, [5, 10, 12])
    assert await _hobby_ids(store, registered["user"]["id"]) == [5, 10, 12]
    status, names = await api.get(HOBBY, token=registered["access"])
    assert names == [DEFAULT_HOBBIES[4], DEFAULT_HOBBIES[9], DEFAULT_HOBBIES[11]]


@pytest.mark.gen_test
async def test_patch_accepts_numeric_strings(api):
    token = (await api.register())["access"]
    assert await api.patch(HOBBY, {"hobby": ["3", 1]}, token=token) == (200, [1, 3])


@pytest.mark.gen_test
async def test_patch_empty_list_clears(api, store):
    registered = await api.register(hobby=[1, 2])
    assert await api.patch(HOBBY, {"hobby": []}, token=registered["access"]) == (200, [])
    assert await _hobby_ids(store, registered["user"]["id"]) == []


@pytest.mark.gen_test
async def test_patch_unknown_id_changes_nothing(api, store):
    registered = await api.register(hobby=[1, 2])
    for ids, bad in (([1, 99], 99), ([99, 1, 100], 99), ([0], 0), ([-1], -1), ([17], 17),
                     (["²"], "²"), (["1²"], "1²"), (["x"], "x"), (["9" * 5000], "9" * 5000)):
        status, body = await api.patch(HOBBY, {"hobby": ids}, token=registered["access"])
        assert status == 400
        assert body == {"hobby": [f'Invalid pk "{bad}" - object does not exist.']}
        assert await _hobby_ids(store, registered["user"]["id"]) == [1, 2]


@pytest.mark.gen_test
async def test_patch_bad_body(api, store):
    registered = await api.register(hobby=[1])
    for body, message in (
            ({}, "This field is required."),
            ({"hobbies": [1]}, "This field is required."),
            ({"hobby": None}, "This field may not be null."),
            ({"hobby": 1}, 'Expected a list of items but got type "int".')):
        status, answer = await api.patch(HOBBY, body, token=registered["access"])
        assert (status, answer) == (400, {"hobby": [message]}), body
        assert await _hobby_ids(store, registered["user"]["id"]) == [1]


@pytest.mark.gen_test
async def test_my_hobbies_need_a_token(api):
    for method in ("GET", "PATCH"):
        status, body = await api.request(method, HOBBY,
                                         body={"hobby": [1]} if method == "PATCH" else None)
        assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.gen_test
async def test_all_hobbies_public_and_by_id(api):
    status, body = await api.get("/users/api/hobby/all/")
    assert status == 200
    assert body == [{"id": i, "name": name} for i, name in enumerate(DEFAULT_HOBBIES, 1)]


@pytest.mark.gen_test
async def test_all_hobbies_numeric_order(api, store):
    # Enough hobbies that text order (1, 10, 100, 11, ..., 2) would differ.
    for n in range(len(DEFAULT_HOBBIES) + 1, 102):
        await store.hobbies.add(f"Hobby {n}")
    status, body = await api.get("/users/api/hobby/all/")
    ids = [h["id"] for h in body]
    assert ids == list(range(1, 102))
    assert ids.index(9) < ids.index(10) < ids.index(100)


@pytest.mark.gen_test(timeout=30)
async def test_a_hobby_added_by_another_process_shows_after_the_next_check(
        api, realtime, mongo_url, shared_db):
    await realtime.start()
    status, before = await api.get("/users/api/hobby/all/")
    # An operator's "unimatch hobbies add": another process, another client.
    other = await Store.connect(mongo_url, shared_db, prepare=False)
    try:
        added = await other.hobbies.add("Шахматы")
    finally:
        await other.close()
    for _ in range(int(10 * CACHE_CHECK_SECONDS) + 50):
        status, body = await api.get("/users/api/hobby/all/")
        if body != before:
            break
        await asyncio.sleep(0.1)
    assert (status, body) == (200, [*before, added])


@pytest.mark.gen_test
async def test_all_hobbies_with_a_token_too(api):
    token = (await api.register())["access"]
    status, body = await api.get("/users/api/hobby/all/", token=token)
    assert status == 200 and len(body) == len(DEFAULT_HOBBIES)


@pytest.mark.gen_test
async def test_total(api):
    token = (await api.register(hobby=[11, 2]))["access"]
    status, body = await api.get("/users/api/hobby/total/", token=token)
    assert status == 200
    everything = [{"id": i, "name": name} for i, name in enumerate(DEFAULT_HOBBIES, 1)]
    assert body == {"user_tags": [everything[1], everything[10]], "all_tags": everything}


@pytest.mark.gen_test
async def test_total_follows_a_patch(api):
    token = (await api.register(hobby=[1]))["access"]
    await api.patch(HOBBY, {"hobby": [4]}, token=token)
    status, body = await api.get("/users/api/hobby/total/", token=token)
    assert body["user_tags"] == [{"id": 4, "name": DEFAULT_HOBBIES[3]}]


@pytest.mark.gen_test
async def test_total_needs_a_token(api):
    status, body = await api.get("/users/api/hobby/total/")
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})
