"""Edmonds' blossom search for augmenting paths (maximum cardinality).

Used twice, with different graphs:

* on the candidate edges that share a hobby, to make as many sharing pairs
  as the candidate graph allows (criterion 2), starting from the greedy
  matching so only a few searches are needed;
* on the implicit "never met" graph (everyone except the people one has
  met), to guarantee that a round without repeats is found whenever one
  exists (criterion 1): a matching with no augmenting path is maximum
  (Berge), so the repeats left afterwards are unavoidable.

Most augmenting paths are found by :func:`forest_phase`, which grows
alternating trees from all free vertices at once and joins two trees
(Hopcroft-Karp style; no blossoms needed because a path between two
different trees is always simple): one sweep over the graph finds many
vertex-disjoint paths. A single-source search is expensive on these graphs:
the few free people sit in rare-hobby corners, and a breadth-first search
from one of them sweeps the whole popular core before reaching another
(measured under a profiler: 149 searches took 20 s on 10,000 people, the
forest sweeps 0.1 s). :func:`augment` then settles the rest exactly.

:func:`augment` is the textbook BFS with blossom contraction (base/parent
arrays, as in Gabow's and e-maxx's formulations), but its per-search state
lives in dicts touched only by the search, and a contraction relabels only
the members of the merged blossoms, so a search costs what it explores,
not ``O(n)`` per step. A failed search's tree is "Hungarian": no augmenting
path will ever go through it while the matching only grows by
augmentation, so its vertices are retired (``dead``) for the later
searches of the same run. (Checked against networkx on random graphs in
``tests/test_matcher.py``.)
"""

from collections import deque
from collections.abc import Callable, Iterable

#: ``neighbours(v)``: ``v``'s neighbours in the graph searched.
Neighbours = Callable[[int], Iterable[int]]


def augment(root: int, neighbours: Neighbours, mate: list[int], dead: set[int]) -> bool:
    """Search an augmenting path from the free vertex ``root`` and flip it.

    ``neighbours(v)`` yields ``v``'s neighbours, ``mate[v]`` is ``v``'s
    partner or ``-1``. Returns True (``mate`` updated) or False (then the
    tree's vertices are added to ``dead``)."""
    search = _Search(root, mate)
    base, parent, tree = search.base, search.parent, search.tree
    in_queue, queue = search.in_queue, search.queue
    while queue:
        v = queue.popleft()
        for to in neighbours(v):
            if to in dead or base.get(v, v) == base.get(to, to) or mate[v] == to:
                continue
            if to == root or (mate[to] >= 0 and mate[to] in parent):
                search.contract(v, to)
            elif to not in parent:
                parent[to] = v
                tree.append(to)
                if mate[to] < 0:
                    _flip(to, parent, mate)
                    return True
                m = mate[to]
                tree.append(m)
                in_queue.add(m)
                queue.append(m)
    dead.update(tree)
    return False


class _Search:
    """The state of one :func:`augment` search, touched only by it.

    ``base``: vertex -> the base of the blossom it was contracted into
    (absent: its own); ``members``: blossom base -> the vertices it stands
    for (only for blossoms of more than one); ``parent``: odd vertex -> the
    even vertex it was reached from, and for the even vertices of a
    blossom the way back round its cycle (:meth:`mark_path`); ``tree``:
    the vertices labelled so far; ``queue``: the even vertices still to
    scan, ``in_queue``: every vertex ever queued."""

    def __init__(self, root: int, mate: list[int]) -> None:
        self.mate = mate
        self.base: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.parent: dict[int, int] = {}
        self.tree = [root]
        self.in_queue = {root}
        self.queue = deque((root,))

    def base_of(self, v: int) -> int:
        return self.base.get(v, v)

    def lca(self, a: int, b: int) -> int:
        """The base of the blossom where the tree paths from ``a`` and
        ``b`` to the root meet."""
        base_of, mate, parent = self.base_of, self.mate, self.parent
        seen: set[int] = set()
        while True:
            a = base_of(a)
            seen.add(a)
            if mate[a] < 0:
                break
            a = parent[mate[a]]
        while True:
            b = base_of(b)
            if b in seen:
                return b
            b = parent[mate[b]]

    def mark_path(self, v: int, top: int, child: int, blossom: set[int]) -> None:
        """Walk from ``v`` up to the blossom base ``top``, collecting the
        bases passed into ``blossom`` and giving each even vertex passed a
        ``parent`` the other way round the cycle (first ``child``, across
        the edge that closed it), so a path can be traced through the
        blossom from either side."""
        base_of, mate, parent = self.base_of, self.mate, self.parent
        while base_of(v) != top:
            blossom.add(base_of(v))
            blossom.add(base_of(mate[v]))
            parent[v] = child
            child = mate[v]
            v = parent[mate[v]]

    def contract(self, v: int, to: int) -> None:
        """Contract the odd cycle that the edge ``v``-``to`` closes: every
        vertex of its sub-blossoms gets base ``top`` (via the member lists:
        no scan of the whole tree), and those never queued (odd until now)
        join the queue."""
        top = self.lca(v, to)
        blossom: set[int] = set()
        self.mark_path(v, top, to, blossom)
        self.mark_path(to, top, v, blossom)
        base, members, in_queue, queue = self.base, self.members, self.in_queue, self.queue
        inside = members.setdefault(top, [top])
        for old in blossom:
            if old == top:
                continue
            for u in members.pop(old, (old,)):
                base[u] = top
                inside.append(u)
                if u not in in_queue:
                    in_queue.add(u)
                    queue.append(u)


def _flip(odd: int, parent: dict[int, int], mate: list[int]) -> None:
    """Swap matched and unmatched edges along the alternating path that runs
    from ``odd`` back up to its tree's root (the augmentation itself)."""
    while odd >= 0:
        even = parent[odd]
        nxt = mate[even]
        mate[odd] = even
        mate[even] = odd
        odd = nxt


def forest_phase(roots: Iterable[int], neighbours: Neighbours, mate: list[int]) -> int:
    """Grow alternating trees from all free ``roots`` at once and augment
    along every path found between two different trees (each tree used at
    most once per phase). Returns the number of augmentations; repeat
    phases until it returns 0."""
    tree: dict[int, int] = {}      # labelled vertex -> its root
    odd: set[int] = set()          # labelled odd vertices (the others are even)
    parent: dict[int, int] = {}    # odd vertex -> the even vertex it was reached from
    used: set[int] = set()         # roots whose tree was augmented this phase
    queue: deque[int] = deque()
    for r in roots:
        if mate[r] < 0 and r not in tree:
            tree[r] = r
            queue.append(r)

    found = 0
    while queue:
        v = queue.popleft()
        rv = tree[v]
        if rv in used:
            continue
        for w in neighbours(v):
            rw = tree.get(w)
            if rw is None:
                m = mate[w]
                if m < 0:
                    continue  # free but not a root (excluded by the caller)
                tree[w] = rv
                odd.add(w)
                parent[w] = v
                tree[m] = rv
                queue.append(m)
            elif rw != rv and rw not in used and w not in odd:
                _flip(mate[v], parent, mate)
                _flip(mate[w], parent, mate)
                mate[v] = w
                mate[w] = v
                used.add(rv)
                used.add(rw)
                found += 1
                break
    return found
