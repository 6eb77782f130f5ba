"""Matcher instances and their reference optimum, shared by
``tests/test_matcher.py`` and ``bench/matcher.py`` so both measure the
same cohorts and histories against the same reference.

Standard library at import time (the bench's matcher process imports this
module and measures its own memory); rustworkx only when the reference is
computed.
"""

import itertools
import random
import time
from collections.abc import Iterable, Sequence

from unimatch.matcher import match

Cohort = dict[int, frozenset[int]]
History = dict[tuple[int, int], int]
Groups = list[tuple[int, ...]]
Forbidden = frozenset[tuple[int, int]]


# -- cohorts and histories ------------------------------------------------------------

def zipf_cohort(n: int, rng: random.Random, *, hobbies: int | None = None,
                per_person: tuple[int, int] = (1, 5)) -> Cohort:
    """``n`` people with 1-5 hobbies drawn from a Zipf-like popularity
    (``s = 1``) over ``hobbies`` hobbies, 20-50 by default; ids scattered,
    not 0..n-1."""
    count = hobbies or rng.randint(20, 50)
    names = [1000 + 7 * k for k in range(count)]
    # Cumulative weights once: the same draws as weights=, without summing
    # them again for every draw (hundreds of thousands at bench sizes).
    cum = list(itertools.accumulate(1 / (k + 1) for k in range(count)))
    ids = rng.sample(range(1, 20 * n + 20), n)
    cohort = {}
    for uid in ids:
        want = rng.randint(*per_person)
        chosen: set[int] = set()
        while len(chosen) < want:
            chosen.add(rng.choices(names, cum_weights=cum)[0])
        cohort[uid] = frozenset(chosen)
    return cohort


def arbitrary_cohort(seed: int, n: int, rounds: int, density: float) -> tuple[Cohort, History]:
    """Random ids, 0-4 hobbies out of 6, and a history of ``rounds`` rounds
    in which each pair met with probability ``density``."""
    rng = random.Random(seed)
    ids = rng.sample(range(-50, 10_000), n)
    cohort = {u: frozenset(rng.sample(range(6), rng.randint(0, 4))) for u in ids}
    history = {pair: rng.randint(1, rounds) for pair in itertools.combinations(sorted(ids), 2)
               if rounds and rng.random() < density}
    return cohort, history


def record(history: History, groups: Iterable[Sequence[int]], round_no: int) -> None:
    """Add every inner pair of ``groups`` to ``history`` as met in ``round_no``."""
    for group in groups:
        for a, b in itertools.combinations(sorted(group), 2):
            history[(a, b)] = round_no


def random_rounds(cohort: Cohort, rounds: int, rng: random.Random,
                  attend: float = 0.9) -> History:
    """History of ``rounds`` random pairings (a trio when odd)."""
    history: History = {}
    for round_no in range(1, rounds + 1):
        present = [u for u in sorted(cohort) if rng.random() < attend]
        rng.shuffle(present)
        groups = [present[i:i + 2] for i in range(0, len(present) - 1, 2)]
        if len(present) % 2 and groups:
            groups[-1].append(present[-1])
        record(history, groups, round_no)
    return history


def matcher_rounds(cohort: Cohort, rounds: int, rng: random.Random,
                   attend: float = 0.9) -> History:
    """History made by the matcher itself: the best partners are used up,
    which makes the next round harder than random history does."""
    history: History = {}
    for round_no in range(1, rounds + 1):
        present = {u: cohort[u] for u in sorted(cohort) if rng.random() < attend}
        record(history, match(present, history, seed=round_no), round_no)
    return history


def everyone_met(ids: Iterable[int], rng: random.Random) -> History:
    """Every pair met, each in a random round from 1 to 40."""
    return {pair: rng.randint(1, 40) for pair in itertools.combinations(sorted(ids), 2)}


def blocked_pairs(history: History, share: float, rng: random.Random) -> Forbidden:
    """Blocks as students make them: ``share`` of the pairs that met,
    drawn at random (one can only block someone one was paired with)."""
    met = sorted(history)
    return frozenset(rng.sample(met, round(share * len(met))))


def left_out(cohort: Cohort, groups: Groups) -> set[int]:
    """The participants in no group."""
    return set(cohort) - {u for group in groups for u in group}


# -- the reference --------------------------------------------------------------------

def lexicographic_weights(cohort: Cohort, history: History, forbidden: Forbidden = frozenset()
                          ) -> tuple[list[int], list[tuple[int, int, int]]]:
    """Integer pair weights whose sum over a perfect matching orders
    matchings exactly like ``Score.key`` (computed here, independently of
    the matcher's own constants), shifted to be at least 1 for maximum-
    cardinality solvers. Returns the sorted ids and ``(i, j, weight)`` for
    every pair of their positions ``i < j`` except the ``forbidden`` ones
    (given in either order)."""
    ids = sorted(cohort)
    pairs = len(ids) // 2 + 1
    cmax = max((len(h) for h in cohort.values()), default=0)
    share = pairs * (cmax + 1) + 1
    recency = pairs * (share + cmax + 1) + 1
    repeat = pairs * (recency * (max(history.values(), default=0) + 1) + share + cmax) + 1
    hobbies = [cohort[u] for u in ids]
    banned = forbidden | {(b, a) for a, b in forbidden}
    edges = []
    for i, a in enumerate(ids):
        mine = hobbies[i]
        for j in range(i + 1, len(ids)):
            if (a, ids[j]) in banned:
                continue
            common = len(mine & hobbies[j])
            w = (share + common) if common else 0
            met = history.get((a, ids[j]))
            if met is not None:
                w -= repeat + recency * met
            edges.append((i, j, w))
    shift = 1 - min((w for _, _, w in edges), default=0)
    return ids, [(i, j, w + shift) for i, j, w in edges]


def blossom_reference(cohort: Cohort, history: History,
                      forbidden: Forbidden = frozenset()) -> tuple[Groups, float]:
    """The reference grouping and the seconds rustworkx's blossom took.

    The blossom (maximum cardinality, :func:`lexicographic_weights`) on the
    complete graph less the ``forbidden`` pairs: the exact optimum for an
    even head count (when that graph has a perfect matching). For an odd
    one, the person it leaves out joins the pair where they gain the most
    (and may join it): a strong feasible grouping, not a proven optimum (an
    exact trio needs an ``O(n^3)`` search)."""
    import rustworkx as rx
    ids, edges = lexicographic_weights(cohort, history, forbidden)
    graph = rx.PyGraph()
    graph.add_nodes_from(ids)
    graph.add_edges_from(edges)
    started = time.perf_counter()
    chosen = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: w)
    seconds = time.perf_counter() - started
    groups: Groups = [tuple(sorted((ids[i], ids[j]))) for i, j in chosen]
    if len(ids) % 2:
        weight = {(i, j): w for i, j, w in edges}
        where = {u: k for k, u in enumerate(ids)}
        left = next(u for u in ids if all(u not in g for g in groups))

        def gain(pair: tuple[int, ...]) -> int:
            i = where[left]
            keys = [(i, where[u]) if i < where[u] else (where[u], i) for u in pair]
            return sum(weight[k] for k in keys) if all(k in weight for k in keys) else -1
        host = max(groups, key=gain)
        if gain(host) < 0:
            raise ValueError("the one left over may join no pair")
        groups = [g for g in groups if g != host] + [tuple(sorted(host + (left,)))]
    return groups, seconds
