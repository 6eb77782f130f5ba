"""Stats for organisers (issue 13, section 4): admin-api/stats/ on both
versions and ``unimatch stats``, from round summaries and the "did you
meet?" answers in the ``feedback`` collection (seeded here in the shape the
feedback endpoints write: one document per person and pair)."""

import pytest
from cohorts import register_cohort

STATS = ["/admin-api/stats/", "/v2/admin-api/stats/"]


async def _feedback(store, pair, user_id, met, rating=None):
    await store.db["feedback"].insert_one({"user_id": user_id, "pair_id": pair["_id"],
                                           "round": pair["round"], "met": met, "rating": rating})


async def _three_rounds(api, store, realtime):
    """Round 1: the staff member alone (no group). Rounds 2 and 3: five
    people, a pair and a trio. Answers for round 2 only. Returns the staff
    token and the three summaries."""
    staff, = await register_cohort(api, 1, prefix="staff")
    await store.users.set_staff(staff["user"]["email"])
    first = await realtime.rounds.run_now()
    await register_cohort(api, 4)
    second = await realtime.rounds.run_now()
    third = await realtime.rounds.run_now()
    pairs = await store.pairs.for_round(second["round"])
    duo = next(p for p in pairs if len(p["group"]) == 2)
    a, b = duo["members"]
    await _feedback(store, duo, a, True, 5)
    await _feedback(store, duo, b, True, 4)
    trio = [p for p in pairs if len(p["group"]) == 3]
    c, d, _ = trio[0]["group"]
    c_d = next(p for p in trio if p["members"] == [c, d])
    d_other = next(p for p in trio if d in p["members"] and p is not c_d)
    await _feedback(store, c_d, c, False)
    await _feedback(store, c_d, d, False)
    await _feedback(store, d_other, d, True, 3)  # d met one partner of two
    return staff["access"], (first, second, third)


def _expected(summary, **feedback):
    return {"round": summary["round"], "created_at": summary["created_at"],
            "participants": summary["participants"], "groups": summary["groups"],
            "trios": summary["trios"], "repeats": summary["repeats"],
            "sharing_share": (summary["sharing_groups"] / summary["groups"]
                              if summary["groups"] else None),
            **feedback}


@pytest.mark.gen_test(timeout=90)
async def test_stats_per_round_latest_first(api, store, realtime):
    token, (first, second, third) = await _three_rounds(api, store, realtime)
    assert (first["groups"], second["groups"], second["trios"]) == (0, 2, 1)
    expected = [
        _expected(third, answered_share=0.0, met_share=None, mean_rating=None),
        # Four of the five members answered; three of them met someone.
        _expected(second, answered_share=0.8, met_share=0.75, mean_rating=4.0),
        _expected(first, answered_share=None, met_share=None, mean_rating=None),
    ]
    for path in STATS:
        assert await api.get(path, token=token) == (200, expected)


@pytest.mark.gen_test
@pytest.mark.parametrize("path", STATS)
async def test_stats_are_for_staff(api, store, path):
    status, body = await api.get(path)
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})
    student = await api.register()
    status, body = await api.get(path, token=student["access"])
    assert (status, body) == (403, {"detail": "You do not have permission to perform this action."})
    await store.users.set_staff(student["user"]["email"])
    assert await api.get(path, token=student["access"]) == (200, [])
    status, _ = await api.post(path, token=student["access"])
    assert status == 405


@pytest.mark.gen_test
async def test_store_tallies_answers_by_round(store):
    docs = [
        {"user_id": 1, "pair_id": 10, "round": 4, "met": True, "rating": 5},
        {"user_id": 2, "pair_id": 10, "round": 4, "met": 1, "rating": None},   # 0/1 as nx reads $set
        {"user_id": 3, "pair_id": 11, "round": 4, "met": 0},                  # no rating at all
        {"user_id": 3, "pair_id": 12, "round": 4, "met": False, "rating": 2},  # a trio's second pair
        {"user_id": 1, "pair_id": 20, "round": 5, "met": False, "rating": None},
    ]
    await store.db["feedback"].insert_many(docs)
    tallies = await store.stats.feedback_by_round()
    assert set(tallies) == {4, 5}
    assert (tallies[4].answered, tallies[4].met, tallies[4].ratings, tallies[4].rating_sum) == (3, 2, 2, 7)
    assert (tallies[5].answered, tallies[5].met, tallies[5].ratings, tallies[5].rating_sum) == (1, 0, 0, 0)


@pytest.mark.gen_test(timeout=120)
async def test_the_stats_command_prints_the_same_table(api, store, realtime, cli, io_loop):
    done = await io_loop.run_in_executor(None, cli, "stats")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "no finished rounds yet\n"

    token, (first, second, third) = await _three_rounds(api, store, realtime)
    done = await io_loop.run_in_executor(None, cli, "stats")
    assert done.returncode == 0, done.stderr
    head, *lines = done.stdout.splitlines()
    assert head.split() == ["round", "date", "participants", "groups", "trios", "repeats",
                            "common", "hobby", "answered", "met", "rating"]
    assert [line.split() for line in lines] == [
        [str(s["round"]), s["created_at"], str(s["participants"]), str(s["groups"]),
         str(s["trios"]), str(s["repeats"]), share, answered, met, rating]
        for s, share, answered, met, rating in (
            (third, f"{third['sharing_groups'] / 2:.1%}", "0.0%", "-", "-"),
            (second, f"{second['sharing_groups'] / 2:.1%}", "80.0%", "75.0%", "4.00"),
            (first, "-", "-", "-", "-"))]
