"""End-to-end cost of a matching round: N users in the real store (an
embedded nx-27017, or MONGO_URL), the real RoundService with the server's
process pool, timed phase by phase, while a probe measures how long the
event loop stalls (ticks and requests would wait that long).

    make bench-round ARGS="--users 10000 --rounds 2"
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
from unimatch.store.embedded import EmbeddedMongo  # noqa: E402

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


async def main(args) -> None:
    data_dir = tempfile.mkdtemp(prefix="unimatch-bench-")
    embedded = None
    url = os.environ.get("MONGO_URL")
    if not url:
        embedded = EmbeddedMongo(data_dir)
        url = await embedded.start()
    store = await Store.connect(url, f"bench_{int(time.time())}")
    try:
        rng = random.Random(args.seed)
        took = await populate(store, args.users, args.linked, rng)
        print(f"store: {'MONGO_URL' if embedded is None else 'embedded nx-27017'}")
        print(f"populated {args.users} users ({args.linked} with Telegram) in {took:.1f} s")
        schedule = Config().schedule()
        print(f"{'round':>5} {'total s':>8} {'pairs':>6} {'repeats':>7} {'sharing %':>9} "
              f"{'max loop stall ms':>17}")
        with matcher_pool() as pool:
            service = RoundService(store, schedule, Clock(), pool)
            for _ in range(args.rounds):
                lags: list[float] = []
                probe = asyncio.ensure_future(loop_lag_probe(lags))
                started = time.perf_counter()
                summary = await service.run_now()
                total = time.perf_counter() - started
                probe.cancel()
                sharing = 100 * summary["sharing_groups"] / max(1, summary["groups"])
                print(f"{summary['round']:>5} {total:>8.2f} {summary['pairs']:>6} "
                      f"{summary['repeats']:>7} {sharing:>9.1f} {1000 * max(lags, default=0):>17.0f}")
        print(f"outbox: {await store.outbox.counts()}")
    finally:
        await store.drop()
        await store.close()
        if embedded:
            embedded.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--linked", type=int, default=100, help="users with a Telegram chat")
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
