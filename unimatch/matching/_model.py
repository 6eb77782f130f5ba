"""The matching instance in array form, and the pair weights.

People are relabelled ``0..n-1`` in an order drawn from the seeded RNG, so
every later tie-break "by index" is a seeded random tie-break and nobody is
favoured by their id or by their position in the input.

Weights are exact integers built so that comparing the *sum* over the inner
pairs of any two valid groupings compares them lexicographically by the
criteria (fewest repeats; then oldest repeats; most sharing pairs; most
shared hobbies)::

    w(u, v) = S * share + c                      (never met)
    w(u, v) = S * share + c - B - Q * recency    (met; recency >= 1)

where ``c`` is the number of shared hobbies, ``share = c > 0`` and
``recency = last_round - oldest_round_in_history + 1``. A grouping has at
most ``P = n // 2 + 2`` inner pairs (``n // 2`` pairs, or ``(n + 3) / 2``
with a trio), so ``S > P * cmax`` makes one more sharing pair outweigh any
difference in ``c``; ``Q`` outweighs every ``S`` and ``c`` term together,
``B`` every ``Q``, ``S`` and ``c`` term together.

The local search works with *reduced costs* ``rc(u, v) = y2[u] + y2[v] -
2 w(u, v)`` (potentials doubled to stay integral), ``y2[u] = S + cnt[u]``
(``0`` for someone without hobbies). ``rc >= 0`` for every pair, and for a
sharing pair ``rc`` is the symmetric difference of the two hobby sets
(counting only hobbies someone else holds too): zero for identical
profiles. Over a perfect matching the potentials sum to a constant, so
maximising the total weight is minimising the total reduced cost.

Forbidden pairs (blocks) have no weight: no stage may make one. When they
leave someone without any possible group, that person is left out, and
``alone`` (a penalty above any difference the criteria can make) makes
"fewer left out" the first criterion of the exhaustive search.
"""

import random
from collections.abc import Iterable, Mapping


class Instance:
    """A relabelled instance.

    Attributes (all plain lists/ints/dicts, index ``i`` is person ``ids[i]``):
    ``n``, ``ids``, ``mask`` (the hobbies at least one other participant
    holds too, as a bit mask), ``cnt`` (their count), ``nbits`` (bits in
    use), ``cmax``, ``hist`` (pair key -> last round; key of ``i < j`` is
    ``i * n + j``), ``forbidden`` (keys of the pairs that must never be
    grouped), ``S``, ``Q``, ``B``, ``alone``, ``rmin`` and ``y2``
    (potentials).
    """

    def __init__(self, participants: Mapping[int, frozenset[int]],
                 history: Mapping[tuple[int, int], int], rng: random.Random,
                 forbidden: Iterable[tuple[int, int]] = ()) -> None:
        ids = sorted(participants)
        rng.shuffle(ids)
        n = len(ids)
        self.n = n
        self.ids = ids
        index = {uid: i for i, uid in enumerate(ids)}

        # Hobbies as bits, the most widely held first so that masks stay
        # small ints; a hobby nobody else holds can never be shared, so it
        # gets no bit at all (whatever the number of distinct hobbies,
        # masks take at most one bit per two hobby holdings).
        holders: dict[int, int] = {}
        for hs in participants.values():
            for h in hs:
                holders[h] = holders.get(h, 0) + 1
        shared = sorted((h for h, count in holders.items() if count > 1),
                        key=lambda h: (-holders[h], h))
        bit = {h: 1 << k for k, h in enumerate(shared)}
        mask = []
        for uid in ids:
            m = 0
            for h in participants[uid]:
                m |= bit.get(h, 0)
            mask.append(m)
        self.mask = mask
        self.cnt = cnt = [m.bit_count() for m in mask]
        self.nbits = len(bit)
        self.cmax = cmax = max(cnt, default=0)

        hist: dict[int, int] = {}
        for pair, rnd in history.items():
            a, b = pair
            i = index.get(a)
            j = index.get(b)
            if i is None or j is None or i == j:
                continue
            key = i * n + j if i < j else j * n + i
            old = hist.get(key)
            if old is None or old < rnd:
                hist[key] = rnd
        self.hist = hist
        self.forbidden = {self.key(index[a], index[b]) for a, b in forbidden
                          if a in index and b in index and a != b}
        rounds = hist.values()
        self.rmin = rmin = min(rounds, default=0)
        span = max(rounds, default=0) - rmin + 1

        pairs = n // 2 + 2
        self.S = S = pairs * cmax + 1
        self.Q = Q = pairs * (S + cmax) + 1
        self.B = B = pairs * (Q * span + S + cmax) + 1
        self.alone = pairs * (B + Q * span + S + cmax) + 1
        self.y2 = [S + c if c else 0 for c in cnt]

    def key(self, u: int, v: int) -> int:
        """The history/edge key of the unordered pair ``u, v``."""
        n = self.n
        return u * n + v if u < v else v * n + u

    def allowed(self, u: int, v: int) -> bool:
        """Whether ``u`` and ``v`` (two people) may be grouped at all."""
        return self.key(u, v) not in self.forbidden

    def weight(self, u: int, v: int) -> int:
        """The integer weight of pairing ``u`` with ``v`` (see module doc)."""
        c = (self.mask[u] & self.mask[v]).bit_count()
        w = self.S + c if c else 0
        rnd = self.hist.get(self.key(u, v))
        if rnd is not None:
            w -= self.B + self.Q * (rnd - self.rmin + 1)
        return w

    def rc(self, u: int, v: int) -> int:
        """Reduced cost (doubled) of pairing ``u`` with ``v``; ``>= 0``."""
        return self.y2[u] + self.y2[v] - 2 * self.weight(u, v)

    def groups(self, mate: list[int],
               trio: tuple[int, int, int] | None = None) -> list[tuple[int, ...]]:
        """Sorted groups of user ids from a matching (``mate[i]`` is ``i``'s
        partner or ``-1``) and an optional trio ``(x, a, b)`` of indices."""
        ids = self.ids
        out: list[tuple[int, ...]] = []
        for i, j in enumerate(mate):
            if j > i:
                if trio is not None and i in trio and j in trio:
                    continue
                out.append(tuple(sorted((ids[i], ids[j]))))
        if trio is not None:
            out.append(tuple(sorted(ids[x] for x in trio)))
        out.sort()
        return out
