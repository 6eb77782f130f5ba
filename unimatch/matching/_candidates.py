"""The sparse candidate graph: which pairs the matcher may consider.

Building every pair is quadratic, so each person draws a bounded number of
candidates from bucket indexes, nearest hobby profiles first.

Why "nearest profile": for two people who share at least one hobby the
reduced cost of pairing them is ``|A ^ B|`` (the symmetric difference of the
two hobby sets, see ``_model``), so the optimum is a minimum-Hamming-distance
perfect matching over hobby bit masks. Measured against an exact blossom on
random Zipf instances, almost every optimal pair is nested or nearly so
(``{chess}`` with ``{chess}``, ``{chess, go}`` with ``{chess, go, art}``).
Sampling people who merely share *a* hobby (hobby buckets) left 8-10% of
the optimum's shared hobbies out of reach of any search; sampling the
Hamming-nearest profiles leaves 0.1-0.5%.

Index: for every non-empty subset ``T`` of someone's hobbies and their hobby
count ``s``, bucket ``(T, s)`` lists them (subsets too small to be near
anyone are skipped, see :func:`_subsets`). Everybody in bucket ``(T, s)``
shares ``T`` with a person ``A`` (``T`` a subset of ``A``, ``|A| = k``) and is
at Hamming distance at most ``k + s - 2|T|``; a person samples buckets in
increasing order of that bound until they have ``target`` candidates, plus
``per_hobby`` from each of their plain hobby buckets so that holders of
a rare hobby always see each other. The index holds each person once per
subset of their hobbies (at most 31 with 5 hobbies); memory and time are
linear in the head count.
"""

import itertools
import random

from unimatch.matching._model import Instance

#: Most subsets indexed/queried per person. Everyone with up to 6 hobbies
#: is indexed in full (63 subsets); beyond that only the largest subsets
#: (the nearest profiles) and the single hobbies are, so a long hobby list
#: cannot blow up (2**k subsets).
SUBSET_CAP = 64

#: A person's indexed subsets by size (see :func:`_subsets`): ``subs[t]``
#: holds the size-``t`` ones, each a tuple of bit positions.
Subsets = tuple[tuple[tuple[int, ...], ...], ...]

#: Bucket ``(T, s)``: everyone whose ``s`` hobbies include the subset ``T``.
Index = dict[tuple[tuple[int, ...], int], list[int]]


def _subsets(mask: int, cache: dict[int, Subsets], max_distance: int) -> Subsets:
    """Subsets of ``mask`` grouped by size: ``result[t]`` is a tuple of the
    size-``t`` subsets, each a tuple of bit positions (small ints hash fast
    whatever the number of distinct hobbies; big masks would not). Only
    sizes that can be within ``max_distance`` of someone (``t >= k -
    max_distance``, plus the single hobbies), at most :data:`SUBSET_CAP`,
    largest first."""
    got = cache.get(mask)
    if got is None:
        bits = []
        m = mask
        while m:
            low = m & -m
            bits.append(low.bit_length() - 1)
            m ^= low
        k = len(bits)
        by_size: list[tuple[tuple[int, ...], ...]] = [()] * (k + 1)
        room = SUBSET_CAP
        for size in range(k, max(1, k - max_distance) - 1, -1):
            if room <= 0:
                break
            subs = list(itertools.islice(itertools.combinations(bits, size), room))
            room -= len(subs)
            by_size[size] = tuple(subs)
        by_size[1] = tuple((b,) for b in bits)
        got = cache[mask] = tuple(by_size)
    return got


def sparse_edges(inst: Instance, rng: random.Random, *, target: int, per_bucket: int,
                 per_hobby: int, max_distance: int, whole: int) -> list[int]:
    """Candidate pairs as a list of keys (``i * n + j``, ``i < j``); never a
    pair that met before, never a pair sharing no hobby, never a forbidden
    pair."""
    mask = inst.mask
    cnt = inst.cnt
    cache: dict[int, Subsets] = {}
    index, single = _buckets(mask, cache, max_distance)
    order = _bucket_order(inst.cmax, max_distance)
    sampler = _Sampler(inst, rng, whole=max(whole, per_bucket + 1))
    take = sampler.take
    for i in range(inst.n):
        m = mask[i]
        if not m:
            continue
        subs = _subsets(m, cache, max_distance)
        got = 0
        for t, holder in order[cnt[i]]:
            for sub in subs[t]:
                bucket = index.get((sub, holder))
                if bucket is not None:
                    got += take(i, bucket, per_bucket)
            if got >= target:
                break
        for h in subs[1]:
            take(i, single[h], per_hobby)
    return sampler.edges


def _buckets(mask: list[int], cache: dict[int, Subsets],
             max_distance: int) -> tuple[Index, dict[tuple[int, ...], list[int]]]:
    """The bucket index (see the module docstring) and the plain hobby
    buckets (a one-hobby subset ``(bit,)`` -> its holders), members in
    increasing order."""
    index: Index = {}
    single: dict[tuple[int, ...], list[int]] = {}
    for i, m in enumerate(mask):
        if not m:
            continue
        subs = _subsets(m, cache, max_distance)
        size = len(subs) - 1
        for t in range(1, size + 1):
            for sub in subs[t]:
                where = (sub, size)
                bucket = index.get(where)
                if bucket is None:
                    index[where] = [i]
                else:
                    bucket.append(i)
        for h in subs[1]:
            bucket = single.get(h)
            if bucket is None:
                single[h] = [i]
            else:
                bucket.append(i)
    return index, single


def _bucket_order(cmax: int, max_distance: int) -> dict[int, list[tuple[int, int]]]:
    """For someone with ``k`` hobbies: the ``(t, s)`` bucket shapes in
    increasing order of the distance bound ``k + s - 2t`` (larger shared
    subsets first on a tie), up to ``max_distance``."""
    order = {}
    for k in range(1, cmax + 1):
        shapes = [(k + s - 2 * t, -t, s) for t in range(1, k + 1) for s in range(t, cmax + 1)
                  if k + s - 2 * t <= max_distance]
        shapes.sort()
        order[k] = [(-neg_t, s) for _, neg_t, s in shapes]
    return order


class _Sampler:
    """The candidate pairs drawn so far: ``edges`` in the order drawn, each
    once, and never a pair that met before or is forbidden."""

    def __init__(self, inst: Instance, rng: random.Random, *, whole: int) -> None:
        self.n = inst.n
        self.hist = inst.hist
        self.forbidden = inst.forbidden
        self.rnd = rng.random
        self.whole = whole
        self.seen: set[int] = set()
        self.edges: list[int] = []

    def take(self, i: int, bucket: list[int], samples: int) -> int:
        """Add the new pairs of ``i`` with ``bucket`` (all of a bucket of
        at most ``whole``, else ``samples`` random members, repeats
        possible); returns how many were new."""
        n, hist, forbidden, seen, edges = self.n, self.hist, self.forbidden, self.seen, self.edges
        size = len(bucket)
        if size <= self.whole:
            picks = bucket
        else:
            rnd = self.rnd
            picks = [bucket[int(rnd() * size)] for _ in range(samples)]
        base = i * n
        added = 0
        for j in picks:
            key = base + j if i < j else j * n + i
            if key in seen or key in hist or j == i or key in forbidden:
                continue
            seen.add(key)
            edges.append(key)
            added += 1
        return added


def dense_edges(inst: Instance) -> list[int]:
    """Every pair, history included, but no forbidden pair (small cohorts only)."""
    n = inst.n
    forbidden = inst.forbidden
    return [i * n + j for i in range(n) for j in range(i + 1, n) if i * n + j not in forbidden]


def adjacency(inst: Instance, edges: list[int]) -> tuple[list[list[int]], list[list[int]]]:
    """Per-person candidate lists sorted by reduced cost, encoded as
    ``rc * n + neighbour`` ints (one sortable int per entry, no tuples),
    and ``levels``: the candidate pairs that share a hobby and never met,
    grouped by reduced cost (``levels[r]``, ``r <= 2 * cmax``)."""
    n = inst.n
    mask = inst.mask
    cnt = inst.cnt
    hist = inst.hist
    rc = inst.rc
    adj: list[list[int]] = [[] for _ in range(n)]
    levels: list[list[int]] = [[] for _ in range(2 * inst.cmax + 1)]
    for key in edges:
        u, v = divmod(key, n)
        c = (mask[u] & mask[v]).bit_count()
        if c and key not in hist:
            r = cnt[u] + cnt[v] - 2 * c
            levels[r].append(key)
        else:
            r = rc(u, v)
        adj[u].append(r * n + v)
        adj[v].append(r * n + u)
    for row in adj:
        row.sort()
    return adj, levels
