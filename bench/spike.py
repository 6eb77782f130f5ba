"""The Monday 10:00 spike on one server process (``make bench-spike``; a
benchmark, not a test): N browsers hold a WebSocket open, a round of N
people runs, and every one of them must get the tick each second and their
alert right after the round.

For each N (``--sizes``), on loopback only:

1. ``server.py`` starts in a fresh data directory (embedded nx-27017, its
   default hobbies), run by this file so that a loop-lag probe shares its
   event loop: a 5 ms timer that logs how late it fires, which is how long
   ticks, requests and alerts would have waited (the event-loop stall);
2. N users are written through the store directly (as bench/round.py does)
   and each gets an access token signed with the server's secret;
3. client processes (``--clients``; raw sockets, a minimal RFC 6455
   handshake and frame reader) open N authenticated sockets. Arrival times
   are the kernel's (SO_TIMESTAMPNS): when a frame reached the client's
   socket, not when a busy client process got round to reading it, so the
   clients are not what is measured;
4. ticks are watched for ``--seconds``: per tick, the spread between the
   first and the last socket it reached; slots with no tick at all; ticks a
   socket missed (a slow socket skips ticks by design); the server's RSS
   per socket;
5. a login storm, with the sockets open: GET users/me is timed calm for
   ``--storm-seconds``, then again while ``--storm`` clients log in back to
   back (bcrypt at the server's default cost, 12; a 503 or 429 is an
   answer, counted, and its ``Retry-After`` honoured, as bench/api.py's
   storm does), beside the tick spread and loop stall of that window;
6. ``unimatch match-now`` runs a round of all N users from another process;
   the alert latency is from the round's ``finished_at`` in the store to
   each socket's alert.

The server is the checkout's this file sits in: a copy of an older tree
with this file in its ``bench/`` measures that tree's code (the store's
``users.create``, which every version has, seeds it).

    make bench-spike
    make bench-spike ARGS="--sizes 10000 --seconds 30"
"""

import argparse
import asyncio
import errno
import gc
import itertools
import json
import os
import random
import resource
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from round import table  # noqa: E402  (bench/round.py: figures side by side)

FAKE_HASH = "$2b$04$" + "x" * 53  # nobody but the storm's accounts logs in
STORM_ACCOUNTS = 64  # the first users, with a real password: the storm logs in as them
STORM_PASSWORD = "spike-storm-password"
STORM_COST = 12  # the server's default bcrypt cost
ME_CLIENTS = 2  # GET users/me probes, each one request at a time ...
ME_PAUSE = 0.01  # ... with this pause between (a light, steady probe)
FD_LIMIT = 65536
START_TIMEOUT = 60.0
OPEN_TIMEOUT = 300.0
ALERT_TIMEOUT = 30.0
PROBE_INTERVAL = 0.005
PROBE_REPORT = 0.004  # lags below this are timer noise, not stalls


# -- the server process: server.py's own main, plus a loop-lag probe ------------------

async def lag_probe(path: str) -> None:
    """Appends ``wall-clock-end lag busy`` for every time a 5 ms timer
    fired late by more than PROBE_REPORT: the loop could run nothing else
    for ``lag`` seconds. ``busy`` is the CPU time the loop's thread used
    meanwhile (beyond the timer's own wait): on a loaded machine part of a
    lag is the process waiting for a core, which no code of ours decides."""
    loop = asyncio.get_running_loop()
    with open(path, "a", buffering=1) as out:
        while True:
            expected = loop.time() + PROBE_INTERVAL
            cpu = time.thread_time()
            await asyncio.sleep(PROBE_INTERVAL)
            lag = loop.time() - expected
            if lag > PROBE_REPORT:
                busy = min(lag, time.thread_time() - cpu)
                out.write(f"{time.time():.4f} {lag:.4f} {busy:.4f}\n")


def log_gc_passes(path: str) -> None:
    """Appends ``wall-clock-end seconds generation`` for every pass of the
    garbage collector over its oldest generation, and any other pass over
    PROBE_REPORT: with thousands of sockets a full pass walks every object
    of every socket, and the loop waits for it whoever caused it."""
    out = open(path, "a", buffering=1)  # open for the life of the process
    started = [0.0]

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = time.perf_counter() - started[0]
        if info["generation"] == 2 or took > PROBE_REPORT:
            out.write(f"{time.time():.4f} {took:.4f} {info['generation']}\n")
    gc.callbacks.append(timed)


def serve(lag_path: str, argv: list[str]) -> int:
    """Run ``server.py`` with ``argv`` in this process, probe beside it."""
    import server

    log_gc_passes(lag_path + ".gc")

    async def main() -> int:
        probe = asyncio.ensure_future(lag_probe(lag_path))
        try:
            return await server.main(argv)
        finally:
            probe.cancel()
    return asyncio.run(main())


# -- the client processes: many sockets, one epoll loop each --------------------------

# Linux's SO_TIMESTAMPNS (asm-generic/socket.h; the socket module has no
# name for it): recvmsg then carries when the data reached the socket.
SO_TIMESTAMPNS = 35
TIMESPEC = struct.Struct("qq")
ANCILLARY = socket.CMSG_SPACE(TIMESPEC.size)
HANDSHAKE = ("GET /ws/{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n")
BATCH_PAUSE = 0.02
TICK, MATCH, AUTH_OK = b'{"type": "tick"', b'{"type": "match"', b'{"type": "auth_ok"'


class Conn:
    __slots__ = ("sock", "request", "authenticated", "state", "buf", "last_tick", "repeat")

    def __init__(self, sock: socket.socket, request: bytes, authenticated: bool):
        self.sock = sock
        self.request = request
        self.authenticated = authenticated
        self.state = "connecting"  # -> handshake -> open (-> ready) -> closed
        self.buf = bytearray()
        self.last_tick = b""
        self.repeat = 0


class ClientWorker:
    """Opens its share of the sockets, then records every frame's arrival:
    ticks as ``{(payload, repeat): [count, first, last]}`` (two ticks in
    one wall-clock second have the same payload: ``repeat`` tells them
    apart), alerts as a list of times. Commands on stdin: ``alerts`` (how
    many so far), ``stop`` (dump everything as JSON and exit)."""

    def __init__(self, port: int, tokens: list[str | None], inflight: int):
        self.port = port
        self.pending = list(reversed(tokens))
        self.inflight = inflight
        self.epoll = select.epoll()
        self.conns: dict[int, Conn] = {}
        self.opening = 0
        self.ready = self.failed = 0
        self.ticks: dict[tuple[bytes, int], list[float]] = {}
        self.alerts: list[float] = []
        self.closed: dict[str, int] = {}

    def run(self) -> None:
        self.epoll.register(sys.stdin.fileno(), select.EPOLLIN)
        announced = False
        while True:
            self._open_more()
            if not announced and not self.pending and self.opening == 0:
                self._say(f"ready {self.ready} {self.failed}")
                announced = True
            if announced:
                # Read in batches, not on every frame's wake-up: fewer
                # switches away from the server while it broadcasts.
                time.sleep(BATCH_PAUSE)
            for fd, events in self.epoll.poll(0.1):
                if fd == sys.stdin.fileno():
                    if self._command(sys.stdin.readline().strip()):
                        return
                    continue
                conn = self.conns.get(fd)
                if conn is not None:
                    self._event(fd, conn, events)

    def _say(self, line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def _command(self, command: str) -> bool:
        if command == "alerts":
            self._say(f"alerts {len(self.alerts)}")
            return False
        self._say(json.dumps({
            "ready": self.ready, "failed": self.failed, "closed": self.closed,
            "alerts": self.alerts,
            "ticks": [[payload.decode("latin-1"), repeat, *record]
                      for (payload, repeat), record in self.ticks.items()]}))
        return True

    def _open_more(self) -> None:
        while self.pending and self.opening < self.inflight:
            token = self.pending.pop()
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            sock.setblocking(False)
            code = sock.connect_ex(("127.0.0.1", self.port))
            if code not in (0, errno.EINPROGRESS):
                sock.close()
                self.failed += 1
                continue
            query = f"?token={token}" if token else ""
            request = HANDSHAKE.format(query=query, port=self.port).encode()
            self.conns[sock.fileno()] = Conn(sock, request, token is not None)
            self.epoll.register(sock.fileno(), select.EPOLLOUT)
            self.opening += 1

    def _event(self, fd: int, conn: Conn, events: int) -> None:
        if conn.state == "connecting":
            if conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self._drop(fd, conn, "connect failed")
                return
            conn.sock.send(conn.request)  # a few hundred bytes: one send
            conn.state = "handshake"
            self.epoll.modify(fd, select.EPOLLIN)
            return
        try:
            data, ancillary, _, _ = conn.sock.recvmsg(65536, ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data, ancillary = b"", []
        if not data:
            self._drop(fd, conn, "eof")
            return
        arrived = time.time()
        for level, kind, raw in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = TIMESPEC.unpack(raw)
                arrived = seconds + nanoseconds * 1e-9
        conn.buf += data
        if conn.state == "handshake":
            head, sep, rest = bytes(conn.buf).partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                self._drop(fd, conn, head.split(b"\r\n", 1)[0].decode("latin-1"))
                return
            conn.buf = bytearray(rest)
            conn.state = "open"
            if not conn.authenticated:
                self._ready(conn)
        self._frames(fd, conn, arrived)

    def _frames(self, fd: int, conn: Conn, arrived: float) -> None:
        buf = conn.buf
        while len(buf) >= 2:
            opcode, length, start = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, start = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, start = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < start + length:
                return
            payload = bytes(buf[start:start + length])
            del buf[:start + length]
            if opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self._drop(fd, conn, f"close {code} {payload[2:].decode('utf-8', 'replace')}".strip())
                return
            if opcode == 0x9:  # the server pings every 20 s and closes sockets that never answer
                conn.sock.send(pong(payload))
            else:
                self._message(conn, payload, arrived)

    def _message(self, conn: Conn, payload: bytes, arrived: float) -> None:
        if payload.startswith(TICK):
            if payload == conn.last_tick:
                conn.repeat += 1
            else:
                conn.last_tick, conn.repeat = payload, 0
            record = self.ticks.get((payload, conn.repeat))
            if record is None:
                self.ticks[(payload, conn.repeat)] = [1, arrived, arrived]
            else:
                record[0] += 1
                record[1] = min(record[1], arrived)
                record[2] = max(record[2], arrived)
        elif payload.startswith(MATCH):
            self.alerts.append(arrived)
        elif payload.startswith(AUTH_OK) and conn.state == "open":
            self._ready(conn)

    def _ready(self, conn: Conn) -> None:
        conn.state = "ready"
        self.ready += 1
        self.opening -= 1

    def _drop(self, fd: int, conn: Conn, why: str) -> None:
        if conn.state in ("connecting", "handshake", "open"):
            self.opening -= 1
            self.failed += 1
        self.closed[why] = self.closed.get(why, 0) + 1
        conn.state = "closed"
        self.epoll.unregister(fd)
        del self.conns[fd]
        conn.sock.close()


def pong(ping: bytes) -> bytes:
    """The answer to a ping (<= 125 bytes): a client frame is masked; an
    all-zero mask leaves the payload as it is."""
    return bytes([0x8A, 0x80 | len(ping)]) + b"\0\0\0\0" + ping


def client(port: int, inflight: int) -> None:
    """A client process: tokens as one JSON line on stdin, then commands.
    It runs at a lower priority than the server: it shares the machine's
    cores with it, and it reads the kernel's arrival times, so reading
    late costs the figures nothing."""
    os.nice(10)
    tokens = json.loads(sys.stdin.readline())
    ClientWorker(port, tokens, inflight).run()


# -- the bench process -----------------------------------------------------------------

class ServerUnderTest:
    """``server.py`` (with the probe) on a free port in a fresh data dir."""

    def __init__(self, workdir: str, secret: str):
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.lag_path = os.path.join(workdir, "lag.log")
        self.log_path = os.path.join(workdir, "server.log")
        self.secret = secret
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = ["--port", str(self.port), "--data-dir", self.data_dir, "--jwt-secret", self.secret]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--serve", self.lag_path, "--", *argv],
                stdout=log, stderr=subprocess.STDOUT, env=clean_env(), cwd=REPO)
        deadline = time.monotonic() + START_TIMEOUT
        url = f"http://127.0.0.1:{self.port}/users/api/days-to-match/"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"server did not answer within {START_TIMEOUT:.0f} s; see {self.log_path}")

    def rss_kib(self) -> int:
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def stalls(self, start: float, end: float) -> tuple[float, float]:
        """The longest loop lag (s) the probe logged ending in ``[start,
        end]``, and the longest CPU-busy part of one."""
        wall = busy = 0.0
        try:
            with open(self.lag_path) as log:
                for line in log:
                    when, lag, cpu = map(float, line.split())
                    if start <= when <= end:
                        wall, busy = max(wall, lag), max(busy, cpu)
        except FileNotFoundError:
            pass
        return wall, busy


    def gc_passes(self, start: float, end: float) -> tuple[int, float]:
        """How many full collections ended in ``[start, end]``, the longest (s)."""
        count, longest = 0, 0.0
        try:
            with open(self.lag_path + ".gc") as log:
                for line in log:
                    when, took, generation = line.split()
                    if generation == "2" and start <= float(when) <= end:
                        count, longest = count + 1, max(longest, float(took))
        except FileNotFoundError:
            pass
        return count, longest


class Clients:
    """``count`` client processes sharing the tokens."""

    def __init__(self, port: int, tokens: list[str | None], count: int, inflight: int):
        self.procs = []
        for share in (tokens[i::count] for i in range(count)):
            proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--client", str(port),
                 "--inflight", str(inflight)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO)
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(share) + "\n")
            proc.stdin.flush()
            self.procs.append(proc)

    def wait_ready(self) -> tuple[int, int]:
        ready = failed = 0
        for proc in self.procs:
            line = self._read(proc, OPEN_TIMEOUT)
            _, ok, bad = line.split()
            ready, failed = ready + int(ok), failed + int(bad)
        return ready, failed

    def alerts(self) -> int:
        for proc in self.procs:
            self._send(proc, "alerts")
        return sum(int(self._read(proc, 30).split()[1]) for proc in self.procs)

    def stop(self) -> list[dict]:
        for proc in self.procs:
            self._send(proc, "stop")
        records = [json.loads(self._read(proc, 60)) for proc in self.procs]
        for proc in self.procs:
            proc.wait(30)
        return records

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    @staticmethod
    def _send(proc: subprocess.Popen, command: str) -> None:
        assert proc.stdin is not None
        proc.stdin.write(command + "\n")
        proc.stdin.flush()

    @staticmethod
    def _read(proc: subprocess.Popen, timeout: float) -> str:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            raise SystemExit(f"a client process did not answer within {timeout:.0f} s")
        return line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """This environment without settings that would point the server elsewhere."""
    drop = ("MONGO_URL", "JWT_SECRET", "CORS_ORIGINS", "LOG_LEVEL", "TELEGRAM_BOT_TOKEN",
            "TELEGRAM_API_URL", "TELEGRAM_BOT_USERNAME", "UNIMATCH_DATA_DIR")
    return {k: v for k, v in os.environ.items() if k not in drop}


def raise_fd_limit() -> int:
    """As many descriptors as the sockets need, for this process and the
    ones it starts (they inherit it); the hard limit rises too where this
    process may (root with CAP_SYS_RESOURCE), else the soft one up to it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for wanted in ((FD_LIMIT, max(hard, FD_LIMIT)), (max(soft, min(hard, FD_LIMIT)), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, wanted)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def populate(data_dir: str, users: int, seed: int) -> list[int]:
    """``users`` users in the server's store; their ids. The first
    STORM_ACCOUNTS have STORM_PASSWORD (one hash at the server's cost,
    shared: bcrypt checks it the same whoever holds it)."""
    import bcrypt

    from unimatch.store import Store
    from unimatch.store.embedded import running_url

    url = await running_url(data_dir)
    if url is None:
        raise SystemExit("the server's embedded store is not answering")
    store = await Store.connect(url)
    rng = random.Random(seed)
    real_hash = bcrypt.hashpw(STORM_PASSWORD.encode(), bcrypt.gensalt(STORM_COST)).decode()
    try:
        hobby_ids = [h["id"] for h in await store.hobbies.all()]
        weights = [1 / (i + 1) for i in range(len(hobby_ids))]

        async def one(i: int) -> int:
            hobbies = set(rng.choices(hobby_ids, weights, k=rng.randint(1, 5)))
            secret = real_hash if i < STORM_ACCOUNTS else FAKE_HASH
            user = await store.users.create(email=email(i), password_hash=secret,
                                            first_name=f"Студент{i}", hobby=hobbies, created_at=0)
            return user["_id"]
        # One at a time: concurrent creations contend for the same id block
        # and retry, which is slower on the embedded store.
        ids = [await one(i) for i in range(users)]
    finally:
        await store.close()
    return ids


def email(i: int) -> str:
    return f"spike{i}@example.com"


def access_tokens(secret: str, ids: list[int]) -> list[str]:
    """Access tokens for ``ids``, signed with the server's secret."""
    from unimatch.auth.tokens import ACCESS, TokenService
    from unimatch.clock import Clock

    tokens = TokenService(secret, Clock())
    return [tokens.issue(user_id, ACCESS) for user_id in ids]


async def round_finished_at(data_dir: str) -> float:
    from unimatch.store import Store
    from unimatch.store.embedded import running_url

    url = await running_url(data_dir)
    assert url is not None
    store = await Store.connect(url)
    try:
        return (await store.rounds.finished_after(0))[-1]["finished_at"]
    finally:
        await store.close()


def run_round(data_dir: str) -> tuple[float, dict]:
    """``unimatch match-now`` from its own process; the round's end (its
    ``finished_at``) and summary."""
    # The checkout's own command (REPO first on the path), as server.py is.
    done = subprocess.run([sys.executable, "-m", "unimatch.cli", "match-now", "--data-dir", data_dir],
                          env=clean_env(), cwd=REPO, capture_output=True, text=True, timeout=600,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"match-now failed: {done.stderr.strip()}")
    return asyncio.run(round_finished_at(data_dir)), json.loads(done.stdout)


async def probe_me(base: str, tokens: list[str], seconds: float) -> tuple[list[float], int]:
    """GET users/me from ME_CLIENTS probes for ``seconds``: each answer's
    seconds, and how many answers were not 200."""
    import httpx

    took: list[float] = []
    failed = [0]
    deadline = time.monotonic() + seconds

    async def probe(n: int, http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            answer = await http.get(base + "/auth/users/me/",
                                    headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"})
            took.append(time.perf_counter() - started)
            failed[0] += answer.status_code != 200
            n += ME_CLIENTS
            await asyncio.sleep(ME_PAUSE)

    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(probe(n, http) for n in range(ME_CLIENTS)))
    return took, failed[0]


async def login_storm(port: int, tokens: list[str], clients: int,
                      seconds: float) -> dict:
    """GET users/me calm for ``seconds``, then again while ``clients`` log
    in back to back (bench/api.py's storm: it starts a second before the
    probe and ends a second after). The storm probe's wall-clock window
    goes with the figures, for the ticks and stalls inside it."""
    from api import storm  # bench/api.py: 503/429 honoured, answers by status

    base = f"http://127.0.0.1:{port}"
    calm, calm_failed = await probe_me(base, tokens, seconds)
    bodies = [json.dumps({"email": email(i), "password": STORM_PASSWORD})
              for i in range(STORM_ACCOUNTS)]
    storming = asyncio.ensure_future(storm(base, bodies, clients, seconds + 2))
    await asyncio.sleep(1)
    window = (time.time(), time.time() + seconds)
    stormed, storm_failed = await probe_me(base, tokens, seconds)
    logins = await storming
    return {"calm": calm, "storm": stormed, "failed": calm_failed + storm_failed,
            "logins": logins, "window": window}


def storm_rows(storm: dict, ticks: dict[tuple[str, int], list[float]], ready: int,
               server: "ServerUnderTest", args: argparse.Namespace) -> list[tuple[str, str]]:
    calm, stormed = percentile(storm["calm"], 99), percentile(storm["storm"], 99)
    answers = storm["logins"]["statuses"]
    during = tick_figures(ticks, ready, *storm["window"], args.interval)
    return [("GET me p99 ms calm", f"{1000 * calm:.0f}"),
            ("GET me p99 ms storm", f"{1000 * stormed:.0f}"),
            ("GET me p99 storm/calm", f"{stormed / calm:.2f}"),
            ("GET me non-200", str(storm["failed"])),
            ("logins 200/503/429", "/".join(str(answers.get(code, 0)) for code in (200, 503, 429))),
            ("login p50/p99 ms", f"{storm['logins']['p50']:.0f}/{storm['logins']['p99']:.0f}"),
            ("tick spread p99 ms (storm)", f"{1000 * during['p99']:.0f}"),
            ("skipped tick slots (storm)", str(during["skipped"])),
            ("loop stall max ms wall/cpu (storm)", stall_ms(server.stalls(*storm["window"]))),
            ("full GC passes (storm): n, max ms", gc_ms(server.gc_passes(*storm["window"])))]


def merge_ticks(records: list[dict]) -> dict[tuple[str, int], list[float]]:
    ticks: dict[tuple[str, int], list[float]] = {}
    for record in records:
        for payload, repeat, count, first, last in record["ticks"]:
            seen = ticks.get((payload, repeat))
            if seen is None:
                ticks[(payload, repeat)] = [count, first, last]
            else:
                ticks[(payload, repeat)] = [seen[0] + count, min(seen[1], first), max(seen[2], last)]
    return ticks


def tick_figures(ticks: dict[tuple[str, int], list[float]], sockets: int, start: float, end: float,
                 interval: float) -> dict[str, float]:
    """Spread, skipped slots and missed socket-ticks of the ticks whose
    first arrival fell in ``[start, end]``."""
    inside = sorted((t for t in ticks.values() if start <= t[1] <= end), key=lambda t: t[1])
    spreads = [last - first for _, first, last in inside]
    skipped = sum(max(0, round((b[1] - a[1]) / interval) - 1) for a, b in itertools.pairwise(inside))
    return {"ticks": len(inside), "skipped": skipped,
            "missed": sum(sockets - count for count, _, _ in inside),
            "p50": percentile(spreads, 50), "p99": percentile(spreads, 99)}


def percentile(values: Iterable[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(pct) - 1]


def stall_ms(stalls: tuple[float, float]) -> str:
    """``wall/cpu``: the longest lag, and the longest CPU-busy part of one."""
    return f"{1000 * stalls[0]:.0f}/{1000 * stalls[1]:.0f}"


def gc_ms(passes: tuple[int, float]) -> str:
    return f"{passes[0]}, {1000 * passes[1]:.0f}"


def load() -> str:
    """The 1-minute load average (this machine has os.cpu_count() cores)."""
    return f"{os.getloadavg()[0]:.2f}"


def measure(n: int, args: argparse.Namespace) -> list[tuple[str, str]]:
    """One size's figures as ``(row, value)``, in print order."""
    workdir = tempfile.mkdtemp(prefix=f"unimatch-spike-{n}-")
    secret = os.urandom(32).hex()
    server = ServerUnderTest(workdir, secret)
    clients: Clients | None = None
    rows = [("load average (1 min) at start", load())]
    try:
        server.start()
        began = time.monotonic()
        ids = asyncio.run(populate(server.data_dir, n, args.seed))
        tokens: list[str | None] = list(access_tokens(secret, ids))
        rows.append(("populate s", f"{time.monotonic() - began:.1f}"))
        time.sleep(1)
        rss_before = server.rss_kib()
        began = time.monotonic()
        clients = Clients(server.port, tokens, args.clients, args.inflight)
        ready, failed = clients.wait_ready()
        rows.append(("sockets open / failed", f"{ready}/{failed}"))
        rows.append(("open all s", f"{time.monotonic() - began:.1f}"))
        time.sleep(args.settle)
        rows.append(("server RSS KiB per socket", f"{(server.rss_kib() - rss_before) / max(1, ready):.1f}"))
        window = (time.time(), time.time() + args.seconds)
        time.sleep(args.seconds)
        rows.append(("load average (1 min) after ticks", load()))

        storm = asyncio.run(login_storm(server.port, access_tokens(secret, ids), args.storm,
                                        args.storm_seconds))
        finished_at, summary = run_round(server.data_dir)
        deadline = time.monotonic() + ALERT_TIMEOUT
        while clients.alerts() < ready and time.monotonic() < deadline:
            time.sleep(0.25)
        time.sleep(1)
        records = clients.stop()
    finally:
        if clients is not None:
            clients.kill()
        server.stop()
    ticks = merge_ticks(records)
    quiet = tick_figures(ticks, ready, *window, args.interval)
    rows += [("ticks watched", f"{quiet['ticks']} in {args.seconds:.0f} s"),
             ("skipped tick slots", str(quiet["skipped"])),
             ("socket-ticks missed", str(quiet["missed"])),
             ("tick spread p50 ms", f"{1000 * quiet['p50']:.0f}"),
             ("tick spread p99 ms", f"{1000 * quiet['p99']:.0f}"),
             ("loop stall max ms wall/cpu (ticks)", stall_ms(server.stalls(*window))),
             ("full GC passes (ticks): n, max ms", gc_ms(server.gc_passes(*window)))]
    rows += storm_rows(storm, ticks, ready, server, args)
    alerts = sorted(a for r in records for a in r["alerts"])
    latencies = [a - finished_at for a in alerts]
    last = alerts[-1] if alerts else finished_at
    during = tick_figures(ticks, ready, finished_at, last + 1, args.interval)
    rows += [("round pairs", str(summary.get("pairs"))),
             ("alerts received / sockets", f"{len(alerts)}/{ready}"),
             ("alert latency p50 s", f"{percentile(latencies, 50):.2f}"),
             ("alert latency p99 s", f"{percentile(latencies, 99):.2f}"),
             ("alert latency max s", f"{max(latencies, default=float('nan')):.2f}"),
             ("loop stall max ms wall/cpu (alerts)", stall_ms(server.stalls(finished_at, last + 1))),
             ("full GC passes (alerts): n, max ms", gc_ms(server.gc_passes(finished_at, last + 1))),
             ("tick spread p99 ms (alerts)", f"{1000 * during['p99']:.0f}"),
             ("skipped tick slots (alerts)", str(during["skipped"]))]
    closed = {why: count for r in records for why, count in r["closed"].items()}
    if closed:
        rows.append(("sockets closed", ", ".join(f"{w}: {c}" for w, c in sorted(closed.items()))))
    if args.keep:
        rows.append(("kept", workdir))
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main(args: argparse.Namespace) -> None:
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    limit = raise_fd_limit()
    # Per process: the server holds every socket, each client process its share.
    if max(sizes) + 512 > limit:
        raise SystemExit(f"{max(sizes)} sockets need about {max(sizes) + 512} descriptors in the "
                         f"server process; the limit is {limit}")
    print(f"bench-spike: sizes {sizes}, {args.seconds:.0f} s of ticks each, {args.clients} client "
          f"processes, {os.cpu_count()} cores; uptime: {uptime()}", flush=True)
    columns = {}
    for n in sizes:
        print(f"N = {n}: running ...", file=sys.stderr, flush=True)
        columns[f"N={n}"] = measure(n, args)
    print(table(columns))
    print(f"uptime at the end: {uptime()}")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="socket counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to watch ticks")
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between the last socket opening and the tick window")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--inflight", type=int, default=32,
                        help="handshakes in flight per client process")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="the server's tick interval (its default)")
    parser.add_argument("--storm", type=int, default=16, help="clients in the login storm")
    parser.add_argument("--storm-seconds", type=float, default=10.0,
                        help="how long GET users/me is timed, calm and during the storm")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true",
                        help="keep each size's directory (server log, loop-lag log)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        sys.exit(serve(sys.argv[2], sys.argv[4:]))
    if sys.argv[1:2] == ["--client"]:
        client(int(sys.argv[2]), int(sys.argv[4]))
        sys.exit(0)
    main(parse_args(sys.argv[1:]))
