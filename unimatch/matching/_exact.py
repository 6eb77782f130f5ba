"""Exhaustive optimum for tiny cohorts.

A dynamic programme over the set of people still to be grouped: the
lowest-numbered remaining person is paired with one other, or (when the
head count is odd and no trio exists yet) put in a trio with two others.
About ``2**n * n**2 / 2`` steps, so it is used up to :data:`EXACT_MAX`
people, where it is instant and makes the hard corner cases (everybody met
everybody, a repeat that must be chosen by age) provably optimal.

With forbidden pairs a group never holds one, a trio may be formed
whatever the head count, and the lowest-numbered person may also be left
out, at the price ``inst.alone`` (more than any difference the criteria can
make): the fewest people are left out, and among those groupings the best
by the criteria. Without forbidden pairs none of that can pay, so the
search is the plain one.
"""

from unimatch.matching._model import Instance

EXACT_MAX = 12

#: Groups of indices: pairs, and at most one trio.
Groups = tuple[tuple[int, ...], ...]


def solve(inst: Instance) -> tuple[list[tuple[int, int]], tuple[int, int, int] | None]:
    """Return ``(pairs, trio)``: a list of index pairs and ``None`` or an
    index triple, maximising the total weight exactly (with forbidden pairs:
    leaving out as few as possible first; those left out are in neither)."""
    n = inst.n
    weight = inst.weight
    w = [[weight(i, j) if i != j else 0 for j in range(n)] for i in range(n)]
    ok = [[i != j and inst.allowed(i, j) for j in range(n)] for i in range(n)]
    # Leaving someone out is an option only where groups can be impossible.
    spare = bool(inst.forbidden)
    alone = inst.alone
    memo: dict[tuple[int, bool], tuple[int, Groups]] = {}

    def best(rem: int, trio: bool) -> tuple[int, Groups]:
        # rem: bit mask of people not yet grouped; trio: a trio may still be
        # formed (without forbidden pairs: is still due).
        if rem == 0:
            return 0, ()
        got = memo.get((rem, trio))
        if got is not None:
            return got
        i = (rem & -rem).bit_length() - 1
        rest = rem ^ (1 << i)
        left = rest.bit_count()
        wi = w[i]
        oki = ok[i]
        top: tuple[int, Groups] | None = None
        js = [j for j in range(i + 1, n) if rest >> j & 1]
        if not trio or left >= 4 or spare:
            for j in js:
                if not oki[j]:
                    continue
                val, groups = best(rest ^ (1 << j), trio)
                val += wi[j]
                if top is None or val > top[0]:
                    top = (val, ((i, j),) + groups)
        if trio:
            for a, j in enumerate(js):
                if not oki[j]:
                    continue
                wj = w[j]
                okj = ok[j]
                for k in js[a + 1:]:
                    if not (oki[k] and okj[k]):
                        continue
                    val, groups = best(rest ^ (1 << j) ^ (1 << k), False)
                    val += wi[j] + wi[k] + wj[k]
                    if top is None or val > top[0]:
                        top = (val, ((i, j, k),) + groups)
        if spare:
            val, groups = best(rest, trio)
            val -= alone
            if top is None or val > top[0]:
                top = (val, groups)
        if top is None:
            # Unreachable: without forbidden pairs a trio is due only while
            # the head count left is odd, so a pair or a trio can always be
            # formed; with them, leaving out is always possible.
            raise AssertionError(f"nothing to group in {rem:b} (trio due: {trio})")
        memo[(rem, trio)] = top
        return top

    _, groups = best((1 << n) - 1, n % 2 == 1 or spare)
    pairs = [g for g in groups if len(g) == 2]
    trios = [g for g in groups if len(g) == 3]
    return pairs, (trios[0] if trios else None)
