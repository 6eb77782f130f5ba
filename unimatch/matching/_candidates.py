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
Hamming-nearest profiles leaves ~0.1%.

Index: for every non-empty subset ``T`` of someone's hobbies and their hobby
count ``s``, bucket ``(T, s)`` lists them. Everybody in bucket ``(T, s)``
shares ``T`` with a person ``A`` (``T`` a subset of ``A``, ``|A| = k``) and is
at Hamming distance at most ``k + s - 2|T|``; a person samples buckets in
increasing order of that bound until they have ``target`` candidates, plus
``per_hobby`` from each of their plain hobby buckets so that holders of
a rare hobby always see each other. The index holds each person once per
subset of their hobbies (at most 31 with 5 hobbies); memory and time are
linear in the head count.
"""

import itertools


def _subsets(mask, cache):
    """Subsets of ``mask`` grouped by size: ``result[t]`` is a tuple of the
    size-``t`` subsets (``result[0]`` is empty)."""
    got = cache.get(mask)
    if got is None:
        bits = []
        m = mask
        while m:
            low = m & -m
            bits.append(low)
            m ^= low
        got = tuple(
            tuple(sum(comb) for comb in itertools.combinations(bits, size)) if size else ()
            for size in range(len(bits) + 1))
        cache[mask] = got
    return got


def sparse_edges(inst, rng, *, target, per_bucket, per_hobby, max_distance, whole=0):
    """Candidate pairs as a list of keys (``i * n + j``, ``i < j``); never a
    pair that met before, never a pair sharing no hobby."""
    n = inst.n
    mask = inst.mask
    cnt = inst.cnt
    hist = inst.hist
    shift = inst.nbits
    cmax = inst.cmax

    cache = {}
    index = {}
    single = {}
    for i, m in enumerate(mask):
        if not m:
            continue
        subs = _subsets(m, cache)
        size = len(subs) - 1
        for t in range(1, size + 1):
            for sub in subs[t]:
                k = sub | size << shift
                bucket = index.get(k)
                if bucket is None:
                    index[k] = [i]
                else:
                    bucket.append(i)
        for h in subs[1]:
            bucket = single.get(h)
            if bucket is None:
                single[h] = [i]
            else:
                bucket.append(i)

    # For someone with k hobbies: the (t, s) bucket shapes in increasing
    # order of the distance bound k + s - 2t.
    order = {}
    for k in range(1, cmax + 1):
        shapes = [(k + s - 2 * t, -t, s) for t in range(1, k + 1) for s in range(t, cmax + 1)
                  if k + s - 2 * t <= max_distance]
        shapes.sort()
        order[k] = [(-neg_t, s << shift) for _, neg_t, s in shapes]

    rnd = rng.random
    seen = set()
    add = seen.add
    edges = []
    push = edges.append

    def draw(i, bucket, count):
        size = len(bucket)
        if size <= count + 1 or size <= whole:
            picks = bucket
        else:
            picks = [bucket[int(rnd() * size)] for _ in range(count)]
        got = 0
        for j in picks:
            if j == i:
                continue
            key = i * n + j if i < j else j * n + i
            if key in seen or key in hist:
                continue
            add(key)
            push(key)
            got += 1
        return got

    for i in range(n):
        m = mask[i]
        if not m:
            continue
        subs = _subsets(m, cache)
        got = 0
        for t, s_bits in order[cnt[i]]:
            for sub in subs[t]:
                bucket = index.get(sub | s_bits)
                if bucket is not None:
                    got += draw(i, bucket, per_bucket)
            if got >= target:
                break
        for h in subs[1]:
            draw(i, single[h], per_hobby)
    return edges


def dense_edges(inst):
    """Every pair, history included (small cohorts only)."""
    n = inst.n
    return [i * n + j for i in range(n) for j in range(i + 1, n)]


def adjacency(inst, edges):
    """Per-person candidate lists sorted by reduced cost, encoded as
    ``rc * n + neighbour`` ints (one sortable int per entry, no tuples);
    and the edges grouped by reduced cost for the greedy start."""
    n = inst.n
    mask = inst.mask
    y2 = inst.y2
    hist = inst.hist
    S2 = 2 * inst.S
    adj = [[] for _ in range(n)]
    by_cost = {}
    weight_of = inst.weight
    for key in edges:
        u, v = divmod(key, n)
        if key in hist:
            r = y2[u] + y2[v] - 2 * weight_of(u, v)
        else:
            c = (mask[u] & mask[v]).bit_count()
            r = y2[u] + y2[v] - (S2 + 2 * c if c else 0)
        adj[u].append(r * n + v)
        adj[v].append(r * n + u)
        bucket = by_cost.get(r)
        if bucket is None:
            by_cost[r] = [key]
        else:
            bucket.append(key)
    for row in adj:
        row.sort()
    return adj, by_cost
