"""Who meets whom this week.

Pure computation: standard library only, no I/O. The server runs
:func:`match` in a process pool, so arguments and results are plain,
picklable data.

Contract
--------
``match(participants, history, *, seed, forbidden=frozenset()) -> list[tuple[int, ...]]``

* ``participants``: user id -> frozenset of hobby ids.
* ``history``: ``(a, b)`` with ``a < b`` -> the number of the last round in
  which ``a`` and ``b`` met (higher is more recent). Pairs naming someone
  not taking part are ignored.
* ``seed``: the same arguments and seed always give the same result,
  whatever ``PYTHONHASHSEED`` is; different seeds may give different
  (equally good) results.
* ``forbidden``: pairs ``(a, b)`` (either order) that must never be in one
  group: a hard constraint, never traded for any criterion, also not when
  everybody has met everybody and not in the trio. Pairs naming someone
  not taking part are ignored. Empty (the default): the result is exactly
  what it was before the parameter existed.
* Result: every participant in exactly one group; groups are pairs plus
  exactly one trio when the head count is odd and at least three. Nobody
  alone: one participant (or none) gives ``[]``. Each group's ids are
  sorted, and the groups are sorted.
* Only when forbidden pairs leave no such grouping (two people who must
  not meet and nobody else; one who may meet nobody) are some people *left
  out*: in no group this round. Then groups cover everyone else, and are
  pairs plus at most one trio, whatever the head count (four people of
  whom one may meet nobody: a trio of the other three). As few people are
  left out as possible (criterion 0 below): exactly so up to 12 people;
  above, the pairs are a maximum matching of the allowed pairs, so at most
  one more than the fewest possible (when only the trio could have
  taken them) -- with blocks as rare as they are, nobody.

What a good result is (lexicographic, in this order):

0. With forbidden pairs only: as few people left out as possible.
1. As few *repeats* as possible (inner pairs that met before); zero when
   the round can be made without one. Among results with the same number
   of repeats, the repeats' last meetings are as old as possible (the sum
   of their round numbers is smallest).
2. As many *sharing pairs* as possible: inner pairs whose two people share
   at least one hobby.
3. As many *shared hobbies* as possible: the sum, over inner pairs, of the
   number of hobbies the two share.
4. Nobody favoured by id or input position: ties are broken by a seeded
   random relabelling.

A trio counts as its three inner pairs, for every criterion: its inner
pairs must not repeat, and it contributes 0 to 3 sharing pairs (3 when all
three pairs share a hobby) and the hobbies shared by each inner pair.

How (details in the ``unimatch.matching`` modules)
----------------------------------------------------
* Up to 12 people: exhaustive search, exactly optimal (criterion 0 too).
* Otherwise the criteria become one exact integer weight per pair
  (``_model``), and the round is a maximum-weight perfect matching plus
  the trio:

  1. Candidate pairs: every pair up to 600 people; above that a sparse
     graph of the nearest hobby profiles drawn from bucket indexes, a
     bounded number per person (``_candidates``): linear, never all pairs.
  2. A cheapest-first start with augmenting paths at each cost level, then
     Edmonds' blossom search, so the number of sharing pairs is maximum for
     the candidate graph (``_blossom``, ``_improve.build/share_more``).
  3. Everyone else is paired without repeats; Edmonds over the "never met"
     graph guarantees a repeat-free round whenever one exists, otherwise
     the unavoidable repeats are the oldest the search finds
     (``_improve.complete``). Forbidden pairs are in no graph; if they
     leave people unpaired, Edmonds over every allowed pair pairs as many
     as can be.
  4. Local search over improving alternating cycles of any length (best-
     first, bounded effort per search; ``_improve.improve``).
  5. Odd head count: the one left over joins the pair where they add the
     most; who is left over is then improved by swaps. (Forbidden pairs
     leaving several unpaired: the one gaining most joins a pair; the
     others are left out.)

Measured (``bench/matcher.py``, ``tests/test_matcher.py``): against an exact
blossom on random Zipf-like instances with ten rounds of history, the
optimum on criteria 1 and 2 and 99.5-100% of it on criterion 3 (the exact
optimum on every instance of up to 500 people measured); one core, about 1 s for
1,000 people, 2-3 s for 10,000 and 20 s for 100,000, under 0.6 GiB. The
same with 2% of the pairs in history forbidden (the bench's default), and
the optimum of the allowed pairs reached.
"""

import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from typing import NamedTuple

from unimatch.matching import _candidates, _exact, _improve
from unimatch.matching._model import Instance

logger = logging.getLogger(__name__)

__all__ = ["match", "score", "Score"]

#: Up to this many people every pair is a candidate (and the local search
#: may rearrange pairs that share nothing or met before). Measured: the
#: exact optimum on every instance tried up to 500 people; about a second at
#: 600 (several when everybody has met everybody).
DENSE_MAX = 600

#: Candidate graph shape (see ``_candidates``): richer for mid-sized
#: cohorts, where history has used up a larger share of everyone's best
#: partners, leaner for large ones, where near-identical profiles abound.
SPARSE_RICH = dict(target=32, per_bucket=3, per_hobby=2, max_distance=5, whole=12)
SPARSE_LEAN = dict(target=16, per_bucket=2, per_hobby=1, max_distance=4, whole=8)
RICH_MAX = 5_000

#: Dual potentials pay for themselves up to about this many people.
DUALS_MAX = 30_000


def _max_expand(n: int) -> int:
    """Local search effort: chain ends expanded per search. Searches that
    fail (most of them) cost exactly this, so it is what keeps the run
    near-linear: 300 up to 1,000 people, 30 at 10,000, 20 from 15,000."""
    return max(20, min(300, 300_000 // n))


class Score(NamedTuple):
    """The criteria figures of a grouping (see the module docstring).

    ``repeats`` and ``repeat_rounds`` are better lower, ``sharing_pairs``
    and ``shared_hobbies`` better higher; :meth:`key` orders results from
    worst to best."""

    repeats: int
    repeat_rounds: int
    sharing_pairs: int
    shared_hobbies: int

    def key(self) -> tuple[int, int, int, int]:
        """Sort key: larger is better, lexicographically by criterion."""
        return (-self.repeats, -self.repeat_rounds, self.sharing_pairs, self.shared_hobbies)


def score(groups: Iterable[Sequence[int]], participants: Mapping[int, frozenset[int]],
          history: Mapping[tuple[int, int], int]) -> Score:
    """Evaluate ``groups`` (as returned by :func:`match`) against the
    criteria, counting a trio as its three inner pairs. Same arguments as
    :func:`match` (a history key may name the larger id first)."""
    repeats = rounds = sharing = shared = 0
    for group in groups:
        for a, b in combinations(sorted(group), 2):
            met = history.get((a, b))
            if met is None:
                met = history.get((b, a))
            if met is not None:
                repeats += 1
                rounds += met
            common = len(participants[a] & participants[b])
            if common:
                sharing += 1
                shared += common
    return Score(repeats, rounds, sharing, shared)


def match(participants: dict[int, frozenset[int]], history: dict[tuple[int, int], int], *,
          seed: int, forbidden: Iterable[tuple[int, int]] = frozenset()) -> list[tuple[int, ...]]:
    """Group ``participants`` for this round, never putting a pair from
    ``forbidden`` in one group.

    See the module docstring for the contract and for what the result
    optimises. Returns a list of sorted tuples of user ids (pairs, plus one
    trio for an odd head count of at least three), sorted; with forbidden
    pairs that leave no other way, some participants are in none."""
    n = len(participants)
    if n < 2:
        return []
    rng = random.Random(seed)
    inst = Instance(participants, history, rng, forbidden)
    if n <= _exact.EXACT_MAX:
        pairs, trio = _exact.solve(inst)
        mate = [-1] * n
        for u, v in pairs:
            mate[u] = v
            mate[v] = u
        if trio is not None:
            _, a, b = trio
            mate[a] = b
            mate[b] = a
        return inst.groups(mate, trio)

    dense = n <= DENSE_MAX
    if dense:
        edges = _candidates.dense_edges(inst)
    else:
        edges = _candidates.sparse_edges(inst, rng,
                                         **(SPARSE_RICH if n <= RICH_MAX else SPARSE_LEAN))
    adj, levels = _candidates.adjacency(inst, edges)
    del edges
    mate = [-1] * n
    _improve.build(inst, adj, levels, mate, phases=2)
    del levels
    augmented = _improve.share_more(inst, adj, mate)
    _improve.complete(inst, mate)
    stats = _improve.improve(inst, adj, mate, max_expand=4 * n if dense else _max_expand(n),
                             everywhere=dense, duals=n <= DUALS_MAX)
    trio = None
    if -1 in mate:  # an odd head count, or people that forbidden pairs left over
        trio = _improve.place_trio(inst, adj, mate, exhaustive=dense)
    logger.debug("matched %d people (dense=%s): %d sharing augmentations, local search %s",
                 n, dense, augmented, stats)
    return inst.groups(mate, trio)
