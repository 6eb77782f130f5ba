"""Benchmark of the weekly matcher (``make bench-matcher``; a benchmark, not a test).

For each size: a random cohort (Zipf-like popularity over 20-50 hobbies,
1-5 hobbies each) with ten earlier rounds of history (90% attendance per
round), made by the matcher itself up to ``--matcher-history-max`` people
(the harder case: everyone's best partners are used up) and by random
pairings above; the same generators and reference as the tests
(``tests/matcher_instances.py``). A share of the pairs in history
(``--blocked-share``, 2% by default) is blocked: forbidden to the matcher,
as students' blocks are. The matcher then runs in a fresh process that only loads
the instance, so its time and peak RSS are its own (plus the interpreter
and the instance, shown separately).

Where tractable (``--oracle-max``), the result is compared with the exact
optimum: rustworkx's blossom (maximum cardinality, integer weights that
order groupings lexicographically by the criteria) on the complete graph
less the blocked pairs.
For an odd head count the reference is that blossom on everybody but one,
plus the best place for the one left over: a strong grouping, not a proven
optimum. The old service's algorithm (all pairs, sorted, greedy, leftovers
force-paired, one person left out when odd; it knew no blocks) runs for
comparison up to ``--baseline-max``.

Usage: python bench/matcher.py [--sizes 1000,10000,100000] [--seed 1] [--blocked-share 0.02]
"""

import argparse
import itertools
import json
import os
import pickle
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
sys.path.insert(0, os.path.join(REPO, "tests"))  # the instances are the tests' own

from matcher_instances import (  # noqa: E402
    Cohort,
    Forbidden,
    History,
    blocked_pairs,
    blossom_reference,
    left_out,
    matcher_rounds,
    random_rounds,
    zipf_cohort,
)

from unimatch.matcher import Score, match, score  # noqa: E402

# -- references ---------------------------------------------------------------------

def oracle(cohort: Cohort, history: History, forbidden: Forbidden) -> tuple[Score, float, bool]:
    """(score, seconds, exact?)"""
    groups, seconds = blossom_reference(cohort, history, forbidden)
    return score(groups, cohort, history), seconds, len(cohort) % 2 == 0


def old_service(cohort, history):
    """The previous service: every pair that never met, sorted by shared
    hobbies, taken greedily; leftovers force-paired in id order even when
    that repeats a pair; one person left out on an odd head count."""
    ids = sorted(cohort)
    candidates = []
    for a, b in itertools.combinations(ids, 2):
        if (a, b) not in history:
            candidates.append((len(cohort[a] & cohort[b]), a, b))
    candidates.sort(key=lambda c: -c[0])
    taken = set()
    groups = []
    for _, a, b in candidates:
        if a not in taken and b not in taken:
            taken.update((a, b))
            groups.append((a, b))
    rest = [u for u in ids if u not in taken]
    groups += [(rest[i], rest[i + 1]) for i in range(0, len(rest) - 1, 2)]
    return groups, len(rest) % 2


# -- the measured run (a fresh process per size) -------------------------------------

def rss_mib():
    """Peak resident set size of this process so far, in MiB. VmHWM, not
    ru_maxrss: Linux carries ru_maxrss across exec, so a child would report
    the size of the parent that started it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path, seed):
    with open(path, "rb") as f:
        cohort, history, forbidden = pickle.load(f)
    loaded = rss_mib()
    wall = time.perf_counter()
    cpu = time.process_time()
    groups = match(cohort, history, seed=seed, forbidden=forbidden)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    json.dump({"wall": wall, "cpu": cpu, "rss_loaded": loaded, "rss_peak": rss_mib(),
               "groups": groups}, sys.stdout)


# -- report -------------------------------------------------------------------------

def pct(part, whole):
    return "-" if not whole else f"{100 * part / whole:.2f}%"


def blocked_grouped(groups: list[tuple[int, ...]], forbidden: Forbidden) -> int:
    """How many forbidden pairs ``groups`` put together."""
    return sum(1 for g in groups for a, b in itertools.combinations(sorted(g), 2)
               if (a, b) in forbidden or (b, a) in forbidden)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--oracle-max", type=int, default=2000)
    parser.add_argument("--baseline-max", type=int, default=3000)
    parser.add_argument("--matcher-history-max", type=int, default=10000)
    parser.add_argument("--blocked-share", type=float, default=0.02,
                        help="share of the pairs in history that are blocked (default 0.02)")
    parser.add_argument("--child", nargs=2, metavar=("INSTANCE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    print("UniMatch matcher benchmark")
    print(f"Python {platform.python_version()} on {platform.machine()}, one process, "
          f"{os.cpu_count()} CPUs visible (shared machine: timings are noisy)")
    print("Instances: Zipf-like hobby popularity (s=1) over 20-50 hobbies, 1-5 hobbies each; "
          "10 earlier rounds, 90% attendance")
    print(f"Blocks: {100 * args.blocked_share:g}% of the pairs in history are forbidden "
          "(--blocked-share)")
    print()
    header = (f"{'people':>8}  {'history':<8} {'algorithm':<12} {'wall s':>7} {'cpu s':>7} "
              f"{'RSS MiB':>13} {'repeats':>7} {'sharing':>8} {'shared':>8} "
              f"{'vs optimum (sharing/shared)':>28}")
    print(header)
    print("-" * len(header))
    notes = []
    for n in sizes:
        rng = random.Random(args.seed * 7919 + n)
        hobby_count = rng.randint(20, 50)
        cohort = zipf_cohort(n, rng, hobbies=hobby_count)
        by_matcher = n <= args.matcher_history_max
        started = time.perf_counter()
        history = (matcher_rounds if by_matcher else random_rounds)(cohort, 10, rng)
        made = time.perf_counter() - started
        kind = "matcher" if by_matcher else "random"
        forbidden = blocked_pairs(history, args.blocked_share, rng)
        notes.append(f"{n:,} people: {hobby_count} hobbies, {len(history):,} pairs in history "
                     f"({kind}, made in {made:.1f} s), {len(forbidden):,} of them blocked")
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
            pickle.dump((cohort, history, forbidden), f)
            path = f.name
        try:
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", path,
                                  str(args.seed)], check=True, capture_output=True, text=True)
        finally:
            os.unlink(path)
        run = json.loads(out.stdout)
        groups = [tuple(g) for g in run["groups"]]
        got = score(groups, cohort, history)
        sizes_ok = (sorted(u for g in groups for u in g) == sorted(cohort)
                    and sum(len(g) == 3 for g in groups) == n % 2)
        problems = "" if sizes_ok else "  INVALID GROUPING"
        if blocked_grouped(groups, forbidden):
            problems += f"  {blocked_grouped(groups, forbidden)} BLOCKED PAIRS GROUPED"
        if left_out(cohort, groups):
            problems += f"  ({len(left_out(cohort, groups))} left out)"
        best = None
        if n <= args.oracle_max:
            best, seconds, exact = oracle(cohort, history, forbidden)
            vs = f"{pct(got.sharing_pairs, best.sharing_pairs)} / " \
                 f"{pct(got.shared_hobbies, best.shared_hobbies)}"
        else:
            vs = "n/a (too large)"
        rss = f"{run['rss_peak']:.0f} ({run['rss_loaded']:.0f})"
        print(f"{n:>8,}  {kind:<8} {'unimatch':<12} {run['wall']:>7.2f} {run['cpu']:>7.2f} "
              f"{rss:>13} {got.repeats:>7} {got.sharing_pairs:>8,} {got.shared_hobbies:>8,} "
              f"{vs:>28}" + problems)
        if best is not None:
            label = "optimum" if exact else "reference"
            print(f"{'':>8}  {'':<8} {label:<12} {seconds:>7.2f} {'':>7} {'':>13} "
                  f"{best.repeats:>7} {best.sharing_pairs:>8,} {best.shared_hobbies:>8,} "
                  f"{'(rustworkx blossom)' if exact else '(blossom on n-1 + best trio)':>28}")
        if n <= args.baseline_max:
            started = time.perf_counter()
            old, alone = old_service(cohort, history)
            seconds = time.perf_counter() - started
            was = score(old, cohort, history)
            vs = (f"{pct(was.sharing_pairs, best.sharing_pairs)} / "
                  f"{pct(was.shared_hobbies, best.shared_hobbies)}") if best else ""
            print(f"{'':>8}  {'':<8} {'old service':<12} {seconds:>7.2f} {'':>7} {'':>13} "
                  f"{was.repeats:>7} {was.sharing_pairs:>8,} {was.shared_hobbies:>8,} {vs:>28}"
                  + (f"  ({alone} left out)" if alone else "")
                  + (f"  ({blocked_grouped(old, forbidden)} blocked pairs grouped)"
                     if blocked_grouped(old, forbidden) else ""))
        sys.stdout.flush()
    print()
    print("RSS MiB: peak of the process running the matcher (in brackets: after loading the "
          "instance, before matching).")
    print("repeats: inner pairs that met before; sharing: inner pairs sharing >= 1 hobby; "
          "shared: hobbies shared, summed over inner pairs (a trio counts as its 3 pairs).")
    print("unimatch and the optimum never group a blocked pair (a run that did would say "
          "BLOCKED PAIRS GROUPED); the old service ignored blocks.")
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
