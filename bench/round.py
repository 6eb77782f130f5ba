"""End-to-end cost of a matching round on each engine: N users in the real
store, the real RoundService with the server's process pool, timed phase by
phase, while a probe measures how long the event loop stalls (ticks and
requests would wait that long). The engines run one after the other, each
started here on a free loopback port (or MONGO_URL alone), and the figures
are printed side by side.

    make bench-round ARGS="--users 10000 --rounds 2"
    python bench/round.py --engines nx-27017,ferretdb --users 1000
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from unimatch.clock import Clock  # noqa: E402
from unimatch.config import Config  # noqa: E402
from unimatch.matching.pool import matcher_pool  # noqa: E402
from unimatch.rounds import RoundService  # noqa: E402
from unimatch.store import Store  # noqa: E402
from unimatch.store.engines import ENGINES, available  # noqa: E402

FAKE_HASH = "$2b$04$" + "x" * 53  # nobody logs in here; hashing is not what we measure


async def populate(store, users: int, linked: int, rng: random.Random) -> float:
    await store.hobbies.seed_defaults()
    hobby_ids = [h["id"] for h in await store.hobbies.all()]
    weights = [1 / (i + 1) for i in range(len(hobby_ids))]  # skewed popularity
    started = time.perf_counter()
    for i in range(users):
        hobbies = set(rng.choices(hobby_ids, weights, k=rng.randint(1, 5)))
        user = await store.users.create(email=f"bench{i}@example.com", password_hash=FAKE_HASH,
                                        first_name=f"Студент{i}", hobby=hobbies, created_at=0)
        if i < linked:
            await store.users.link_telegram(user["_id"], 10_000_000 + i)
    return time.perf_counter() - started


async def loop_lag_probe(samples: list, interval: float = 0.05):
    """Records how late a 50 ms timer fires: the event loop's stall."""
    loop = asyncio.get_running_loop()
    while True:
        expected = loop.time() + interval
        await asyncio.sleep(interval)
        samples.append(loop.time() - expected)


async def measure(url: str, args, pool) -> list[tuple[str, str]]:
    """One engine's figures as ``(row name, value)``, in print order."""
    store = await Store.connect(url, f"bench_{int(time.time())}")
    rows = []
    try:
        took = await populate(store, args.users, args.linked, random.Random(args.seed))
        rows.append(("populate s", f"{took:.1f}"))
        service = RoundService(store, Config().schedule(), Clock(), pool)
        for _ in range(args.rounds):
            lags: list[float] = []
            probe = asyncio.ensure_future(loop_lag_probe(lags))
            started = time.perf_counter()
            summary = await service.run_now()
            total = time.perf_counter() - started
            probe.cancel()
            sharing = 100 * summary["sharing_groups"] / max(1, summary["groups"])
            number = summary["round"]
            rows += [(f"round {number} total s", f"{total:.2f}"),
                     (f"round {number} pairs", str(summary["pairs"])),
                     (f"round {number} repeats", str(summary["repeats"])),
                     (f"round {number} sharing %", f"{sharing:.1f}"),
                     (f"round {number} max loop stall ms", f"{1000 * max(lags, default=0):.0f}")]
        counts = await store.outbox.counts()
        rows.append(("outbox " + "/".join(counts), "/".join(map(str, counts.values()))))
    finally:
        await store.drop()
        await store.close()
    return rows


async def run(name: str, args, pool) -> list[tuple[str, str]]:
    """Start engine ``name`` (MONGO_URL: use that server) and measure it."""
    if name == "MONGO_URL":
        return await measure(os.environ["MONGO_URL"], args, pool)
    server = ENGINES[name](tempfile.mkdtemp(prefix=f"unimatch-bench-{name}-"))
    url = await server.start()
    try:
        return await measure(url, args, pool)
    finally:
        server.stop()


def table(columns: dict[str, list[tuple[str, str]]]) -> str:
    """The engines' figures side by side, one row per figure."""
    names = list(dict.fromkeys(row for rows in columns.values() for row, _ in rows))
    width = max(map(len, names))
    lines = [f"{'':<{width}}" + "".join(f" {engine:>12}" for engine in columns)]
    for row in names:
        values = [dict(rows).get(row, "-") for rows in columns.values()]
        lines.append(f"{row:<{width}}" + "".join(f" {value:>12}" for value in values))
    return "\n".join(lines)


def default_engines() -> str:
    return "MONGO_URL" if os.environ.get("MONGO_URL") else ",".join(available())


async def main(args) -> None:
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    unknown = [name for name in engines if name not in ENGINES and name != "MONGO_URL"]
    if unknown:
        sys.exit(f"unknown engines {unknown}: choose from {', '.join(ENGINES)} or MONGO_URL")
    print(f"{args.users} users ({args.linked} with Telegram), {args.rounds} rounds, "
          f"seed {args.seed}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores", flush=True)
    columns = {}
    with matcher_pool() as pool:
        for name in engines:
            print(f"{name}: running ...", file=sys.stderr, flush=True)
            columns[name] = await run(name, args, pool)
    print(table(columns))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=default_engines(),
                        help="comma-separated: nx-27017, ferretdb, MONGO_URL (default: MONGO_URL "
                             "when set, else nx-27017 and ferretdb when built)")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--linked", type=int, default=100, help="users with a Telegram chat")
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
