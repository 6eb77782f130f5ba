""""Did you meet?" over HTTP: POST users/api/pairs/ID/feedback/ (and v2's
twin), ``my_feedback`` in every pairs answer, the four-week window, and
the documents the organisers' stats read."""

import datetime as dt

import pytest
from cohorts import register_cohort

TZ = dt.timezone(dt.timedelta(hours=5))  # the service's zone, Asia/Yekaterinburg
NOW = dt.datetime(2026, 12, 7, 10, 0, 30, tzinfo=TZ)  # a Monday, just after the round


def _feedback(pair_id, v2=False):
    return f"/v2/api/pairs/{pair_id}/feedback/" if v2 else f"/users/api/pairs/{pair_id}/feedback/"


async def _paired(api, store, count=2, created_at="2026-12-07", round_no=1):
    """``count`` students in one group of round ``round_no``; returns their
    registration bodies and the round's pairs."""
    users = await register_cohort(api, count)
    ids = tuple(u["user"]["id"] for u in users)
    await store.pairs.insert_round(round_no, created_at, [ids], {})
    return users, await store.pairs.for_round(round_no)


@pytest.mark.gen_test
async def test_an_answer_is_shown_in_the_pairs_items_of_both_versions(api, store, clock):
    clock.set(NOW)
    (ann, bob), [pair] = await _paired(api, store)
    status, items = await api.get("/users/api/pairs/", token=ann["access"])
    assert [item["my_feedback"] for item in items] == [None]

    status, item = await api.post(_feedback(pair["_id"]), {"met": True, "rating": 4},
                                  token=ann["access"])
    assert status == 200
    assert item == {**items[0], "my_feedback": {"met": True, "rating": 4}}
    status, items = await api.get("/users/api/pairs/", token=ann["access"])
    assert items[0]["my_feedback"] == {"met": True, "rating": 4}
    status, view = await api.get("/v2/api/pairs/", token=ann["access"])
    assert [p["my_feedback"] for p in view["pairs"]] == [{"met": True, "rating": 4}]
    # One answer per person: the partner's is their own.
    status, items = await api.get("/users/api/pairs/", token=bob["access"])
    assert items[0]["my_feedback"] is None


@pytest.mark.gen_test
async def test_the_answer_can_be_changed_and_rating_is_optional(api, store, clock):
    clock.set(NOW)
    (ann, _), [pair] = await _paired(api, store)
    for body, shown in (({"met": True}, {"met": True, "rating": None}),
                        ({"met": True, "rating": 5.0}, {"met": True, "rating": 5}),
                        ({"met": False, "rating": None}, {"met": False, "rating": None}),
                        ({"met": True, "rating": 2}, {"met": True, "rating": 2})):
        status, item = await api.post(_feedback(pair["_id"]), body, token=ann["access"])
        assert (status, item["my_feedback"]) == (200, shown), body
    assert await store.db["feedback"].count_documents({}) == 1


@pytest.mark.gen_test
@pytest.mark.parametrize("body, errors", [
    ({}, {"met": ["This field is required."]}),
    ({"met": "yes"}, {"met": ["Must be a valid boolean."]}),
    ({"met": None}, {"met": ["Must be a valid boolean."]}),
    ({"met": True, "rating": 0}, {"rating": ["Ensure this value is an integer from 1 to 5."]}),
    ({"met": True, "rating": 6}, {"rating": ["Ensure this value is an integer from 1 to 5."]}),
    ({"met": True, "rating": 4.5}, {"rating": ["A valid integer is required."]}),
    ({"met": True, "rating": "4"}, {"rating": ["A valid integer is required."]}),
    ({"met": True, "rating": True}, {"rating": ["A valid integer is required."]}),
    ({"met": False, "rating": 3}, {"rating": ["A rating can only be given with met: true."]}),
    ({"rating": 9}, {"met": ["This field is required."],
                     "rating": ["Ensure this value is an integer from 1 to 5."]}),
])
async def test_bad_answers_are_400_on_their_fields_and_change_nothing(api, store, clock, body,
                                                                      errors):
    clock.set(NOW)
    (ann, _), [pair] = await _paired(api, store)
    await api.post(_feedback(pair["_id"]), {"met": True, "rating": 1}, token=ann["access"])
    for v2 in (False, True):
        assert await api.post(_feedback(pair["_id"], v2), body, token=ann["access"]) == (400, errors)
    status, items = await api.get("/users/api/pairs/", token=ann["access"])
    assert items[0]["my_feedback"] == {"met": True, "rating": 1}


@pytest.mark.gen_test
async def test_someone_elses_or_an_unknown_pair_is_404(api, store, clock):
    clock.set(NOW)
    (ann, bob, cat), pairs = await _paired(api, store, 3)  # a trio: three pairs
    dan = await api.register("dan@example.com")
    for path in (_feedback(pairs[0]["_id"]), _feedback(pairs[0]["_id"], v2=True),
                 _feedback(9999), _feedback("abc"), _feedback("1" * 40), _feedback("٣")):
        status, body = await api.post(path, {"met": True}, token=dan["access"])
        assert (status, body) == (404, {"detail": "Not found."}), path
    assert await store.db["feedback"].count_documents({}) == 0
    status, body = await api.post(_feedback(pairs[0]["_id"]), {"met": True})
    assert status == 401


@pytest.mark.gen_test
async def test_answers_close_when_the_round_is_four_weeks_old(api, store, clock):
    clock.set(NOW)
    (ann, _), [pair] = await _paired(api, store)
    clock.set(dt.datetime(2027, 1, 3, 23, 59, tzinfo=TZ))  # 27 days later, late evening
    token = await api.login(ann["user"]["email"])
    status, item = await api.post(_feedback(pair["_id"]), {"met": False}, token=token)
    assert (status, item["my_feedback"]) == (200, {"met": False, "rating": None})
    clock.set(dt.datetime(2027, 1, 4, 0, 0, tzinfo=TZ))  # the round's date + 28 days
    closed = {"detail": "Answers about this pair closed when its round turned four weeks old."}
    for v2 in (False, True):
        status, body = await api.post(_feedback(pair["_id"], v2), {"met": True}, token=token)
        assert (status, body) == (400, closed)
    status, items = await api.get("/users/api/pairs/", token=token)
    assert items[0]["my_feedback"] == {"met": False, "rating": None}, "shown, not changeable"


@pytest.mark.gen_test(timeout=60)
async def test_v2_answers_its_own_item_and_current_pairs_carry_my_feedback(api, store, services,
                                                                           clock):
    clock.set(NOW)
    ann, *_ = await register_cohort(api, 3)  # a trio
    await services.rounds.run_now()
    status, view = await api.get("/v2/api/pairs/", token=ann["access"])
    assert [p["my_feedback"] for p in view["current_pairs"]] == [None, None]
    assert view["current_pair"]["my_feedback"] is None
    first, second = view["current_pairs"]

    status, item = await api.post(_feedback(second["id"], v2=True), {"met": True, "rating": 3},
                                  token=ann["access"])
    assert status == 200
    assert item == {**second, "my_feedback": {"met": True, "rating": 3}}
    assert "tg_link" in item["partner"] and "hobby" in item["partner"], "v2's partner"
    status, view = await api.get("/v2/api/pairs/", token=ann["access"])
    assert [p["my_feedback"] for p in view["current_pairs"]] == [
        None, {"met": True, "rating": 3}], "one answer per pair, also in a trio"


@pytest.mark.gen_test
async def test_the_stored_document_has_exactly_the_agreed_fields(api, store, clock):
    clock.set(NOW)
    (ann, bob), [pair] = await _paired(api, store, round_no=7)
    await api.post(_feedback(pair["_id"]), {"met": True, "rating": 5}, token=ann["access"])
    await api.post(_feedback(pair["_id"]), {"met": False}, token=bob["access"])
    docs = {doc["user_id"]: doc async for doc in store.db["feedback"].find({})}
    ann_id, bob_id = ann["user"]["id"], bob["user"]["id"]
    assert docs[ann_id] == {"_id": f"{pair['_id']}:{ann_id}", "user_id": ann_id,
                            "pair_id": pair["_id"], "round": 7, "met": True, "rating": 5,
                            "updated_at": clock.timestamp()}
    assert docs[bob_id]["met"] is False and docs[bob_id]["rating"] is None
    # A boolean on every engine (nx-27017 turns $set booleans into 0/1).
    assert type(docs[ann_id]["met"]) is bool and type(docs[bob_id]["met"]) is bool
