"""The local search of :func:`unimatch.matching._improve.improve`: improving
alternating cycles, found by a best-first search.

Why cycles and not 2-opt: the optimum is a minimum Hamming-distance
matching with huge ties (many people with near-identical profiles), and
most of the remaining improvements are long chains of small shifts. In
prototype measurements on 1,000 people, exchanges of 2-5 pairs
(depth-limited search) stalled at 96-99% of the optimum's shared hobbies
and the last exchanges they found were all at the depth limit; the cycles
this search applies are typically 5-20 pairs long, some 40+.

Search: from every person ``a`` whose pair costs something, a best-first
search over chains keyed by the remaining *budget* (removed minus added
reduced cost so far), expanding the chain end with the largest budget and
extending only through candidates cheaper than the budget (the adjacency
lists are sorted, so the scan stops early). Requiring every prefix of the
chain to stay in profit loses nothing: the cyclic sequence of gains of an
improving cycle has a rotation whose prefix sums are all positive (the
Lin-Kernighan gain lemma), and every person of the cycle is tried as a
start in both directions. A search expands at most ``max_expand`` chain
ends (the effort bound that keeps the whole pass near-linear) and paths
that revisit a person are skipped.

Forbidden pairs: the candidate graph holds none, so no chain step makes
one; a cycle is never closed with one (the chain goes on instead).

Potentials (``duals``): reduced costs measured against potentials from
:func:`_potentials` instead of the static ``y2``. Any potentials give the
same cycle gains (each person is in one removed and one added pair, so
they cancel) and the same completeness argument, but tighter ones make
pairs that cannot be improved cost 0, so no search starts there and the
others stay narrower (measured on 1,000 people: a third of the searches,
same result). Computing them is two passes over the candidate graph plus a
re-sort, which pays off up to a few tens of thousands of people and not
beyond.
"""

import heapq
from collections import deque
from collections.abc import Iterable

from unimatch.matching._model import Instance

Pairs = list[tuple[int, int]]


class CycleSearch:
    """One local-search pass over ``mate`` (``mate[i]`` is ``i``'s partner
    or ``-1``), which :meth:`run` improves in place.

    ``ceiling``: pairs whose reduced cost reaches it take no part (``None``:
    every pair does). With ``duals`` the rows of ``adj`` are re-keyed by
    reduced cost minus the neighbour's potential and re-sorted, here, once.
    """

    def __init__(self, inst: Instance, adj: list[list[int]], mate: list[int], *,
                 max_expand: int, ceiling: int | None, duals: bool) -> None:
        n = inst.n
        self.inst = inst
        self.adj = adj
        self.mate = mate
        self.max_expand = max_expand
        self.ceiling = ceiling
        # raw: reduced cost of each person's current pair, without potentials.
        self.raw = [inst.rc(i, mate[i]) if mate[i] >= 0 else 0 for i in range(n)]
        self.pot = [0] * n
        if duals:
            _potentials(inst, adj, mate, self.raw, self.pot, ceiling)
        # prc: reduced cost of the current pair under the potentials; pairs
        # kept out of the search get a prohibitive value, so a chain through
        # them never has a positive budget.
        self.banned = -(inst.B + 2 * inst.Q * inst.S)
        self.prc = [0] * n
        self.reprice(range(n))
        self.ypot = [inst.y2[i] - self.pot[i] for i in range(n)]
        # Per-search labels, valid where stamp[d] is the current search's id
        # (so a search never clears them): the best budget a chain reached d
        # with, and how: the chain end x before d and the c that x took.
        self.label = [0] * n
        self.stamp = [0] * n
        self.from_x = [0] * n
        self.from_c = [0] * n
        self.search_id = 0
        self.stats = {"searches": 0, "moves": 0, "capped": 0, "longest": 0}

    def run(self) -> dict[str, int]:
        """Search from everyone until no search finds an improving cycle
        (people in an applied move are searched from again); returns the
        counters: searches, moves, searches capped by ``max_expand``, and
        the longest move in pairs."""
        n = self.inst.n
        mate = self.mate
        prc = self.prc
        stats = self.stats
        queue = deque(range(n))
        queued = [True] * n
        while queue:
            a = queue.popleft()
            queued[a] = False
            budget = prc[a]
            if budget <= 0:
                continue
            stats["searches"] += 1
            pairs = self.search(a, mate[a], budget)
            if pairs is None:
                continue
            stats["moves"] += 1
            stats["longest"] = max(stats["longest"], len(pairs))
            self.apply(pairs)
            for pair in pairs:
                for u in pair:
                    if not queued[u]:
                        queued[u] = True
                        queue.append(u)
        return stats

    def search(self, a: int, b: int, budget: int) -> Pairs | None:
        """An improving cycle that breaks ``a``'s pair ``(a, b)``, ``a``
        starting with ``budget`` (the pair's ``prc``); returns the pairs it
        makes, or None when there is none within ``max_expand`` chain ends."""
        inst = self.inst
        n = inst.n
        adj, mate, mask, hist, rc = self.adj, self.mate, inst.mask, inst.hist, inst.rc
        forbidden = inst.forbidden
        pot, prc, ypot = self.pot, self.prc, self.ypot
        label, stamp, from_x, from_c = self.label, self.stamp, self.from_x, self.from_c
        S2 = 2 * inst.S
        heappush, heappop = heapq.heappush, heapq.heappop
        sid = self.start(a, budget)
        # One int per chain end, (-budget, person): the largest budget pops first.
        heap = [a - budget * n]
        mb = mask[b]
        yb = ypot[b]
        expanded = 0
        while heap:
            item = heappop(heap)
            g = -(item // n)
            x = item + g * n
            if label[x] != g or stamp[x] != sid:
                continue
            on = _chain_people(a, b, x, from_x, from_c)
            if on is None:
                continue
            expanded += 1
            if expanded > self.max_expand:
                self.stats["capped"] += 1
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
                # The closing pair (d, b) need not be a candidate: cost it as
                # never met from the masks, and look the history up only when
                # that cost would close the cycle. A forbidden pair closes
                # nothing: the chain goes on through d instead.
                cc = (mask[d] & mb).bit_count()
                close = ypot[d] + yb - (S2 + 2 * cc if cc else 0)
                if close < g2:
                    key = d * n + b if d < b else b * n + d
                    if key in hist:
                        close = rc(d, b) - pot[d] - pot[b]
                    if key in forbidden:
                        close = g2
                if close < g2:
                    pairs = self.cycle_pairs(a, x, c, d, b)
                    if self.gain(pairs) > 0:
                        return pairs
                    continue
                label[d] = g2
                stamp[d] = sid
                from_x[d] = x
                from_c[d] = c
                heappush(heap, d - g2 * n)
        return None

    def start(self, a: int, budget: int) -> int:
        """A new search id, with ``a`` (at ``budget``) as its only chain end."""
        self.search_id = sid = self.search_id + 1
        self.label[a] = budget
        self.stamp[a] = sid
        self.from_x[a] = -1
        return sid

    def cycle_pairs(self, a: int, x: int, c: int, d: int, b: int) -> Pairs:
        """The pairs made when the chain from ``a`` ends with ``x`` taking
        ``c`` and ``c``'s partner ``d`` closing the cycle with ``b``."""
        from_x = self.from_x
        from_c = self.from_c
        pairs = [(x, c), (d, b)]
        y = x
        while y != a:
            pairs.append((from_x[y], from_c[y]))
            y = from_x[y]
        return pairs

    def gain(self, pairs: Pairs) -> int:
        """Exact value of a move: reduced costs of the pairs it breaks minus
        those of the ``pairs`` it makes (potentials cancel out)."""
        raw = self.raw
        rc = self.inst.rc
        gain = 0
        for u, v in pairs:
            gain += raw[u] + raw[v] - 2 * rc(u, v)
        return gain

    def apply(self, pairs: Pairs) -> None:
        """Make the new ``pairs`` (which break their people's old pairs)."""
        mate = self.mate
        raw = self.raw
        rc = self.inst.rc
        for u, v in pairs:
            mate[u] = v
            mate[v] = u
        for u, v in pairs:
            raw[u] = raw[v] = rc(u, v)
        self.reprice([u for pair in pairs for u in pair])

    def reprice(self, people: Iterable[int]) -> None:
        """Recompute ``prc`` for ``people`` from ``raw`` and ``mate``."""
        mate = self.mate
        raw = self.raw
        pot = self.pot
        prc = self.prc
        ceiling = self.ceiling
        banned = self.banned
        for u in people:
            v = mate[u]
            if v < 0 or (ceiling is not None and raw[u] >= ceiling):
                prc[u] = banned
            else:
                prc[u] = raw[u] - pot[u] - pot[v]


def _chain_people(a: int, b: int, x: int, from_x: list[int],
                  from_c: list[int]) -> set[int] | None:
    """Everyone on the chain from ``a`` to its end ``x``, and ``b``; None if
    the chain passes someone twice (labels are kept per person, so a better
    chain reaching someone later rewires the links of chains through them)."""
    on = {b, x}
    y = x
    while y != a:
        c = from_c[y]
        y = from_x[y]
        if c in on or y in on:
            return None
        on.add(c)
        on.add(y)
    return on


def _potentials(inst: Instance, adj: list[list[int]], mate: list[int], raw: list[int],
                pot: list[int], ceiling: int | None) -> None:
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
