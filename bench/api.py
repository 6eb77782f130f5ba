"""The API under load, on loopback: each endpoint for a fixed time at a
fixed concurrency, against a server started here on a seeded store.

1. **Flat with size** (in process, no HTTP): registration, login and the
   access-token check behind GET me, timed one by one at each ``--sizes``
   (the store grows between them), with bcrypt at cost 4 so the store's
   share shows.
2. **Load**: ``--users`` users (``--rounds`` matching rounds) in the store,
   ``server.py`` (``--server``, e.g. an older checkout's, to compare) on it
   with its default settings, and wrk (Debian's, C, so the client takes
   little of the machine) at ``--connections`` on each GET endpoint, each
   run right after one of GET days-to-match (which touches no store), then
   login at ``--login-connections``, then GET me calm and during a login
   storm by turns: ``--storm`` clients (httpx) logging in back to back, each
   waiting as long as a 503 or 429 says (``Retry-After``) before its next
   try. Every measurement ``--repeats`` times: a shared machine's load
   drifts, so what is compared is measured seconds apart.

Prints 2xx answers a second, p50 and p99 (wrk's; the worst run's p99),
other answers, each endpoint's 2xx/s as a ratio to days-to-match's beside
it, and the machine's load (``uptime``) before and after; then what the
server says of itself at ``/metrics`` (logins shed, event-loop lag).

    make bench-http ARGS="--users 10000 --duration 10"
    python bench/api.py --server /path/to/other/checkout/server.py --sizes ""
    python bench/api.py --engine ferretdb --no-load
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import pathlib
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import bcrypt
import httpx
from server_metrics import describe, scrape

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from unimatch import accounts  # noqa: E402
from unimatch.auth import sessions  # noqa: E402
from unimatch.auth.passwords import PasswordHasher  # noqa: E402
from unimatch.auth.throttle import LoginThrottle  # noqa: E402
from unimatch.auth.tokens import ACCESS, TokenService  # noqa: E402
from unimatch.clock import Clock  # noqa: E402
from unimatch.config import Config  # noqa: E402
from unimatch.matching.pool import matcher_pool  # noqa: E402
from unimatch.rounds import RoundService  # noqa: E402
from unimatch.store import Store  # noqa: E402
from unimatch.store.engines import ENGINES, EngineServer  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-12"
SECRET = "bench-http-secret-" + "b" * 32
TOKEN_USERS = 1000  # distinct users behind the GET requests
START_TIMEOUT = 60.0
WARMUP = 1.0  # seconds of each endpoint's load before it is measured
LOGIN_DRAIN = 3.0  # seconds for the logins wrk left in hand to finish

#: ``(label, method, path, needs a token)``: the GET endpoints, baseline first.
ENDPOINTS = (
    ("GET days-to-match", "GET", "/users/api/days-to-match/", False),
    ("GET users/me", "GET", "/auth/users/me/", True),
    ("GET hobby/total", "GET", "/users/api/hobby/total/", True),
    ("GET pairs", "GET", "/users/api/pairs/", True),
    ("GET v2 pairs", "GET", "/v2/api/pairs/", True),
)
#: The targets of issue 12, as the least ratio to days-to-match.
TARGETS = {"GET users/me": 0.5, "GET hobby/total": 0.5, "GET pairs": 0.3, "GET v2 pairs": 0.3}
P99_TARGET_MS = 100.0
STORM_TARGET = 2.0  # GET me p99 during the storm, as a multiple of its calm p99

# wrk runs this per thread: requests cycle through the tokens and bodies
# given, and ``done`` prints the figures as one JSON line.
_WRK_SCRIPT = """
local tokens = {%(tokens)s}
local bodies = {%(bodies)s}
local n = math.random(1, 1000)
function request()
  n = n + 1
  local headers = {}
  local body = nil
  if #tokens > 0 then headers["Authorization"] = "Bearer " .. tokens[n %% #tokens + 1] end
  if #bodies > 0 then
    body = bodies[n %% #bodies + 1]
    headers["Content-Type"] = "application/json"
  end
  return wrk.format("%(method)s", "%(path)s", headers, body)
end
function done(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "p50_us": %%d, ' ..
    '"p99_us": %%d, "non2xx": %%d, "socket_errors": %%d}\\n', summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def email(n: int) -> str:
    return f"bench{n}@example.com"


# -- the store ---------------------------------------------------------------------


async def grow(store: Store, have: int, upto: int, password_hash: str,
               rng: random.Random) -> None:
    """Add the seeded users ``have`` (0-based) to ``upto``: ``bench<n>@example.com``."""
    hobby_ids = [h["id"] for h in await store.hobbies.all()]
    weights = [1 / (i + 1) for i in range(len(hobby_ids))]  # skewed popularity
    while have < upto:
        batch = [{"email": email(n), "password_hash": password_hash, "first_name": f"Студент{n}",
                  "last_name": f"Фамилия{n}", "hobby": set(rng.choices(hobby_ids, weights, k=3))}
                 for n in range(have, min(upto, have + 1000))]
        if hasattr(store.users, "create_many"):
            await store.users.create_many(batch, created_at=0.0)
        else:  # an older checkout's store (to compare): one write per user
            for account in batch:
                await store.users.create(**account, created_at=0.0)
        have += len(batch)


async def timed(call: Callable[[Any], Awaitable[object]], argument: object,
                took: list[float]) -> None:
    """Await ``call(argument)`` and add its milliseconds to ``took``."""
    started = time.perf_counter()
    await call(argument)
    took.append(1000 * (time.perf_counter() - started))


class DomainCalls:
    """Registration, login and GET me's token check, through the domain
    functions the handlers call, with bcrypt at cost 4."""

    def __init__(self, store: Store):
        self.store = store
        self.clock = Clock()
        self.hasher = PasswordHasher(4)
        self.throttle = LoginThrottle(store, self.clock)
        self.tokens = TokenService(SECRET, self.clock)

    async def register(self, address: str) -> None:
        await accounts.register(self.store, self.hasher, {"email": address, "password": PASSWORD},
                                self.clock.now(), dt.date.today())

    async def login(self, address: str) -> None:
        await sessions.authenticate(self.store, self.hasher, self.throttle,
                                    {"email": address, "password": PASSWORD}, "127.0.0.1")

    async def me(self, user_id: int) -> None:
        token = self.tokens.issue(user_id, ACCESS)
        await sessions.user_for_access_token(self.store, self.tokens, token)


async def flat_with_size(stores: list[Store], sizes: list[int], runs: int,
                         rng: random.Random) -> list[tuple[int, dict[str, float]]]:
    """Per size: the median ms of a registration, a login and GET me's token
    check. A store per size, grown to it first; the calls go to the stores
    by turns, so a change in the machine's load touches every size alike."""
    calls = [DomainCalls(store) for store in stores]
    cheap_hash = await calls[0].hasher.hash(PASSWORD)
    for store, size in zip(stores, sizes, strict=True):
        await grow(store, 0, size, cheap_hash, rng)
    took: dict[int, dict[str, list[float]]] = {
        size: {"register": [], "login": [], "GET me": []} for size in sizes}
    for step in ("register", "login", "GET me"):
        for n in range(runs):
            for size, domain in zip(sizes, calls, strict=True):
                if step == "GET me":
                    await timed(domain.me, rng.randint(1, size), took[size][step])
                else:
                    call = domain.register if step == "register" else domain.login
                    await timed(call, f"size{size}-{n}@example.com", took[size][step])
    return [(size, {step: statistics.median(ms) for step, ms in took[size].items()})
            for size in sizes]


async def seed_rounds(store: Store, rounds: int) -> None:
    with matcher_pool() as pool:
        service = RoundService(store, Config().schedule(), Clock(), pool)
        for _ in range(rounds):
            await service.run_now()


# -- the server --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``server.py`` in a subprocess on ``url``'s database, its log in ``workdir``."""

    def __init__(self, script: pathlib.Path, mongo_url: str, workdir: pathlib.Path,
                 options: list[str]):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, str(script), "--port", str(self.port),
                        "--data-dir", str(workdir), "--jwt-secret", SECRET, "--mongo-url", mongo_url,
                        *options]
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            # Its own directory first on sys.path: that checkout's unimatch.
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                sys.exit(f"the server exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/users/api/days-to-match/", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"the server did not answer:\n{self.log_path.read_text()}")
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- load --------------------------------------------------------------------------


def _lua_strings(values: Sequence[str]) -> str:
    return ", ".join(json.dumps(value) for value in values)


async def wrk(base: str, method: str, path: str, connections: int, seconds: float,
              workdir: pathlib.Path, tokens: Sequence[str] = (),
              bodies: Sequence[str] = ()) -> dict:
    """One wrk run: 2xx answers a second, p50/p99 ms (of every answer),
    non-2xx answers, socket errors."""
    script = workdir / "load.lua"
    script.write_text(_WRK_SCRIPT % {"tokens": _lua_strings(tokens), "bodies": _lua_strings(bodies),
                                     "method": method, "path": path})
    # One thread: it keeps up with the server, and leaves it the cores.
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout",
        "10s", "-s", str(script), base + path, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    line = next((line for line in out.decode().splitlines() if line.startswith("WRK ")), None)
    if line is None:
        sys.exit(f"wrk failed:\n{out.decode()}")
    figures = json.loads(line[4:])
    answered = figures["requests"] - figures["non2xx"]
    return {"rps": answered / (figures["duration_us"] / 1e6),
            "p50": figures["p50_us"] / 1000, "p99": figures["p99_us"] / 1000,
            "non2xx": figures["non2xx"], "errors": figures["socket_errors"]}


async def measure(base: str, method: str, path: str, connections: int, seconds: float,
                  workdir: pathlib.Path, **requests: Sequence[str]) -> dict:
    """wrk after a warm-up run that is not counted."""
    await wrk(base, method, path, connections, WARMUP, workdir, **requests)
    return await wrk(base, method, path, connections, seconds, workdir, **requests)


async def storm(base: str, bodies: Sequence[str], clients: int, seconds: float) -> dict:
    """``clients`` logging in back to back for ``seconds``, each waiting
    ``Retry-After`` after a 503 or 429: answers by status, and login p50/p99."""
    statuses: dict[int, int] = {}
    took: list[float] = []
    deadline = time.monotonic() + seconds

    async def client(n: int, http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            answer = await http.post(base + "/api/token/", content=bodies[n % len(bodies)],
                                     headers={"Content-Type": "application/json"})
            took.append(time.monotonic() - started)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            n += clients
            if answer.status_code in (429, 503):
                wait = float(answer.headers.get("Retry-After", "1"))
                await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        await asyncio.gather(*(client(n, http) for n in range(clients)))
    took.sort()
    return {"statuses": dict(sorted(statuses.items())),
            "p50": 1000 * took[len(took) // 2] if took else 0.0,
            "p99": 1000 * took[int(len(took) * 0.99)] if took else 0.0}


async def during_storm(base: str, seconds: float, workdir: pathlib.Path, tokens: Sequence[str],
                       bodies: Sequence[str], connections: int, clients: int) -> tuple[dict, dict]:
    """GET me under wrk while the storm runs (it starts first, ends last)."""
    storming = asyncio.ensure_future(storm(base, bodies, clients, seconds + 2 * WARMUP))
    await asyncio.sleep(WARMUP)
    me = await wrk(base, "GET", "/auth/users/me/", connections, seconds, workdir, tokens=tokens)
    return me, await storming




# -- the run -----------------------------------------------------------------------


def combined(runs: list[dict]) -> dict:
    """Several runs of one endpoint as one: mean 2xx/s, median p50, worst p99."""
    return {"rps": statistics.fmean(r["rps"] for r in runs),
            "p50": statistics.median(r["p50"] for r in runs),
            "p99": max(r["p99"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs), "errors": sum(r["errors"] for r in runs)}


def table(rows: list[tuple[str, int, dict, float | None]]) -> str:
    """One row per endpoint, with the days-to-match 2xx/s measured beside it."""
    lines = [f"{'':<22} {'conns':>5} {'2xx/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} "
             f"{'errors':>6} {'days/s':>7} {'x days':>6}"]
    for label, connections, r, days in rows:
        beside = f"{days:>7.0f} {r['rps'] / days:>6.2f}" if days else f"{'-':>7} {'-':>6}"
        lines.append(f"{label:<22} {connections:>5} {r['rps']:>7.0f} {r['p50']:>7.1f} "
                     f"{r['p99']:>7.1f} {r['non2xx']:>7} {r['errors']:>6} {beside}")
    return "\n".join(lines)


def verdicts(rows: list[tuple[str, int, dict, float | None]], storm_ratio: float) -> str:
    lines = []
    for label, _, r, days in rows:
        if label in TARGETS and days:
            ok = r["rps"] / days >= TARGETS[label] and r["p99"] < P99_TARGET_MS
            lines.append(f"  {label}: >= {TARGETS[label]}x days-to-match and p99 < "
                         f"{P99_TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    lines.append(f"  GET users/me p99 during the storm within {STORM_TARGET:.0f}x of calm: "
                 f"{storm_ratio:.2f}x, {'met' if storm_ratio <= STORM_TARGET else 'NOT met'}")
    return "\n".join(lines)


async def load(args: argparse.Namespace, url: str, workdir: pathlib.Path) -> None:
    """Each endpoint ``--repeats`` times, each time right after days-to-match
    (the machine's load drifts: a ratio compares runs a few seconds apart);
    then logins; then GET me calm and during a storm, by turns."""
    options = ["--processes", str(args.processes)] if args.processes != 1 else []
    server = Server(pathlib.Path(args.server), url, workdir, options)
    server.start()
    try:
        rng = random.Random(args.seed)
        minting = TokenService(SECRET, Clock(), access_lifetime=3600)
        ids = rng.sample(range(1, args.users + 1), min(TOKEN_USERS, args.users))
        tokens = [minting.issue(user_id, ACCESS) for user_id in ids]
        bodies = [json.dumps({"email": email(n), "password": PASSWORD})
                  for n in rng.sample(range(args.users), min(TOKEN_USERS, args.users))]
        print(f"load: {args.duration:g} s per run after {WARMUP:g} s of warm-up, "
              f"{args.repeats} runs each, server {args.server}", flush=True)
        print(f"before: {uptime()}", flush=True)
        (_, _, days_path, _), *others = ENDPOINTS
        rows: list[tuple[str, int, dict, float | None]] = []
        days_runs: list[dict] = []
        for label, method, path, needs_token in others:
            runs, beside = [], []
            for _ in range(args.repeats):
                beside.append(await measure(server.base, "GET", days_path, args.connections,
                                            args.duration, workdir))
                runs.append(await measure(server.base, method, path, args.connections,
                                          args.duration, workdir,
                                          tokens=tokens if needs_token else ()))
            days_runs += beside
            rows.append((label, args.connections, combined(runs), combined(beside)["rps"]))
        rows.insert(0, ("GET days-to-match", args.connections, combined(days_runs), None))
        # No warm-up run here: logins it left in hand would take the queue.
        login = await wrk(server.base, "POST", "/api/token/", args.login_connections,
                          args.duration, workdir, bodies=bodies)
        rows.append(("POST login", args.login_connections, login, None))
        await asyncio.sleep(LOGIN_DRAIN)
        calm_runs, storm_runs, storms = [], [], []
        for _ in range(args.repeats):
            calm_runs.append(await measure(server.base, "GET", "/auth/users/me/",
                                           args.connections, args.duration, workdir,
                                           tokens=tokens))
            me, stormed = await during_storm(server.base, args.duration, workdir, tokens, bodies,
                                             args.connections, args.storm)
            storm_runs.append(me)
            storms.append(stormed)
            await asyncio.sleep(LOGIN_DRAIN)
        rows.append(("GET users/me, calm", args.connections, combined(calm_runs), None))
        rows.append(("GET users/me, storm", args.connections, combined(storm_runs), None))
        ratios = [storm["p99"] / calm["p99"] for calm, storm in zip(calm_runs, storm_runs, strict=True)]
        print(f"after:  {uptime()}")
        print(table(rows))
        answers: dict[int, int] = {}
        for stormed in storms:
            for status, count in stormed["statuses"].items():
                answers[status] = answers.get(status, 0) + count
        print(f"storm: {args.storm} clients logging in (Retry-After honoured): answers "
              f"{dict(sorted(answers.items()))}, login p50 "
              f"{statistics.median(s['p50'] for s in storms):.0f} ms, worst p99 "
              f"{max(s['p99'] for s in storms):.0f} ms; GET me p99 storm/calm by turn: "
              + ", ".join(f"{ratio:.2f}" for ratio in ratios))
        print(describe(scrape(server.base)))
        print("targets (issue 12):")
        print(verdicts(rows, statistics.median(ratios)))
    finally:
        server.stop()


async def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("bench/api.py needs wrk (Debian: apt-get install wrk; make bench-http does it)")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="unimatch-bench-http-"))
    engine: EngineServer = ENGINES[args.engine](str(workdir / args.engine))
    print(f"{args.users} users, {args.rounds} rounds, engine {args.engine}, "
          f"{os.cpu_count()} cores; {uptime()}", flush=True)
    base_url = await engine.start()
    try:
        rng = random.Random(args.seed)
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
        if sizes:
            await sized(base_url, sizes, args.size_runs, rng)
        if not args.load:
            return
        url = base_url + "bench"
        store = await Store.connect(url)
        try:
            await store.hobbies.seed_defaults()
            real_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(12)).decode()
            await grow(store, 0, args.users, real_hash, rng)
            await seed_rounds(store, args.rounds)
        finally:
            await store.close()
        await load(args, url, workdir)
    finally:
        engine.stop()
        shutil.rmtree(workdir, ignore_errors=True)


async def sized(base_url: str, sizes: list[int], runs: int, rng: random.Random) -> None:
    """The flat-with-size timings, on databases of their own."""
    print(f"flat with size: median ms of {runs} calls each, one by one, bcrypt cost 4, "
          "in process, the sizes by turns", flush=True)
    stores = [await Store.connect(f"{base_url}bench_size_{size}") for size in sizes]
    try:
        for store in stores:
            await store.hobbies.seed_defaults()
        for size, medians in await flat_with_size(stores, sizes, runs, rng):
            print(f"  {size:>6} users: " + ", ".join(f"{name} {ms:.2f}"
                                                     for name, ms in medians.items()))
        print(f"  {uptime()}", flush=True)
    finally:
        for store in stores:
            await store.drop()
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4, help="matching rounds run before the load")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each endpoint, each beside its own days-to-match run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--login-connections", type=int, default=4)
    parser.add_argument("--storm", type=int, default=16, help="clients in the login storm")
    parser.add_argument("--sizes", default="1000,10000",
                        help="store sizes for the flat-with-size timings ('' to skip them)")
    parser.add_argument("--size-runs", type=int, default=200)
    parser.add_argument("--load", action=argparse.BooleanOptionalAction, default=True,
                        help="--no-load: the flat-with-size timings alone")
    parser.add_argument("--engine", default="nx-27017", choices=sorted(ENGINES))
    parser.add_argument("--server", default=str(REPO / "server.py"),
                        help="the server.py to load (another checkout's, to compare)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--processes", type=int, default=1,
                        help="the server's --processes (0: one per core)")
    asyncio.run(main(parser.parse_args()))
