"""Who meets whom this week.

Pure computation: standard library only, no I/O. The server runs
:func:`match` in a process pool, so arguments and results are plain,
picklable data.

Contract
--------
``match(participants, history, *, seed) -> list[tuple[int, ...]]``

* ``participants``: user id -> frozenset of hobby ids.
* ``history``: ``(a, b)`` with ``a < b`` -> the number of the last round in
  which ``a`` and ``b`` met (higher is more recent). Pairs naming someone
  not taking part are ignored.
* ``seed``: the same arguments and seed always give the same result,
  whatever ``PYTHONHASHSEED`` is; different seeds may give different
  (equally good) results.
* Result: every participant in exactly one group; groups are pairs plus
  exactly one trio when the head count is odd and at least three. Nobody
  alone: one participant (or none) gives ``[]``. Each group's ids are
  sorted, and the groups are sorted.

What a good result is (lexicographic, in this order):

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
Up to 12 people: an exact search. Above: the criteria become one integer
weight per pair; up to 150 people every pair is a candidate, beyond that
a sparse candidate graph of nearest hobby profiles (bounded per person,
from bucket indexes: linear, never all pairs); a greedy start; Edmonds
augmenting paths for the most sharing pairs and for a repeat-free round
whenever one exists; then a local search over alternating cycles. Quality
measured against an exact blossom (``bench/matcher.py``): the optimum on
criteria 1 and 2 and over 99.5% of it on criterion 3 on random instances.
Roughly linear time: about 1.5 s for 10,000 people and 25 s for 100,000 on
one core.
"""

import logging
import random
from itertools import combinations
from typing import NamedTuple

from unimatch.matching import _candidates, _exact, _improve
from unimatch.matching._model import Instance

logger = logging.getLogger(__name__)

__all__ = ["match", "score", "Score"]

#: Up to this many people every pair is a candidate (and the local search
#: may rearrange pairs that share nothing or met before).
DENSE_MAX = 150

SPARSE = dict(target=20, per_bucket=2, per_hobby=1, max_distance=4, whole=10)
MAX_EXPAND = 300


class Score(NamedTuple):
    """The criteria figures of a grouping (see the module docstring).

    ``repeats`` and ``repeat_rounds`` are better lower, ``sharing_pairs``
    and ``shared_hobbies`` better higher; :meth:`key` orders results from
    worst to best."""

    repeats: int
    repeat_rounds: int
    sharing_pairs: int
    shared_hobbies: int

    def key(self):
        """Sort key: larger is better, lexicographically by criterion."""
        return (-self.repeats, -self.repeat_rounds, self.sharing_pairs, self.shared_hobbies)


def score(groups, participants, history):
    """Evaluate ``groups`` (as returned by :func:`match`) against the
    criteria, counting a trio as its three inner pairs."""
    repeats = rounds = sharing = shared = 0
    for group in groups:
        for a, b in combinations(sorted(group), 2):
            met = history.get((a, b))
            if met is not None:
                repeats += 1
                rounds += met
            common = len(participants[a] & participants[b])
            if common:
                sharing += 1
                shared += common
    return Score(repeats, rounds, sharing, shared)


def match(participants, history, *, seed):
    """Group ``participants`` for this round.

    See the module docstring for the contract and for what the result
    optimises. Returns a list of sorted tuples of user ids (pairs, plus one
    trio for an odd head count of at least three), sorted."""
    n = len(participants)
    if n < 2:
        return []
    rng = random.Random(seed)
    inst = Instance(participants, history, rng)
    if n <= _exact.EXACT_MAX:
        pairs, trio = _exact.solve(inst)
        mate = [-1] * n
        for u, v in pairs:
            mate[u] = v
            mate[v] = u
        if trio is not None:
            x, a, b = trio
            mate[a] = b
            mate[b] = a
        return inst.groups(mate, trio)

    dense = n <= DENSE_MAX
    if dense:
        edges = _candidates.dense_edges(inst)
    else:
        edges = _candidates.sparse_edges(inst, rng, **SPARSE)
    adj, by_cost = _candidates.adjacency(inst, edges)
    del edges
    mate = [-1] * n
    _improve.greedy(inst, by_cost, mate)
    del by_cost
    augmented = _improve.share_more(inst, adj, mate)
    _improve.complete(inst, mate)
    stats = _improve.improve(inst, adj, mate, max_expand=4 * n if dense else MAX_EXPAND,
                             everywhere=dense)
    trio = None
    if n % 2:
        trio = _improve.place_trio(inst, adj, mate, exhaustive=dense)
        x, a, b = trio
    logger.debug("matched %d people (dense=%s): %d sharing augmentations, local search %s",
                 n, dense, augmented, stats)
    return inst.groups(mate, trio)
