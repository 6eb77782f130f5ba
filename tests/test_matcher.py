"""The matcher: the contract of ``match`` (everyone exactly once, pairs plus
one trio, deterministic, no avoidable repeats, oldest repeats first) and its
quality against exact optima (brute force for tiny cohorts, a blossom
algorithm from networkx/rustworkx above that)."""

import itertools
import multiprocessing
import pickle
import random
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from unittest import mock

import networkx as nx
import pytest
import rustworkx as rx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matcher_instances import (
    Cohort,
    Forbidden,
    Groups,
    History,
    arbitrary_cohort,
    blocked_pairs,
    blossom_reference,
    everyone_met,
    left_out,
    matcher_rounds,
    random_rounds,
    zipf_cohort,
)

from unimatch import matcher
from unimatch.matcher import Score, match, score
from unimatch.matching import _blossom, _exact

# -- checks and references ---------------------------------------------------------

def assert_valid(cohort, groups):
    n = len(cohort)
    if n < 2:
        assert groups == []
        return
    members = [u for group in groups for u in group]
    assert sorted(members) == sorted(cohort)          # everyone exactly once
    sizes = [len(group) for group in groups]
    assert set(sizes) <= {2, 3}
    assert sizes.count(3) == n % 2                    # one trio iff odd
    assert all(list(group) == sorted(group) for group in groups)
    assert groups == sorted(groups)
    assert all(type(u) is int for u in members)


def groupings(people):
    """Every way to split ``people`` into pairs plus one trio when odd."""
    if len(people) % 2 == 0:
        yield from _pairings(people)
        return
    for trio in itertools.combinations(people, 3):
        rest = [p for p in people if p not in trio]
        for tail in _pairings(rest):
            yield [trio] + tail


def _pairings(people):
    if not people:
        yield []
        return
    first = people[0]
    for i, a in enumerate(people[1:], 1):
        for tail in _pairings(people[1:i] + people[i + 1:]):
            yield [(first, a)] + tail


def brute_force(cohort, history):
    """The best Score over all groupings (tiny cohorts only)."""
    people = sorted(cohort)
    return max((score(g, cohort, history) for g in groupings(people)), key=Score.key)


def exact_even(cohort: Cohort, history: History) -> tuple[Score, Groups]:
    """Optimal Score for an even head count (the blossom reference)."""
    groups, _ = blossom_reference(cohort, history)
    assert 2 * len(groups) == len(cohort)
    return score(groups, cohort, history), groups


def exact_odd_reference(cohort: Cohort, history: History) -> Score:
    """For an odd head count: the Score of the blossom reference, a strong
    feasible grouping, not a proven optimum."""
    groups, _ = blossom_reference(cohort, history)
    return score(groups, cohort, history)


def min_repeats_even(cohort, history):
    """Fewest repeats any perfect matching needs: n/2 minus a maximum
    matching of the never-met graph."""
    ids = sorted(cohort)
    graph = rx.PyGraph()
    graph.add_nodes_from(ids)
    graph.add_edges_from_no_data([(i, j) for i, j in itertools.combinations(range(len(ids)), 2)
                                  if (ids[i], ids[j]) not in history])
    return len(ids) // 2 - len(rx.max_weight_matching(graph, max_cardinality=True))


# -- edge cases ---------------------------------------------------------------------

def test_nobody_or_one_person_gives_no_groups():
    assert match({}, {}, seed=1) == []
    assert match({7: frozenset({1})}, {}, seed=1) == []


def test_two_people_are_paired_even_if_they_met():
    assert match({5: frozenset(), 3: frozenset({1})}, {(3, 5): 4}, seed=0) == [(3, 5)]


def test_three_people_make_one_trio_even_if_all_met():
    cohort = {9: frozenset({1}), 2: frozenset({1}), 5: frozenset()}
    history = {(2, 5): 1, (2, 9): 2, (5, 9): 3}
    assert match(cohort, history, seed=3) == [(2, 5, 9)]


def test_four_who_all_met_repeat_the_oldest_pairs():
    cohort = {1: frozenset({1}), 2: frozenset({1}), 3: frozenset({1}), 4: frozenset({1})}
    # (1,2)+(3,4) met in rounds 9 and 8; (1,3)+(2,4) in 1 and 7; (1,4)+(2,3) in 5 and 5.
    history = {(1, 2): 9, (3, 4): 8, (1, 3): 1, (2, 4): 7, (1, 4): 5, (2, 3): 5}
    for seed in range(5):
        assert match(cohort, history, seed=seed) == [(1, 3), (2, 4)]


def test_a_repeat_free_round_is_found_when_one_exists():
    # Five of the six pairings repeat; the sixth is (1,4)+(2,3) although
    # (1,2) shares a hobby: criterion 1 comes first.
    cohort = {1: frozenset({1}), 2: frozenset({1}), 3: frozenset({2}), 4: frozenset({3})}
    history = {(1, 2): 1, (3, 4): 1, (1, 3): 1, (2, 4): 1}
    assert match(cohort, history, seed=0) == [(1, 4), (2, 3)]


def test_nobody_sharing_hobbies():
    rng = random.Random(2)
    cohort = {u: frozenset({u}) if u % 3 else frozenset() for u in range(1, 62)}
    history = random_rounds(cohort, 5, rng)
    groups = match(cohort, history, seed=4)
    assert_valid(cohort, groups)
    assert score(groups, cohort, history) == Score(0, 0, 0, 0)


@pytest.mark.parametrize("n", [5, 9, 20, 31, 60])
def test_everyone_met_everyone_repeats_the_oldest(n):
    rng = random.Random(n)
    cohort = zipf_cohort(n, rng)
    history = everyone_met(cohort, rng)
    groups = match(cohort, history, seed=n)
    assert_valid(cohort, groups)
    got = score(groups, cohort, history)
    assert got.repeats == n // 2 + (2 if n % 2 else 0)  # every inner pair repeats
    if n % 2 == 0:
        assert got == exact_even(cohort, history)[0]
    elif n <= 9:
        assert got == brute_force(cohort, history)
    else:
        assert got.key() >= exact_odd_reference(cohort, history).key()


@pytest.mark.parametrize("n", [30, 651, 700])
def test_the_only_repeat_free_round_is_found(n):
    # Everybody met everybody except along one hidden perfect matching
    # (plus one person who met everyone when n is odd).
    rng = random.Random(n)
    cohort = zipf_cohort(n, rng)
    order = sorted(cohort)
    rng.shuffle(order)
    hidden = {tuple(sorted(order[i:i + 2])) for i in range(0, n - 1, 2)}
    history = {pair: rounds for pair, rounds in everyone_met(cohort, rng).items()
               if pair not in hidden}
    groups = match(cohort, history, seed=1)
    assert_valid(cohort, groups)
    got = score(groups, cohort, history)
    if n % 2 == 0:
        assert got.repeats == 0
    else:
        # The one who met everybody joins a hidden pair: two repeats, the
        # oldest ones available.
        left = order[-1]
        best = min(history[tuple(sorted((left, a)))] + history[tuple(sorted((left, b)))]
                   for a, b in hidden)
        assert (got.repeats, got.repeat_rounds) == (2, best)


def test_people_with_many_hobbies_stay_cheap():
    # Sparse path (over 600 people): subsets of long hobby lists are capped.
    rng = random.Random(9)
    cohort = {u: frozenset(rng.sample(range(60), rng.randint(1, 25))) for u in range(800)}
    groups = match(cohort, {}, seed=9)
    assert_valid(cohort, groups)
    assert score(groups, cohort, {}).sharing_pairs == 400


def test_thousands_of_distinct_hobbies():
    # Each person shares one rare hobby with exactly one other, plus a
    # random one of 3,000: the rare pairs must all be found.
    rng = random.Random(10)
    cohort = {u: frozenset({u // 2, 10_000 + rng.randrange(3000)}) for u in range(4000)}
    groups = match(cohort, {}, seed=10)
    assert_valid(cohort, groups)
    assert score(groups, cohort, {}).sharing_pairs == 2000
    unique = {u: frozenset({u}) for u in range(3001)}
    assert_valid(unique, match(unique, {}, seed=10))


# -- properties ---------------------------------------------------------------------

cohorts = st.tuples(st.integers(min_value=0, max_value=2**32),
                    st.integers(min_value=0, max_value=70),
                    st.integers(min_value=0, max_value=12),
                    st.floats(min_value=0.0, max_value=1.0))


def path(dense):
    """Small cohorts take the all-pairs path; ``dense=False`` forces the
    sparse one (candidate sampling) that large cohorts take."""
    return mock.patch.object(matcher, "DENSE_MAX", matcher.DENSE_MAX if dense else 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts, st.integers(), st.booleans())
def test_every_participant_exactly_once(params, seed, dense):
    cohort, history = arbitrary_cohort(*params)
    with path(dense):
        groups = match(cohort, history, seed=seed)
        assert_valid(cohort, groups)
        # Deterministic, whatever the order of the input dicts.
        shuffled = list(cohort.items())
        random.Random(seed).shuffle(shuffled)
        again = match(dict(shuffled), dict(reversed(list(history.items()))), seed=seed)
    assert again == groups


@settings(max_examples=100, deadline=None)
@given(cohorts, st.integers(), st.booleans())
def test_no_avoidable_repeats(params, seed, dense):
    cohort, history = arbitrary_cohort(*params)
    if len(cohort) % 2:
        cohort.pop(min(cohort))
    with path(dense):
        groups = match(cohort, history, seed=seed)
    assert score(groups, cohort, history).repeats == min_repeats_even(cohort, history)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=2, max_value=9),
       st.integers(min_value=0, max_value=6), st.floats(min_value=0.0, max_value=1.0))
def test_tiny_cohorts_are_optimal(seed, n, rounds, density):
    cohort, history = arbitrary_cohort(seed, n, rounds, density)
    assert score(match(cohort, history, seed=seed), cohort, history) == \
        brute_force(cohort, history)


def test_history_of_absent_people_is_ignored():
    rng = random.Random(4)
    cohort = zipf_cohort(40, rng)
    history = random_rounds(cohort, 6, rng)
    noisy = dict(history)
    noisy.update({(-5, u): 3 for u in cohort})
    assert match(cohort, noisy, seed=8) == match(cohort, history, seed=8)


def test_different_seeds_give_different_rounds():
    rng = random.Random(11)
    cohort = zipf_cohort(120, rng)
    history = random_rounds(cohort, 4, rng)
    results = {tuple(match(cohort, history, seed=seed)) for seed in range(6)}
    assert len(results) > 1


def test_nobody_is_favoured_by_id():
    # Eleven identical people: who ends up in the trio is the seed's
    # choice, not the smallest or largest id.
    cohort = {u: frozenset({1}) for u in range(100, 111)}
    in_trio = [next(g for g in match(cohort, {}, seed=seed) if len(g) == 3)
               for seed in range(60)]
    counts = {u: sum(u in trio for trio in in_trio) for u in cohort}
    assert min(counts.values()) >= 3
    assert max(counts.values()) <= 35
    # Nor who gets whom.
    partners = {match(cohort, {}, seed=seed)[0] for seed in range(60)}
    assert len(partners) > 10


def test_quality_does_not_depend_on_how_ids_are_numbered():
    rng = random.Random(12)
    cohort = zipf_cohort(300, rng)
    history = matcher_rounds(cohort, 5, rng)
    renumber = {u: 10**6 - u for u in cohort}      # reverses the id order
    cohort2 = {renumber[u]: h for u, h in cohort.items()}
    history2 = {tuple(sorted((renumber[a], renumber[b]))): r for (a, b), r in history.items()}
    first = score(match(cohort, history, seed=5), cohort, history)
    second = score(match(cohort2, history2, seed=5), cohort2, history2)
    assert first.repeats == second.repeats == 0
    assert abs(first.shared_hobbies - second.shared_hobbies) <= 0.01 * first.shared_hobbies
    assert abs(first.sharing_pairs - second.sharing_pairs) <= 1


# -- quality against the exact optimum ---------------------------------------------

# Up to 600 people every pair is a candidate; 640 and 700 take the sparse path.
QUALITY = [(40, "random"), (80, "matcher"), (150, "random"), (200, "matcher"),
           (300, "matcher"), (640, "random"), (700, "random")]


@pytest.mark.parametrize("n,made_by", QUALITY)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_close_to_the_optimum(n, made_by, seed):
    rng = random.Random(seed * 1000 + n)
    cohort = zipf_cohort(n, rng)
    history = (random_rounds if made_by == "random" else matcher_rounds)(cohort, 10, rng)
    groups = match(cohort, history, seed=seed)
    assert_valid(cohort, groups)
    got = score(groups, cohort, history)
    best, _ = exact_even(cohort, history)
    assert got.repeats == best.repeats == 0
    assert got.sharing_pairs >= 0.99 * best.sharing_pairs
    assert got.shared_hobbies >= 0.99 * best.shared_hobbies


@pytest.mark.parametrize("n", [41, 151, 201])
def test_odd_head_count_close_to_the_reference(n):
    rng = random.Random(n)
    cohort = zipf_cohort(n, rng)
    history = random_rounds(cohort, 10, rng)
    groups = match(cohort, history, seed=n)
    assert_valid(cohort, groups)
    got = score(groups, cohort, history)
    reference = exact_odd_reference(cohort, history)
    assert got.repeats == reference.repeats == 0
    assert got.sharing_pairs >= 0.99 * reference.sharing_pairs
    assert got.shared_hobbies >= 0.99 * reference.shared_hobbies
    trio = next(g for g in groups if len(g) == 3)
    assert score([trio], cohort, history).sharing_pairs >= 2


def test_a_larger_cohort_on_the_sparse_path():
    rng = random.Random(21)
    cohort = zipf_cohort(3001, rng)
    history = random_rounds(cohort, 10, rng)
    groups = match(cohort, history, seed=21)
    assert_valid(cohort, groups)
    got = score(groups, cohort, history)
    assert got.repeats == 0
    # Everybody has a hobby and the popular ones are held by hundreds:
    # every pair shares, and the trio's three inner pairs do too.
    assert got.sharing_pairs == 1499 + 3


# -- forbidden pairs (blocks) ------------------------------------------------------

def assert_valid_without(cohort, groups, forbidden):
    """Valid groups (each person at most once, pairs and at most one trio,
    sorted) holding no forbidden pair; who is left out is the caller's to judge."""
    members = [u for group in groups for u in group]
    assert len(members) == len(set(members)) and set(members) <= set(cohort)
    sizes = [len(group) for group in groups]
    assert set(sizes) <= {2, 3} and sizes.count(3) <= 1
    assert sizes.count(3) == (len(members) % 2)
    assert all(list(group) == sorted(group) for group in groups)
    assert groups == sorted(groups)
    banned = set(forbidden) | {(b, a) for a, b in forbidden}
    made = [pair for group in groups for pair in itertools.combinations(group, 2)]
    assert not banned & set(made), "a forbidden pair was grouped"
    if not forbidden:
        assert_valid(cohort, groups)


def partial_groupings(people, banned, trio=True):
    """Every way to make pairs and at most one trio of ``people``, none
    holding a ``banned`` pair, leaving the others out."""
    if not people:
        yield []
        return
    first, rest = people[0], people[1:]
    yield from partial_groupings(rest, banned, trio)          # first left out
    for i, a in enumerate(rest):
        if (first, a) in banned:
            continue
        for tail in partial_groupings(rest[:i] + rest[i + 1:], banned, trio):
            yield [(first, a)] + tail
    if trio:
        for a, b in itertools.combinations(rest, 2):
            if {(first, a), (first, b), (a, b)} & banned:
                continue
            for tail in partial_groupings([p for p in rest if p not in (a, b)], banned, False):
                yield [(first, a, b)] + tail


def outcome(groups, cohort, history):
    """What the matcher optimises with forbidden pairs: fewest left out,
    then the Score (larger is better)."""
    return (-len(left_out(cohort, groups)),) + score(groups, cohort, history).key()


def brute_force_without(cohort, history, forbidden):
    banned = set(forbidden) | {(b, a) for a, b in forbidden}
    return max(outcome(g, cohort, history) for g in partial_groupings(sorted(cohort), banned))


def max_matching(cohort, forbidden):
    """Size of a maximum matching of the pairs that may be grouped."""
    banned = set(forbidden) | {(b, a) for a, b in forbidden}
    graph = nx.Graph()
    graph.add_nodes_from(cohort)
    graph.add_edges_from(p for p in itertools.combinations(sorted(cohort), 2) if p not in banned)
    return len(nx.max_weight_matching(graph, maxcardinality=True))


def some_pairs(cohort, share, rng):
    """Any pairs (met or not), ``share`` of all of them."""
    pairs = list(itertools.combinations(sorted(cohort), 2))
    return frozenset(rng.sample(pairs, round(share * len(pairs))))


def test_two_who_blocked_each_other_are_left_out():
    cohort = {4: frozenset({1}), 9: frozenset({1})}
    for forbidden in ({(4, 9)}, {(9, 4)}, frozenset({(4, 9), (9, 4)})):
        assert match(cohort, {}, seed=1, forbidden=forbidden) == []


def test_of_three_where_two_blocked_each_other_one_is_left_out():
    cohort = {1: frozenset({1}), 2: frozenset({1}), 3: frozenset({2})}
    history = {(1, 2): 1, (1, 3): 2, (2, 3): 3}
    groups = match(cohort, history, seed=0, forbidden={(1, 2)})
    assert groups in ([(1, 3)], [(2, 3)])
    # Of the two, the older repeat.
    assert groups == [(1, 3)]


def test_four_with_one_who_may_meet_nobody_make_a_trio():
    cohort = {u: frozenset({1}) for u in range(1, 5)}
    forbidden = {(1, 2), (1, 3), (4, 1)}
    for heuristic in (False, True):
        with mock.patch.object(_exact, "EXACT_MAX", 0 if heuristic else _exact.EXACT_MAX):
            assert match(cohort, {}, seed=2, forbidden=forbidden) == [(2, 3, 4)]


@pytest.mark.parametrize("n", [2, 3, 5, 9, 12, 13, 20, 31, 60, 101])
def test_forbidden_pairs_are_never_repeated_when_everyone_met_everyone(n):
    rng = random.Random(n)
    cohort = zipf_cohort(n, rng)
    history = everyone_met(cohort, rng)
    forbidden = blocked_pairs(history, 0.1, rng)
    # The pair whose repeat is the oldest is the first the matcher would take.
    oldest = min(history, key=history.__getitem__)
    forbidden |= {oldest}
    groups = match(cohort, history, seed=n, forbidden=forbidden)
    assert_valid_without(cohort, groups, forbidden)
    if n <= 9:
        assert outcome(groups, cohort, history) == brute_force_without(cohort, history, forbidden)
    else:
        assert not left_out(cohort, groups)
        got = score(groups, cohort, history)
        best = score(blossom_reference(cohort, history, forbidden)[0], cohort, history)
        if n % 2 == 0:
            assert got == best
        else:
            assert got.key() >= best.key()


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("n", [11, 13, 41, 151])
def test_the_trio_holds_no_forbidden_pair(n, dense):
    # Identical profiles: every host is as good as any other for the one
    # left over, so only the blocks decide, and they forbid most hosts.
    rng = random.Random(n)
    cohort = {u: frozenset({1, 2}) for u in range(n)}
    forbidden = frozenset((u, v) for u, v in itertools.combinations(range(n), 2)
                          if rng.random() < 0.6)
    with path(dense):
        groups = match(cohort, {}, seed=n, forbidden=forbidden)
    assert_valid_without(cohort, groups, forbidden)
    assert len(left_out(cohort, groups)) <= n - 2 * max_matching(cohort, forbidden)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=2, max_value=9),
       st.integers(min_value=0, max_value=6), st.floats(min_value=0.0, max_value=1.0),
       st.floats(min_value=0.0, max_value=1.0))
def test_tiny_cohorts_with_forbidden_pairs_are_optimal(seed, n, rounds, density, blocked):
    cohort, history = arbitrary_cohort(seed, n, rounds, density)
    forbidden = some_pairs(cohort, blocked, random.Random(seed))
    groups = match(cohort, history, seed=seed, forbidden=forbidden)
    assert_valid_without(cohort, groups, forbidden)
    assert outcome(groups, cohort, history) == brute_force_without(cohort, history, forbidden)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts, st.integers(), st.sampled_from(["exact", "dense", "sparse"]),
       st.floats(min_value=0.0, max_value=0.9))
def test_forbidden_pairs_never_appear(params, seed, stage, blocked):
    cohort, history = arbitrary_cohort(*params)
    forbidden = some_pairs(cohort, blocked, random.Random(seed))
    heuristic = mock.patch.object(_exact, "EXACT_MAX", _exact.EXACT_MAX if stage == "exact" else 0)
    with heuristic, path(stage != "sparse"):
        groups = match(cohort, history, seed=seed, forbidden=forbidden)
        assert_valid_without(cohort, groups, forbidden)
        # Everyone the allowed pairs can pair is paired; the trio may take
        # one more.
        assert len(cohort) - len(left_out(cohort, groups)) >= 2 * max_matching(cohort, forbidden)
        shuffled = list(cohort.items())
        random.Random(seed).shuffle(shuffled)
        flipped = {(b, a) for a, b in forbidden}
        assert match(dict(shuffled), history, seed=seed, forbidden=flipped) == groups


@pytest.mark.parametrize("n,made_by", [(40, "random"), (150, "matcher"), (300, "matcher"),
                                       (640, "random"), (700, "random")])
@pytest.mark.parametrize("seed", [1, 2])
def test_with_blocks_as_close_to_the_optimum(n, made_by, seed):
    # A few percent of past pairs blocked: still nobody left out, no
    # repeat, and as close to the optimum of the allowed pairs as without.
    rng = random.Random(seed * 1000 + n)
    cohort = zipf_cohort(n, rng)
    history = (random_rounds if made_by == "random" else matcher_rounds)(cohort, 10, rng)
    forbidden = blocked_pairs(history, 0.05, rng)
    groups = match(cohort, history, seed=seed, forbidden=forbidden)
    assert_valid_without(cohort, groups, forbidden)
    assert_valid(cohort, groups)
    got = score(groups, cohort, history)
    best = score(blossom_reference(cohort, history, forbidden)[0], cohort, history)
    assert got.repeats == best.repeats == 0
    assert got.sharing_pairs >= 0.99 * best.sharing_pairs
    assert got.shared_hobbies >= 0.99 * best.shared_hobbies


def test_many_with_nothing_to_share_and_many_blocks():
    # Over 400 left for completion: they are paired in one pass, which
    # must skip the forbidden pairs too.
    rng = random.Random(16)
    cohort = {u: frozenset() for u in range(801)}
    forbidden = some_pairs(cohort, 0.3, rng)
    groups = match(cohort, {}, seed=16, forbidden=forbidden)
    assert_valid_without(cohort, groups, forbidden)
    assert_valid(cohort, groups)


def test_blocks_that_were_never_candidates_change_nothing_for_anyone_else():
    # Forbidden pairs naming people not taking part are ignored, and an
    # empty set is the default: the groups are the same.
    rng = random.Random(14)
    cohort = zipf_cohort(90, rng)
    history = random_rounds(cohort, 6, rng)
    plain = match(cohort, history, seed=3)
    assert match(cohort, history, seed=3, forbidden=frozenset()) == plain
    assert match(cohort, history, seed=3, forbidden={(-1, min(cohort)), (-2, -3)}) == plain


def test_a_block_between_the_best_partners_is_respected_on_the_sparse_path():
    # Two people who share a rare hobby are each other's only sharing
    # partner: blocked, they are paired elsewhere.
    rng = random.Random(15)
    cohort = zipf_cohort(801, rng, hobbies=20)
    cohort[1] = cohort[2] = frozenset({999})
    forbidden: Forbidden = frozenset({(1, 2)})
    history: History = {}
    assert (1, 2) in match(cohort, history, seed=4)
    groups = match(cohort, history, seed=4, forbidden=forbidden)
    assert_valid_without(cohort, groups, forbidden)
    assert_valid(cohort, groups)


# -- the pieces ---------------------------------------------------------------------

def test_score_counts_a_trio_as_its_inner_pairs():
    cohort = {1: frozenset({1, 2}), 2: frozenset({2, 3}), 3: frozenset({2}),
              4: frozenset({9}), 5: frozenset()}
    history = {(1, 2): 4, (4, 5): 2}
    assert score([(1, 2, 3), (4, 5)], cohort, history) == Score(
        repeats=2, repeat_rounds=6, sharing_pairs=3, shared_hobbies=3)
    assert Score(0, 0, 3, 3).key() > Score(1, 2, 9, 9).key()
    assert Score(1, 2, 0, 0).key() > Score(1, 5, 9, 9).key()


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=2, max_value=18),
       st.floats(min_value=0.05, max_value=1.0))
def test_blossom_search_finds_a_maximum_matching(seed, n, density):
    rng = random.Random(seed)
    graph = nx.gnp_random_graph(n, density, seed=seed)
    adjacency = {v: sorted(graph[v]) for v in graph}
    mate = [-1] * n
    for u, v in graph.edges():
        if rng.random() < 0.5 and mate[u] < 0 and mate[v] < 0:
            mate[u], mate[v] = v, u
    while _blossom.forest_phase([v for v in range(n) if mate[v] < 0], adjacency.__getitem__,
                                mate):
        pass
    dead = set()
    for root in range(n):
        if mate[root] < 0 and root not in dead:
            _blossom.augment(root, adjacency.__getitem__, mate, dead)
    assert all(mate[v] < 0 or (mate[mate[v]] == v and graph.has_edge(v, mate[v]))
               for v in range(n))
    size = sum(1 for v in range(n) if mate[v] > v)
    assert size == len(nx.max_weight_matching(graph, maxcardinality=True))


# -- the process boundary ---------------------------------------------------------

def test_runs_in_a_spawned_worker_and_returns_plain_data():
    rng = random.Random(3)
    cohort = zipf_cohort(51, rng)
    history = random_rounds(cohort, 3, rng)
    with ProcessPoolExecutor(max_workers=1,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        groups = pool.submit(match, cohort, history, seed=17).result(timeout=60)
    assert groups == match(cohort, history, seed=17)
    assert pickle.loads(pickle.dumps(groups)) == groups
    assert all(type(g) is tuple for g in groups)


def test_standard_library_only():
    code = ("import sys, unimatch.matcher\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'tornado', 'pymongo', 'bson', 'numpy', 'networkx', 'rustworkx', 'jwt', 'bcrypt', "
            "'telegram'})\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_stable_across_hash_seeds():
    rng = random.Random(6)
    cohort = zipf_cohort(200, rng)
    history = random_rounds(cohort, 5, rng)
    code = ("import pickle, sys\nfrom unimatch.matcher import match\n"
            "cohort, history = pickle.loads(sys.stdin.buffer.read())\n"
            "sys.stdout.write(repr(match(cohort, history, seed=99)))\n")
    data = pickle.dumps((cohort, history))
    outputs = {subprocess.run([sys.executable, "-c", code], input=data, capture_output=True,
                              check=True, env={"PYTHONHASHSEED": str(h), "PATH": ""}).stdout
               for h in (0, 1, 12345)}
    assert len(outputs) == 1
    assert outputs.pop().decode() == repr(match(cohort, history, seed=99))
