"""Building and improving the matching.

Pipeline (``mate[i]`` is ``i``'s partner or ``-1``):

1. :func:`build`: candidate pairs that share a hobby and never met, in
   increasing reduced cost (identical profiles first), with augmenting
   sweeps at each cost level.
2. :func:`share_more`: Edmonds augmenting paths over those pairs, so the
   number of sharing pairs is maximum for the candidate graph.
3. :func:`complete`: pairs everybody else without repeats; Edmonds over
   the implicit never-met graph when a simple pass fails, so repeats are
   left only when no repeat-free round exists; then the unavoidable repeats
   are chosen oldest first.
4. :func:`improve`: local search that applies improving alternating cycles
   (see its docstring): from ~96-98% of the optimum's shared hobbies to
   99.5-100% on the measured instances.
5. :func:`place_trio`: with an odd head count, the person left over joins
   the pair where they add the most, and who is left over is improved by
   swaps.
"""

import heapq
import logging
from collections import deque

from unimatch.matching import _blossom

logger = logging.getLogger(__name__)


def build(inst, adj, levels, mate, *, phases):
    """Start: pairs that share a hobby and never met, cheapest level first;
    at each level, after taking what is free, ``phases`` sweeps of
    augmenting paths within the pairs of that cost or less, so as many
    people as possible are paired at each cost before the next (a plain
    greedy pass leaves whoever was unlucky in the tie-breaks to a costlier
    level: measured 10724 shared hobbies vs 11191 after this on 10,000
    people; the optimum restricted to the same candidates is 11645)."""
    n = inst.n
    mask = inst.mask
    free = [v for v in range(n) if mate[v] < 0 and mask[v]]
    for r, keys in enumerate(levels):
        for key in keys:
            u, v = divmod(key, n)
            if mate[u] < 0 and mate[v] < 0:
                mate[u] = v
                mate[v] = u
        free = [v for v in free if mate[v] < 0]
        if len(free) < 2:
            continue

        def neighbours(v, top=r):
            for code in adj[v]:
                cost = code // n
                if cost > top:
                    return
                yield code - cost * n

        for _ in range(phases):
            if not _blossom.forest_phase(free, neighbours, mate):
                break
            free = [v for v in free if mate[v] < 0]


def share_more(inst, adj, mate):
    """Augment the sharing matching until no augmenting path is left in the
    candidate graph (forest sweeps, then exact single-source searches for
    the few left). Returns the number of augmentations."""
    n = inst.n
    mask = inst.mask
    limit = inst.S

    def neighbours(v):
        if not mask[v]:
            return
        for code in adj[v]:
            r = code // n
            if r >= limit:
                return
            yield code - r * n

    done = 0
    while True:
        roots = [v for v in range(n) if mate[v] < 0 and mask[v]]
        found = _blossom.forest_phase(roots, neighbours, mate)
        done += found
        if not found:
            break
    roots = [v for v in range(n) if mate[v] < 0 and mask[v]]
    return done + _augment_each(roots, neighbours, mate)


def _augment_each(roots, neighbours, mate) -> int:
    """Try an augmenting path from every free root; returns how many were found.

    An augmenting path joins two free people: stop searching once fewer
    than two are left that could still be joined (with an odd head count
    one is always left, and a search from it would sweep everything)."""
    dead = set()
    left = len(roots)
    done = 0
    for root in roots:
        if left < 2:
            break
        if mate[root] < 0 and root not in dead:
            if _blossom.augment(root, neighbours, mate, dead):
                done += 1
                left -= 2
            else:
                left -= 1  # a failed tree holds no free person but its root
    return done


def complete(inst, mate):
    """Pair everybody still unpaired (at most one left over when the head
    count is odd), avoiding repeats whenever possible."""
    n = inst.n
    hist = inst.hist
    free = [v for v in range(n) if mate[v] < 0]
    if len(free) < 2:
        return
    rc = inst.rc
    if len(free) <= 400:
        # Few people: best pairs among them first (they may still share a
        # hobby through a pair the candidate graph did not hold).
        options = sorted((rc(u, v), u, v) for i, u in enumerate(free) for v in free[i + 1:]
                         if inst.key(u, v) not in hist)
        for _, u, v in options:
            if mate[u] < 0 and mate[v] < 0:
                mate[u] = v
                mate[v] = u
    else:
        for i, u in enumerate(free):
            if mate[u] >= 0:
                continue
            for k in range(i + 1, len(free)):
                v = free[k]
                if mate[v] < 0 and inst.key(u, v) not in hist:
                    mate[u] = v
                    mate[v] = u
                    break
    free = [v for v in free if mate[v] < 0]
    if len(free) >= 2:
        def never_met(v):
            base = v * n
            for u in range(n):
                if u != v and (base + u if v < u else u * n + v) not in hist:
                    yield u

        _augment_each(free, never_met, mate)
        free = [v for v in range(n) if mate[v] < 0]
    if len(free) >= 2:
        # Unavoidable repeats: the oldest (cheapest) first.
        logger.debug("%d people can only be paired with someone they met", len(free))
        options = sorted((rc(u, v), u, v) for i, u in enumerate(free) for v in free[i + 1:])
        for _, u, v in options:
            if mate[u] < 0 and mate[v] < 0:
                mate[u] = v
                mate[v] = u


def improve(inst, adj, mate, *, max_expand, everywhere, duals):
    """Apply improving alternating cycles until none is found.

    A move removes pairs ``(a, b), (c1, d1), ..., (ck, dk)`` and adds
    ``(a, c1), (d1, c2), ..., (dk, b)``: ``a`` takes ``c1`` from ``d1``,
    ``d1`` takes ``c2`` from ``d2``, ... and the last one freed closes the
    cycle with ``b``. Every new pair except the closing one is a candidate
    pair; the closing pair can be anyone. Improving = the removed reduced
    costs exceed the added ones.

    Why this and not 2-opt: the optimum is a minimum Hamming-distance
    matching with huge ties (many people with near-identical profiles),
    and most of the remaining improvements are long chains of small shifts.
    In prototype measurements on 1,000 people, exchanges of 2-5 pairs
    (depth-limited search) stalled at 96-99% of the optimum's shared
    hobbies and the last exchanges they found were all at the depth limit;
    the cycles this search applies are typically 5-20 pairs long, some 40+.

    Search: from every person ``a`` whose pair costs something, a best-first
    search over chains keyed by the remaining *budget* (removed minus added
    reduced cost so far), expanding the chain end with the largest budget
    and extending only through candidates cheaper than the budget (the
    adjacency lists are sorted, so the scan stops early). Requiring every
    prefix of the chain to stay in profit loses nothing: the cyclic
    sequence of gains of an improving cycle has a rotation whose prefix
    sums are all positive (the Lin-Kernighan gain lemma), and every person
    of the cycle is tried as a start in both directions. A search expands
    at most ``max_expand`` chain ends (the effort bound that keeps the
    whole pass near-linear) and paths that revisit a person are skipped.

    ``everywhere`` (small cohorts) also starts from, and passes through,
    pairs that share nothing or met before; otherwise only sharing
    never-met pairs take part (their reduced cost is below ``S``), which
    keeps each search local.

    ``duals``: measure reduced costs against potentials from
    :func:`_potentials` instead of the static ``y2``. Any potentials give
    the same cycle gains (each person is in one removed and one added
    pair, so they cancel) and the same completeness argument, but tighter
    ones make pairs that cannot be improved cost 0, so no search starts
    there and the others stay narrower (measured on 1,000 people: a third
    of the searches, same result). Computing them is two passes over the
    candidate graph plus a re-sort, which pays off up to a few tens of
    thousands of people and not beyond.
    """
    n = inst.n
    mask = inst.mask
    y2 = inst.y2
    hist = inst.hist
    S2 = 2 * inst.S
    rc = inst.rc
    ceiling = None if everywhere else inst.S
    raw = [rc(i, mate[i]) if mate[i] >= 0 else 0 for i in range(n)]
    pot = [0] * n
    if duals:
        _potentials(inst, adj, mate, raw, pot, ceiling)
    # prc: reduced cost of the current pair under the potentials; pairs
    # kept out of the search get a prohibitive value, so a chain through
    # them never has a positive budget.
    banned = -(inst.B + 2 * inst.Q * inst.S)
    prc = [0] * n

    def reprice(people):
        for u in people:
            v = mate[u]
            if v < 0 or (ceiling is not None and raw[u] >= ceiling):
                prc[u] = banned
            else:
                prc[u] = raw[u] - pot[u] - pot[v]

    reprice(range(n))
    ypot = [y2[i] - pot[i] for i in range(n)]
    label = [0] * n
    stamp = [0] * n
    from_x = [0] * n
    from_c = [0] * n
    heappush = heapq.heappush
    heappop = heapq.heappop
    stats = {"searches": 0, "moves": 0, "capped": 0, "longest": 0}
    search_id = 0

    def search(a, b, budget):
        nonlocal search_id
        search_id += 1
        sid = search_id
        label[a] = budget
        stamp[a] = sid
        from_x[a] = -1
        heap = [a - budget * n]
        mb = mask[b]
        yb = y2[b] - pot[b]
        expanded = 0
        while heap:
            item = heappop(heap)
            g = -(item // n)
            x = item + g * n
            if label[x] != g or stamp[x] != sid:
                continue
            on = {b, x}
            y = x
            while y != a:
                c = from_c[y]
                y = from_x[y]
                if c in on or y in on:
                    break
                on.add(c)
                on.add(y)
            else:
                expanded += 1
                if expanded > max_expand:
                    stats["capped"] += 1
                    return None
                gx = g + pot[x]
                for code in adj[x]:
                    r = code // n
                    if r >= gx:
                        break
                    c = code - r * n
                    g2 = gx - r + prc[c]
                    if g2 <= 0 or c in on:
                        continue
                    d = mate[c]
                    if d < 0 or d in on or (stamp[d] == sid and g2 <= label[d]):
                        continue
                    cc = (mask[d] & mb).bit_count()
                    close = ypot[d] + yb - (S2 + 2 * cc if cc else 0)
                    if close < g2 and (d * n + b if d < b else b * n + d) in hist:
                        close = rc(d, b) - pot[d] - pot[b]
                    if close < g2:
                        pairs = [(x, c), (d, b)]
                        y = x
                        while y != a:
                            pairs.append((from_x[y], from_c[y]))
                            y = from_x[y]
                        if _gain(pairs) > 0:
                            return pairs
                        continue
                    label[d] = g2
                    stamp[d] = sid
                    from_x[d] = x
                    from_c[d] = c
                    heappush(heap, d - g2 * n)
        return None

    def _gain(pairs):
        # Exact check of a move: reduced costs of the pairs it breaks minus
        # those of the pairs it makes (potentials cancel out).
        gain = 0
        for u, v in pairs:
            gain += raw[u] + raw[v] - 2 * rc(u, v)
        return gain

    queue = deque(range(n))
    queued = [True] * n
    while queue:
        a = queue.popleft()
        queued[a] = False
        budget = prc[a]
        if budget <= 0:
            continue
        b = mate[a]
        stats["searches"] += 1
        pairs = search(a, b, budget)
        if pairs is None:
            continue
        stats["moves"] += 1
        stats["longest"] = max(stats["longest"], len(pairs))
        for u, v in pairs:
            mate[u] = v
            mate[v] = u
        for u, v in pairs:
            raw[u] = raw[v] = rc(u, v)
        reprice([u for pair in pairs for u in pair])
        for u, v in pairs:
            if not queued[u]:
                queued[u] = True
                queue.append(u)
            if not queued[v]:
                queued[v] = True
                queue.append(v)
    return stats


def _potentials(inst, adj, mate, raw, pot, ceiling):
    """Dual potentials for the reduced costs: ``pot[u] + pot[v] <= rc(u, v)``
    on every candidate pair, as tight as cheaply possible on the current
    pairs. Start with each pair's cost split between its two people, lower
    until feasible, then raise each person as far as feasibility allows
    (one pass of coordinate ascent on the matching LP dual). Re-sorts the
    adjacency lists by ``rc - pot[neighbour]``."""
    n = inst.n
    for u in range(n):
        v = mate[u]
        if v > u and (ceiling is None or raw[u] < ceiling):
            pot[u] = raw[u] // 2
            pot[v] = raw[u] - pot[u]
    for u in range(n):
        pu = pot[u]
        for code in adj[u]:
            r = code // n
            val = r - pot[code - r * n]
            if val < pu:
                pu = val
        pot[u] = pu
    for u in range(n):
        v = mate[u]
        best = raw[u] - pot[v] if v >= 0 and (ceiling is None or raw[u] < ceiling) else None
        for code in adj[u]:
            r = code // n
            val = r - pot[code - r * n]
            if best is None or val < best:
                best = val
        if best is not None and best > pot[u]:
            pot[u] = best
    for row in adj:
        row[:] = [(code // n - pot[code % n]) * n + code % n for code in row]
        row.sort()


def place_trio(inst, adj, mate, *, exhaustive):
    """Choose the trio for an odd head count; returns ``(x, a, b)``.

    ``x`` is the one person ``mate`` leaves unpaired. It joins the pair
    ``(a, b)`` maximising ``w(a, x) + w(b, x)`` (a scan over all pairs, so
    never a repeat when a repeat-free host exists). Then who is left over
    is improved: making ``y`` (paired with ``z``) the one left over pairs
    ``z`` with ``x`` and hosts ``y`` instead. ``exhaustive`` tries every
    ``y`` exactly (quadratic; small cohorts); otherwise ``y`` ranges over
    ``x``'s candidates and their partners, scored by ``y``'s best host
    among its own candidates, and only a real gain is applied.
    """
    n = inst.n
    weight = inst.weight
    free = [v for v in range(n) if mate[v] < 0]
    if len(free) != 1:
        raise AssertionError(f"expected one person left over, got {len(free)}")
    x = free[0]

    def host(v):
        best = None
        for a in range(n):
            b = mate[a]
            if b > a and a != v and b != v:
                val = weight(a, v) + weight(b, v)
                if best is None or val > best[0]:
                    best = (val, a, b)
        return best

    def quick_host(v, skip):
        best = None
        for code in adj[v]:
            a = code % n
            b = mate[a]
            if b < 0 or a == skip or b == skip or b == v:
                continue
            val = weight(a, v) + weight(b, v)
            if best is None or val > best:
                best = val
        return best

    value, a, b = host(x)
    for _ in range(10 if exhaustive else 3):
        if exhaustive:
            pool = [y for y in range(n) if mate[y] >= 0]
        else:
            pool = set()
            for code in adj[x]:
                c = code % n
                if mate[c] >= 0:
                    pool.add(c)
                    pool.add(mate[c])
            pool = sorted(pool)
        best = None
        for y in pool:
            z = mate[y]
            if exhaustive:
                mate[z] = x
                mate[x] = z
                mate[y] = -1
                got = host(y)
                mate[y] = z
                mate[z] = y
                mate[x] = -1
                if got is None:
                    continue
                gain = weight(x, z) - weight(y, z) + got[0] - value
            else:
                got = quick_host(y, z)
                if got is None:
                    continue
                gain = weight(x, z) - weight(y, z) + got - value
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, y)
        if best is None:
            break
        y = best[1]
        z = mate[y]
        mate[z] = x
        mate[x] = z
        mate[y] = -1
        got = host(y)
        new_value = weight(x, z) - weight(y, z) + got[0]
        if new_value <= value:
            # The quick estimate was optimistic: undo and stop.
            mate[y] = z
            mate[z] = y
            mate[x] = -1
            break
        x = y
        value, a, b = got
    return x, a, b
