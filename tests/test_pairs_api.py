"""Endpoint 7: the user's match history, written by rounds through the store."""

import pytest

PAIRS = "/users/api/pairs/"


async def _users(api, count):
    """``count`` registered users named u0.., each with two hobbies."""
    users = []
    for n in range(count):
        users.append(await api.register(f"u{n}@example.com", first_name=f"Имя{n}",
                                        last_name=f"Фамилия{n}", hobby=[1 + n % 3, 4]))
    return users


def _partner(registered):
    user = registered["user"]
    return {key: user[key] for key in ("id", "first_name", "last_name", "email")}


@pytest.mark.gen_test
async def test_new_user_has_no_pairs(api):
    token = (await api.register())["access"]
    assert await api.get(PAIRS, token=token) == (200, [])


@pytest.mark.gen_test
async def test_pairs_need_a_token(api):
    status, body = await api.get(PAIRS)
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.gen_test
async def test_history_newest_first_with_trio(api, store):
    a, b, c, d, e = await _users(api, 5)
    ids = [u["user"]["id"] for u in (a, b, c, d, e)]
    hobbies = {u["user"]["id"]: frozenset(u["user"]["hobby"]) for u in (a, b, c, d, e)}
    # Round 1: a-b, and the trio c-d-e. Round 2: a-c, and the trio b-d-e.
    assert await store.pairs.insert_round(1, "2026-11-23", [(ids[0], ids[1]),
                                                           (ids[2], ids[3], ids[4])], hobbies) == 4
    assert await store.pairs.insert_round(2, "2026-11-30", [(ids[0], ids[2]),
                                                           (ids[1], ids[3], ids[4])], hobbies) == 4

    status, items = await api.get(PAIRS, token=a["access"])
    assert status == 200
    assert [(i["partner"], i["created_at"]) for i in items] == [
        (_partner(c), "2026-11-30"), (_partner(b), "2026-11-23")]
    for item in items:
        assert {"id", "partner", "created_at"} <= set(item)
        assert isinstance(item["id"], int) and item["id"] > 0
    assert items[0]["id"] > items[1]["id"]

    # d was in a trio both times: one entry per partner, twice.
    status, items = await api.get(PAIRS, token=d["access"])
    assert [(i["partner"]["id"], i["created_at"]) for i in items] == [
        (ids[4], "2026-11-30"), (ids[1], "2026-11-30"),
        (ids[4], "2026-11-23"), (ids[2], "2026-11-23")]
    assert len({i["id"] for i in items}) == 4


@pytest.mark.gen_test
async def test_common_hobbies_are_names(api, store):
    a, b = await _users(api, 2)   # hobbies [1, 4] and [2, 4]
    c = await api.register("c@example.com", hobby=[5])
    hobbies = {u["user"]["id"]: frozenset(u["user"]["hobby"]) for u in (a, b, c)}
    await store.pairs.insert_round(1, "2026-11-30",
                                   [(a["user"]["id"], b["user"]["id"], c["user"]["id"])], hobbies)
    status, items = await api.get(PAIRS, token=a["access"])
    common = {i["partner"]["id"]: i["common_hobbies"] for i in items}
    assert common == {b["user"]["id"]: ["Рисование"], c["user"]["id"]: []}


@pytest.mark.gen_test
async def test_partner_shape_has_no_private_fields(api, store):
    a, b = await _users(api, 2)
    await store.pairs.insert_round(1, "2026-11-30", [(a["user"]["id"], b["user"]["id"])], {})
    status, items = await api.get(PAIRS, token=b["access"])
    assert len(items) == 1
    item = items[0]
    # The seed's keys, exactly as the seed has them; extra keys are allowed.
    assert {"id", "partner", "created_at"} <= set(item)
    assert item["partner"] == _partner(a)  # no birth, hobbies, chat_id, password ...
    assert (item["created_at"], item["common_hobbies"]) == ("2026-11-30", [])


@pytest.mark.gen_test
async def test_partner_shows_current_profile(api, store):
    a, b = await _users(api, 2)
    await store.pairs.insert_round(1, "2026-11-30", [(a["user"]["id"], b["user"]["id"])], {})
    await api.patch("/auth/users/me/", {"first_name": "Новое"}, token=b["access"])
    status, items = await api.get(PAIRS, token=a["access"])
    assert items[0]["partner"]["first_name"] == "Новое"


@pytest.mark.gen_test
async def test_pair_with_a_deleted_partner_is_left_out(api, store):
    a, b, c = await _users(api, 3)
    ids = [u["user"]["id"] for u in (a, b, c)]
    await store.pairs.insert_round(1, "2026-11-23", [(ids[0], ids[1])], {})
    await store.pairs.insert_round(2, "2026-11-30", [(ids[0], ids[2])], {})
    await store.db["users"].delete_one({"_id": ids[2]})
    status, items = await api.get(PAIRS, token=a["access"])
    assert status == 200
    assert [i["partner"]["id"] for i in items] == [ids[1]]


@pytest.mark.gen_test
async def test_other_users_pairs_are_not_shown(api, store):
    a, b, c, d = await _users(api, 4)
    await store.pairs.insert_round(1, "2026-11-30", [(b["user"]["id"], c["user"]["id"])], {})
    assert await api.get(PAIRS, token=a["access"]) == (200, [])
    assert await api.get(PAIRS, token=d["access"]) == (200, [])


@pytest.mark.gen_test
async def test_many_rounds_in_numeric_order(api, store):
    a, b = await _users(api, 2)
    pair = (a["user"]["id"], b["user"]["id"])
    for round_no in range(1, 13):
        await store.pairs.insert_round(round_no, f"2026-{round_no:02d}-01", [pair], {})
    status, items = await api.get(PAIRS, token=a["access"])
    assert [i["created_at"] for i in items] == [f"2026-{n:02d}-01" for n in range(12, 0, -1)]
