"""What a request costs the store (issue 12), counted on the real store by
its client's command monitoring. Once this process keeps the user (the
token's check), its partners and its "did you meet?" answers, GET pairs
makes one round trip (its pairs), GET hobby/total and GET me none. Hobby
names and the latest round come from this process's copy too. The first
request loads them: the user, then the pairs, then partners beside
answers. A round trip is the commands on their way together, sent before
any answer came back."""

import pytest

AUTHENTICATION = [[("find", "users")]]
PAIRS = [[("find", "pair_members")]]
PAIRS_AND_PARTNERS = PAIRS + [[("find", "feedback"), ("find", "users")]]


async def _trio_with_two_rounds(api, realtime):
    """Three users (a trio each round) after two rounds; the first one's token."""
    tokens = [(await api.register(f"u{n}@example.com", hobby=[1, 2 + n]))["access"]
              for n in range(3)]
    for _ in range(2):
        await realtime.rounds.run_now()
    return tokens[0]


async def _round_trips(api, commands, path, token):
    """The answer to GET ``path`` and its round trips, the copy warmed first."""
    await api.get(path, token=token)
    commands.clear()
    answer = await api.get(path, token=token)
    return answer, commands.round_trips()


@pytest.mark.gen_test
async def test_pairs_in_one_round_trip(api, realtime, commands):
    token = await _trio_with_two_rounds(api, realtime)
    (status, items), trips = await _round_trips(api, commands, "/users/api/pairs/", token)
    assert status == 200 and len(items) == 4
    assert all(item["common_hobbies"] == ["Программирование"] for item in items)
    assert trips == PAIRS


@pytest.mark.gen_test
async def test_v2_pairs_in_one_round_trip(api, realtime, commands):
    token = await _trio_with_two_rounds(api, realtime)
    (status, body), trips = await _round_trips(api, commands, "/v2/api/pairs/", token)
    assert status == 200 and len(body["current_pairs"]) == 2 and len(body["pairs"]) == 2
    assert body["current_pair"]["partner"]["hobby"]
    assert trips == PAIRS


@pytest.mark.gen_test
async def test_a_cold_process_reads_user_pairs_then_partners_beside_answers(api, store, commands):
    """What the first GET pairs costs, when nothing is kept yet (a
    process that just started): the copy is dropped by the first check."""
    token = (await api.register(hobby=[1]))["access"]
    partner = (await api.register("bob@example.com", hobby=[1]))["user"]["id"]
    me = (await api.get("/auth/users/me/", token=token))[1]["id"]
    await store.pairs.insert_round(1, "2026-11-30", [(me, partner)], {})
    await store.refresh_cached()
    commands.clear()
    status, items = await api.get("/users/api/pairs/", token=token)
    assert status == 200 and [item["partner"]["id"] for item in items] == [partner]
    trips = commands.round_trips()
    assert trips[:2] == AUTHENTICATION + PAIRS
    # Partners and answers are asked for together; whether they share a
    # round trip depends on the client having a second connection ready.
    assert sorted(sum(trips[2:], [])) == sorted(sum(PAIRS_AND_PARTNERS[1:], []))


@pytest.mark.gen_test
async def test_no_pairs_yet(api, commands):
    token = (await api.register())["access"]
    for path, empty in (("/users/api/pairs/", []),
                        ("/v2/api/pairs/", {"current_pair": None, "current_pairs": [], "pairs": []})):
        (status, body), trips = await _round_trips(api, commands, path, token)
        assert (status, body) == (200, empty)
        assert trips == PAIRS


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/users/api/hobby/total/", "/users/api/hobby/all/",
                                  "/auth/users/me/", "/v2/api/auth/users/me/"])
async def test_hobbies_and_me_need_no_round_trip(api, commands, path):
    token = (await api.register(hobby=[3, 1]))["access"]
    (status, body), trips = await _round_trips(api, commands, path, token)
    assert status == 200, body
    assert trips == []


@pytest.mark.gen_test
async def test_the_first_request_loads_the_copy(api, commands):
    token = (await api.register(hobby=[3, 1]))["access"]
    commands.clear()
    status, body = await api.get("/users/api/hobby/total/", token=token)
    assert [tag["id"] for tag in body["user_tags"]] == [1, 3]
    # The user, then the hobbies' version and the hobbies.
    assert commands.round_trips() == AUTHENTICATION + [[("find", "meta")], [("find", "hobbies")]]
