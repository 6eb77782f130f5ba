"""Internals of the weekly matcher. The public entry point is
:func:`unimatch.matcher.match`; nothing here is a stable interface.

Layout:

* ``_model``: the instance relabelled to ``0..n-1`` in a seeded random
  order, and the integer pair weights that encode the criteria
  lexicographically.
* ``_exact``: exhaustive optimum for tiny cohorts.
* ``_candidates``: the sparse candidate graph (Hamming-nearest hobby
  profiles from bucket indexes; never all pairs).
* ``_blossom``: Edmonds' augmenting-path search for cardinality
  matching (no repeats; as many sharing pairs as possible).
* ``_improve``: the pipeline after the candidate graph: greedy start,
  sharing augmentations, completion without repeats, local search, and the
  choice of the trio.
* ``_cycles``: the local search itself: best-first search for improving
  alternating cycles, with dual potentials.
"""
