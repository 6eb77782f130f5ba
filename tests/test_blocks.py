"""The block list (issue 13, section 2) on both API versions, its store,
and the rounds it constrains: a blocked pair is never grouped again,
whoever blocked whom, and the blocked person is not told."""

import asyncio
import itertools

import pytest
from cohorts import register_cohort

from unimatch.blocks import NOT_A_PARTNER, NOT_YOURSELF

VERSIONS = ["/users/api/blocks/", "/v2/api/blocks/"]
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}
NOT_FOUND = {"detail": "Not found."}


def _item(registered):
    user = registered["user"]
    return {"id": user["id"], "first_name": user["first_name"], "last_name": user["last_name"]}


async def _paired(api, store, count=4):
    """``count`` students; round 1 paired the first with the second (and the
    third with the fourth)."""
    users = await register_cohort(api, count)
    ids = [u["user"]["id"] for u in users]
    await store.pairs.insert_round(1, "2026-11-30", [tuple(ids[i:i + 2]) for i in range(0, count, 2)],
                                   {})
    return users


# -- the store ------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_store_adds_lists_and_removes_blocks(store):
    assert await store.blocks.add(1, 2, now=10.0) is True
    assert await store.blocks.add(1, 2, now=20.0) is False, "blocking twice is one block"
    assert await store.blocks.add(1, 3, now=30.0) is True
    assert await store.blocks.add(4, 1, now=40.0) is True
    assert await store.blocks.blocked_by(1) == [3, 2]             # the latest first
    assert await store.blocks.blocked_by(2) == []
    assert await store.blocks.forbidden_pairs() == {(1, 2), (1, 3), (1, 4)}
    assert await store.blocks.remove(1, 2) is True
    assert await store.blocks.remove(1, 2) is False
    assert await store.blocks.remove(2, 1) is False, "a block belongs to the one who made it"
    assert await store.blocks.blocked_by(1) == [3]
    assert await store.blocks.forbidden_pairs() == {(1, 3), (1, 4)}


@pytest.mark.gen_test
async def test_store_two_ways_of_one_pair_are_one_forbidden_pair(store):
    await store.blocks.add(7, 3, now=1.0)
    await store.blocks.add(3, 7, now=2.0)
    assert await store.blocks.forbidden_pairs() == {(3, 7)}
    await store.blocks.remove(7, 3)
    assert await store.blocks.forbidden_pairs() == {(3, 7)}, "the other block still holds"


@pytest.mark.gen_test
async def test_store_concurrent_blocks_of_one_person_write_one(store):
    added = await asyncio.gather(*(store.blocks.add(5, 6, now=1.0) for _ in range(10)))
    assert sorted(added) == [False] * 9 + [True]
    assert await store.db["blocks"].count_documents({}) == 1


# -- the endpoints ----------------------------------------------------------------------

@pytest.mark.gen_test
@pytest.mark.parametrize("blocks", VERSIONS)
async def test_block_a_past_partner_list_and_unblock(api, store, clock, blocks):
    ann, bob, cleo, dan = await _paired(api, store)
    await store.pairs.insert_round(2, "2026-12-07", [(ann["user"]["id"], cleo["user"]["id"])], {})
    token = ann["access"]
    assert await api.get(blocks, token=token) == (200, [])

    status, body = await api.post(blocks, {"user": bob["user"]["id"]}, token=token)
    assert (status, body) == (201, _item(bob))
    clock.advance(60)
    status, body = await api.post(blocks, {"user": str(cleo["user"]["id"])}, token=token)
    assert (status, body) == (201, _item(cleo))
    assert await api.get(blocks, token=token) == (200, [_item(cleo), _item(bob)])

    # Blocking twice changes nothing and says so with 200.
    status, body = await api.post(blocks, {"user": bob["user"]["id"]}, token=token)
    assert (status, body) == (200, _item(bob))
    assert await api.get(blocks, token=token) == (200, [_item(cleo), _item(bob)])

    status, body = await api.request("DELETE", f"{blocks}{bob['user']['id']}/", token=token)
    assert (status, body) == (204, "")
    assert "Content-Type" not in api.last.headers
    assert await api.get(blocks, token=token) == (200, [_item(cleo)])
    status, body = await api.request("DELETE", f"{blocks}{bob['user']['id']}", token=token)
    assert (status, body) == (404, NOT_FOUND)


@pytest.mark.gen_test
@pytest.mark.parametrize("blocks", VERSIONS)
async def test_only_a_past_partner_can_be_blocked(api, store, blocks):
    ann, bob, cleo, dan = await _paired(api, store)
    token = ann["access"]
    refused = [
        ({"user": cleo["user"]["id"]}, {"user": [NOT_A_PARTNER]}),       # exists, never paired
        ({"user": 10_000}, {"user": [NOT_A_PARTNER]}),                   # no such account
        ({"user": ann["user"]["id"]}, {"user": [NOT_YOURSELF]}),
        ({}, {"user": ["This field is required."]}),
        ({"user": None}, {"user": ["This field may not be null."]}),
        ({"user": "abc"}, {"user": ['Invalid pk "abc" - object does not exist.']}),
        ({"user": 0}, {"user": ['Invalid pk "0" - object does not exist.']}),
        ({"user": 2**70}, {"user": [f'Invalid pk "{2**70}" - object does not exist.']}),
        ({"user": True}, {"user": ["Incorrect type. Expected pk value, received bool."]}),
        ({"user": [bob["user"]["id"]]}, {"user": ["Incorrect type. Expected pk value, received list."]}),
    ]
    for request, answer in refused:
        assert await api.post(blocks, request, token=token) == (400, answer), request
    status, body = await api.request("POST", blocks, raw=b"[1]", token=token)
    assert status == 400 and set(body) == {"detail"}
    assert await api.get(blocks, token=token) == (200, [])
    assert await store.db["blocks"].count_documents({}) == 0


@pytest.mark.gen_test
@pytest.mark.parametrize("blocks", VERSIONS)
async def test_unknown_blocks_are_404(api, store, blocks):
    ann, bob, cleo, dan = await _paired(api, store)
    await api.post(blocks, {"user": bob["user"]["id"]}, token=ann["access"])
    for tail in ("abc", "0", "-1", "9" * 5000, str(2**70), str(cleo["user"]["id"])):
        status, body = await api.request("DELETE", f"{blocks}{tail}/", token=ann["access"])
        assert (status, body) == (404, NOT_FOUND), tail[:20]
    # Bob cannot lift Ann's block of him.
    status, _ = await api.request("DELETE", f"{blocks}{bob['user']['id']}/", token=bob["access"])
    assert status == 404
    assert await api.get(blocks, token=ann["access"]) == (200, [_item(bob)])
    status, _ = await api.request("PUT", f"{blocks}{bob['user']['id']}/", token=ann["access"])
    assert status == 405
    status, _ = await api.request("DELETE", blocks, token=ann["access"])
    assert status == 405


@pytest.mark.gen_test
@pytest.mark.parametrize("blocks", VERSIONS)
async def test_blocks_need_a_token(api, blocks):
    for method, path in (("GET", blocks), ("POST", blocks), ("DELETE", blocks + "1/")):
        status, body = await api.request(method, path, body={"user": 1} if method == "POST" else None)
        assert (status, body) == (401, NO_CREDENTIALS), (method, path)
        assert api.last.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.gen_test
async def test_the_blocked_person_is_not_told(api, store):
    ann, bob, cleo, dan = await _paired(api, store)
    views = [("/auth/users/me/", "GET"), ("/users/api/pairs/", "GET"),
             ("/users/api/blocks/", "GET"), ("/v2/api/auth/users/me/", "GET"),
             ("/v2/api/pairs/", "GET"), ("/v2/api/blocks/", "GET")]

    async def bobs_view():
        return [await api.request(method, path, token=bob["access"]) for path, method in views]
    before = await bobs_view()
    status, _ = await api.post("/users/api/blocks/", {"user": bob["user"]["id"]}, token=ann["access"])
    assert status == 201
    assert await bobs_view() == before
    # Bob may block Ann in turn, which says nothing of her block either.
    status, body = await api.post("/users/api/blocks/", {"user": ann["user"]["id"]},
                                  token=bob["access"])
    assert (status, body) == (201, _item(ann))


# -- rounds -------------------------------------------------------------------------------

def _groups_of(pairs):
    return {tuple(p["members"]) for p in pairs}


@pytest.mark.gen_test(timeout=120)
async def test_a_blocked_pair_is_never_grouped_again_even_when_everyone_met(api, store, realtime):
    users = await register_cohort(api, 4)
    ids = sorted(u["user"]["id"] for u in users)
    by_id = {u["user"]["id"]: u for u in users}
    met = set()
    for _ in range(3):  # four people meet everyone in three rounds
        summary = await realtime.rounds.run_now()
        met |= _groups_of(await store.pairs.for_round(summary["round"]))
    assert met == set(itertools.combinations(ids, 2))

    # The second blocks the first: the pair is forbidden both ways.
    first, second = ids[0], ids[1]
    status, _ = await api.post("/v2/api/blocks/", {"user": first}, token=by_id[second]["access"])
    assert status == 201
    for _ in range(4):
        summary = await realtime.rounds.run_now()
        pairs = _groups_of(await store.pairs.for_round(summary["round"]))
        assert (first, second) not in pairs
        assert summary["participants"] == 4 and summary["groups"] == 2
        assert summary["repeats"] == 2, "everyone met everyone: repeats, but never the blocked one"

    # Unblocked, they may meet again.
    status, _ = await api.request("DELETE", f"/users/api/blocks/{first}/",
                                  token=by_id[second]["access"])
    assert status == 204
    assert await store.blocks.forbidden_pairs() == frozenset()


@pytest.mark.gen_test(timeout=60)
async def test_two_who_blocked_each_other_sit_a_round_out(api, store, realtime, caplog):
    ann, bob = await register_cohort(api, 2)
    assert (await realtime.rounds.run_now())["groups"] == 1
    status, _ = await api.post("/users/api/blocks/", {"user": bob["user"]["id"]},
                               token=ann["access"])
    assert status == 201
    summary = await realtime.rounds.run_now()
    assert (summary["participants"], summary["groups"], summary["pairs"]) == (2, 0, 0)
    assert await store.pairs.for_round(summary["round"]) == []
    assert "blocks left 2 of 2 participants without a group" in caplog.text


@pytest.mark.gen_test(timeout=60)
async def test_of_three_with_a_block_one_sits_the_round_out(api, store, realtime):
    ann, bob, cleo = await register_cohort(api, 3)
    ids = [u["user"]["id"] for u in (ann, bob, cleo)]
    assert (await realtime.rounds.run_now())["trios"] == 1
    status, _ = await api.post("/users/api/blocks/", {"user": ids[2]}, token=ann["access"])
    assert status == 201
    summary = await realtime.rounds.run_now()
    groups = _groups_of(await store.pairs.for_round(summary["round"]))
    assert len(groups) == 1 and (ids[0], ids[2]) not in groups
    assert (summary["participants"], summary["groups"], summary["trios"]) == (3, 1, 0)
