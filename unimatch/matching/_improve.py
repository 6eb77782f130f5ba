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
   are chosen oldest first. Forbidden pairs are never made: when they
   leave people unpaired, Edmonds over every allowed pair pairs as many as
   can be.
4. :func:`improve`: local search that applies improving alternating cycles
   (see its docstring; the search is in :mod:`unimatch.matching._cycles`):
   from ~96-98% of the optimum's shared hobbies to 99.5-100% on the
   measured instances.
5. :func:`place_trio`: with an odd head count, the person left over joins
   the pair where they add the most, and who is left over is improved by
   swaps.

No step makes a forbidden pair: the candidate graph has none, and every
step that pairs people outside it checks.
"""

import logging
from collections.abc import Iterable

from unimatch.matching import _blossom, _cycles
from unimatch.matching._blossom import Neighbours
from unimatch.matching._model import Instance

logger = logging.getLogger(__name__)


def build(inst: Instance, adj: list[list[int]], levels: list[list[int]], mate: list[int], *,
          phases: int) -> None:
    """Start: pairs that share a hobby and never met, cheapest level first;
    at each level, after taking what is free, ``phases`` sweeps of
    augmenting paths within the pairs of that cost or less, so as many
    people as possible are paired at each cost before the next (a plain
    greedy pass leaves whoever was unlucky in the tie-breaks to a costlier
    level: measured 10724 shared hobbies vs 11191 after this on 10,000
    people; the optimum restricted to the same candidates is 11645)."""
    n = inst.n
    free = _free_sharers(inst, mate)
    for r, keys in enumerate(levels):
        for key in keys:
            u, v = divmod(key, n)
            if mate[u] < 0 and mate[v] < 0:
                _pair(mate, u, v)
        free = [v for v in free if mate[v] < 0]
        if len(free) < 2:
            continue
        neighbours = _sharing_below(inst, adj, r + 1)
        for _ in range(phases):
            if not _blossom.forest_phase(free, neighbours, mate):
                break
            free = [v for v in free if mate[v] < 0]


def share_more(inst: Instance, adj: list[list[int]], mate: list[int]) -> int:
    """Augment the sharing matching until no augmenting path is left in the
    candidate graph (forest sweeps, then exact single-source searches for
    the few left). Returns the number of augmentations."""
    neighbours = _sharing_below(inst, adj, inst.S)
    done = 0
    while found := _blossom.forest_phase(_free_sharers(inst, mate), neighbours, mate):
        done += found
    return done + _augment_each(_free_sharers(inst, mate), neighbours, mate)


def complete(inst: Instance, mate: list[int]) -> None:
    """Pair everybody still unpaired (at most one left over when the head
    count is odd), avoiding repeats whenever possible. With forbidden pairs,
    pair as many as any matching of the allowed pairs can: the ones left
    over then have no augmenting path (Berge)."""
    free = _unpaired(mate)
    if len(free) < 2:
        return
    if len(free) <= 400:
        # Few people: best pairs among them first (they may still share a
        # hobby through a pair the candidate graph did not hold).
        _pair_cheapest(inst, free, mate, repeats=False)
    else:
        _pair_in_order(inst, free, mate)
    free = [v for v in free if mate[v] < 0]
    if len(free) >= 2:
        _augment_each(free, _never_met(inst), mate)
        free = _unpaired(mate)
    if len(free) >= 2:
        # Unavoidable repeats: the oldest (cheapest) first.
        logger.debug("%d people can only be paired with someone they met", len(free))
        _pair_cheapest(inst, free, mate, repeats=True)
        free = _unpaired(mate)
    if len(free) >= 2 and inst.forbidden:
        # Only forbidden pairs are left among them: an augmenting path may
        # still pair two by moving others (into repeats, if need be).
        _augment_each(free, _allowed(inst), mate)


def improve(inst: Instance, adj: list[list[int]], mate: list[int], *, max_expand: int,
            everywhere: bool, duals: bool) -> dict[str, int]:
    """Apply improving alternating cycles until none is found; returns the
    search's counters (searches, moves, searches capped, longest move in
    pairs).

    A move removes pairs ``(a, b), (c1, d1), ..., (ck, dk)`` and adds
    ``(a, c1), (d1, c2), ..., (dk, b)``: ``a`` takes ``c1`` from ``d1``,
    ``d1`` takes ``c2`` from ``d2``, ... and the last one freed closes the
    cycle with ``b``. Every new pair except the closing one is a candidate
    pair; the closing pair can be anyone. Improving = the removed reduced
    costs exceed the added ones. How the cycles are found, and why cycles:
    :mod:`unimatch.matching._cycles`.

    ``max_expand``: chain ends one search may expand (the effort bound).
    ``everywhere`` (small cohorts) also starts from, and passes through,
    pairs that share nothing or met before; otherwise only sharing
    never-met pairs take part (their reduced cost is below ``S``), which
    keeps each search local. ``duals``: measure reduced costs against
    tighter potentials than the static ``y2`` (fewer, narrower searches);
    this re-keys and re-sorts the rows of ``adj``, after which only
    ``code % n`` (the neighbour) still means what it did.
    """
    search = _cycles.CycleSearch(inst, adj, mate, max_expand=max_expand,
                                 ceiling=None if everywhere else inst.S, duals=duals)
    return search.run()


def place_trio(inst: Instance, adj: list[list[int]], mate: list[int], *,
               exhaustive: bool) -> tuple[int, int, int] | None:
    """Choose the trio for whoever ``mate`` leaves unpaired (one person
    when the head count is odd); returns ``(x, a, b)``, or None when
    nobody can join a pair.

    ``x`` is the one person ``mate`` leaves unpaired. It joins the pair
    ``(a, b)`` maximising ``w(a, x) + w(b, x)`` (a scan over all pairs, so
    never a repeat when a repeat-free host exists). Then who is left over
    is improved: making ``y`` (paired with ``z``) the one left over pairs
    ``z`` with ``x`` and hosts ``y`` instead. ``exhaustive`` tries every
    ``y`` exactly (quadratic; small cohorts); otherwise ``y`` ranges over
    ``x``'s candidates and their partners, scored by ``y``'s best host
    among its own candidates, and only a real gain is applied.

    Forbidden pairs can leave several people unpaired (no two of them may
    be paired, or :func:`complete` would have): ``x`` is then the one whose
    best host gains the most, and the others stay left out. A host or swap
    that would group a forbidden pair is never taken.
    """
    free = _unpaired(mate)
    if not free:
        raise AssertionError("nobody left over to join a trio")
    hosted = _first_hosted(inst, mate, free)
    if hosted is None:
        return None
    x, (value, a, b) = hosted
    for _ in range(10 if exhaustive else 3):
        y = _best_swap(inst, adj, mate, x, value, exhaustive=exhaustive)
        if y is None:
            break
        got = _swap_left_over(inst, mate, x, y, value)
        if got is None:
            break
        x = y
        value, a, b = got
    return x, a, b


# -- for build, share_more and complete ---------------------------------------------

def _pair(mate: list[int], u: int, v: int) -> None:
    mate[u] = v
    mate[v] = u


def _unpaired(mate: list[int]) -> list[int]:
    return [v for v in range(len(mate)) if mate[v] < 0]


def _free_sharers(inst: Instance, mate: list[int]) -> list[int]:
    """The unpaired people who hold a hobby someone else holds too."""
    mask = inst.mask
    return [v for v in range(inst.n) if mate[v] < 0 and mask[v]]


def _sharing_below(inst: Instance, adj: list[list[int]], limit: int) -> Neighbours:
    """Neighbours in the candidate graph through the pairs cheaper than
    ``limit`` that share a hobby and never met. With ``limit <= S`` those
    are all the pairs below ``limit`` of someone with a hobby to share;
    someone without one gets none (their pairs below ``S`` share nothing)."""
    n = inst.n
    mask = inst.mask

    def neighbours(v: int) -> Iterable[int]:
        if not mask[v]:
            return
        for code in adj[v]:
            r = code // n
            if r >= limit:
                return
            yield code - r * n
    return neighbours


def _never_met(inst: Instance) -> Neighbours:
    """Neighbours in the implicit graph of everyone who never met (and may
    be grouped)."""
    n = inst.n
    hist = inst.hist
    forbidden = inst.forbidden

    def neighbours(v: int) -> Iterable[int]:
        base = v * n
        for u in range(n):
            if u != v:
                key = base + u if v < u else u * n + v
                if key not in hist and key not in forbidden:
                    yield u
    return neighbours


def _allowed(inst: Instance) -> Neighbours:
    """Neighbours in the implicit graph of every pair that may be grouped."""
    n = inst.n
    forbidden = inst.forbidden

    def neighbours(v: int) -> Iterable[int]:
        base = v * n
        for u in range(n):
            if u != v and (base + u if v < u else u * n + v) not in forbidden:
                yield u
    return neighbours


def _augment_each(roots: list[int], neighbours: Neighbours, mate: list[int]) -> int:
    """Try an augmenting path from every free root; returns how many were found.

    An augmenting path joins two free people: stop searching once fewer
    than two are left that could still be joined (with an odd head count
    one is always left, and a search from it would sweep everything)."""
    dead: set[int] = set()
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


def _pair_cheapest(inst: Instance, people: list[int], mate: list[int], *,
                   repeats: bool) -> None:
    """Pair the unpaired ``people`` greedily by increasing reduced cost;
    pairs that met before too when ``repeats``; never a forbidden pair."""
    rc = inst.rc
    hist = inst.hist
    forbidden = inst.forbidden
    key = inst.key
    options = sorted((rc(u, v), u, v) for i, u in enumerate(people) for v in people[i + 1:]
                     if (repeats or key(u, v) not in hist) and key(u, v) not in forbidden)
    for _, u, v in options:
        if mate[u] < 0 and mate[v] < 0:
            _pair(mate, u, v)


def _pair_in_order(inst: Instance, people: list[int], mate: list[int]) -> None:
    """Pair each of ``people`` still unpaired with the first one after it
    who is unpaired too, never met it and may be grouped with it (no sort:
    for many people)."""
    hist = inst.hist
    forbidden = inst.forbidden
    for i, u in enumerate(people):
        if mate[u] >= 0:
            continue
        for k in range(i + 1, len(people)):
            v = people[k]
            if mate[v] < 0 and inst.key(u, v) not in hist and inst.key(u, v) not in forbidden:
                _pair(mate, u, v)
                break


# -- for place_trio -----------------------------------------------------------------

def _first_hosted(inst: Instance, mate: list[int],
                  free: list[int]) -> tuple[int, tuple[int, int, int]] | None:
    """Of the unpaired ``free``, the one whose best host gains the most (the
    first of equals) and that host; None when none of them has a host."""
    best = None
    for x in free:
        host = _best_host(inst, mate, x)
        if host is not None and (best is None or host[0] > best[1][0]):
            best = (x, host)
    return best


def _best_host(inst: Instance, mate: list[int], v: int) -> tuple[int, int, int] | None:
    """The pair ``(a, b)`` (``a < b``, neither is ``v``, both allowed with
    ``v``) where ``v`` adds the most, ``w(a, v) + w(b, v)``, as ``(that sum,
    a, b)``; the first of equals; None when there is no such pair."""
    weight = inst.weight
    allowed = inst.allowed
    best = None
    for a in range(inst.n):
        b = mate[a]
        if b > a and a != v and b != v and allowed(a, v) and allowed(b, v):
            val = weight(a, v) + weight(b, v)
            if best is None or val > best[0]:
                best = (val, a, b)
    return best


def _quick_host(inst: Instance, adj: list[list[int]], mate: list[int], v: int,
                skip: int) -> int | None:
    """What ``v`` adds to the best pair it can join through its candidates,
    leaving out ``skip``'s pair; None when there is no such pair."""
    n = inst.n
    weight = inst.weight
    best = None
    for code in adj[v]:
        a = code % n
        b = mate[a]
        if b < 0 or a == skip or b == skip or b == v or not inst.allowed(b, v):
            continue
        val = weight(a, v) + weight(b, v)
        if best is None or val > best:
            best = val
    return best


def _best_swap(inst: Instance, adj: list[list[int]], mate: list[int], x: int, value: int, *,
               exhaustive: bool) -> int | None:
    """Who to leave over instead of ``x`` (the one left over now, whose
    best host adds ``value``): the ``y`` gaining the most, estimated unless
    ``exhaustive``; None when nobody gains."""
    weight = inst.weight
    best = None
    for y in _swap_pool(adj, mate, x, exhaustive=exhaustive):
        z = mate[y]
        if not inst.allowed(x, z):
            continue
        hosted = (_trial_host(inst, mate, x, y) if exhaustive
                  else _quick_host(inst, adj, mate, y, z))
        if hosted is None:
            continue
        gain = weight(x, z) - weight(y, z) + hosted - value
        if gain > 0 and (best is None or gain > best[0]):
            best = (gain, y)
    return None if best is None else best[1]


def _swap_pool(adj: list[list[int]], mate: list[int], x: int, *,
               exhaustive: bool) -> list[int]:
    """Who may be left over instead of ``x``, in index order: everyone
    paired, or (not ``exhaustive``) ``x``'s candidates and their partners."""
    n = len(mate)
    if exhaustive:
        return [y for y in range(n) if mate[y] >= 0]
    pool = set()
    for code in adj[x]:
        c = code % n
        if mate[c] >= 0:
            pool.add(c)
            pool.add(mate[c])
    return sorted(pool)


def _trial_host(inst: Instance, mate: list[int], x: int, y: int) -> int | None:
    """What ``y``'s best host would add were ``y`` left over instead of
    ``x`` (None: no host); ``mate`` ends as it was."""
    _trade(mate, x, y)
    host = _best_host(inst, mate, y)
    _trade(mate, y, x)
    return None if host is None else host[0]


def _swap_left_over(inst: Instance, mate: list[int], x: int, y: int,
                    value: int) -> tuple[int, int, int] | None:
    """Leave ``y`` over instead of ``x`` if that beats ``value`` (what
    ``x``'s best host adds): returns ``y``'s best host as ``(what y adds,
    a, b)``; otherwise None, with ``mate`` as it was."""
    weight = inst.weight
    z = _trade(mate, x, y)
    got = _best_host(inst, mate, y)
    if got is None or weight(x, z) - weight(y, z) + got[0] <= value:
        # The quick estimate was optimistic: undo and stop.
        _trade(mate, y, x)
        return None
    return got


def _trade(mate: list[int], x: int, y: int) -> int:
    """Leave ``y`` over instead of ``x``: ``x`` (unpaired) takes ``y``'s
    partner, which is returned."""
    z = mate[y]
    mate[z] = x
    mate[x] = z
    mate[y] = -1
    return z
