"""``server.py --processes 2``: two workers on one port and one embedded
store, started once by their parent. A scheduled round runs once however
many processes see it due; every authenticated socket, on either worker,
gets its alert once; Telegram gets one notice per linked member from the
one process holding the sender role; SIGTERM to the parent stops it all."""

import asyncio
import datetime as dt
import functools
import json
import os
import pathlib
import signal
import stat
import subprocess
import sys
import time

import pytest
from cohorts import register_cohort
from conftest import TEST_BOT_TOKEN, Api
from harness import SERVER, STOP_TIMEOUT, alive, children, clean_env, running
from socket_frames import next_frame
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

USERS = 24  # sockets: with the kernel spreading them, both workers hold some
LINKED = 4
FIRST_CHAT = 5001
# The round is scheduled this far ahead at least (the next whole minute
# after it): room for the server to start and the test to arrange its users.
LEAD = dt.timedelta(seconds=20)


@pytest.mark.gen_test(timeout=240)
async def test_two_workers_share_the_port_the_store_and_the_round(start_embedded, fake_telegram):
    slot = _next_minute(dt.datetime.now(dt.UTC) + LEAD)
    server = await _in_thread(
        start_embedded, "--processes", "2", "--timezone", "UTC",
        "--match-weekday", str(slot.weekday()), "--match-time", slot.strftime("%H:%M"),
        "--round-check-interval", "0.2", "--telegram-bot-username", "unimatch_test_bot",
        env={"TELEGRAM_BOT_TOKEN": TEST_BOT_TOKEN, "TELEGRAM_API_URL": fake_telegram.url})
    workers = children(server.process.pid) - {server.child_pid}
    assert len(workers) == 2, (workers, server.log)
    metrics_dir = pathlib.Path(_environ(next(iter(workers)))["PROMETHEUS_MULTIPROC_DIR"])
    assert stat.S_IMODE(metrics_dir.stat().st_mode) == 0o700

    sockets, alerts = {}, {}
    try:
        api = Api(AsyncHTTPClient(), server.url)
        users = await register_cohort(api, USERS)
        for body in users:
            sockets[body["user"]["id"]] = conn = await websocket_connect(HTTPRequest(
                f"ws://127.0.0.1:{server.port}/ws/?token={body['access']}"))
            assert (await next_frame(conn, "auth_ok"))["user_id"] == body["user"]["id"]
            # Read from now on: a client that stops reading stops answering
            # the server's pings too (Tornado's client queues one message),
            # and the server closes it.
            alerts[body["user"]["id"]] = asyncio.ensure_future(
                next_frame(conn, "match", timeout=30))
        # Which worker holds each socket, as the kernel says; /healthz says who answers.
        owners = _owners(server.port, {conn.protocol.stream.socket.getsockname()[1]: user_id
                                       for user_id, conn in sockets.items()}, workers)
        assert set(owners) == set(sockets)
        assert set(owners.values()) == workers, "one worker holds every socket"
        answering = set()
        for _ in range(40):
            # A connection each (Tornado's client keeps none alive): the kernel
            # picks a worker per connection.
            status, health = await api.get("/healthz")
            assert status == 200 and health["status"] == "ok", health
            answering.add(health["pid"])
        assert answering == workers

        # The first LINKED students link Telegram through the bot: one reply each,
        # so one process polls.
        chat_of = {}
        for i, body in enumerate(users[:LINKED]):
            status, link = await api.post("/users/api/tg-link-code/", token=body["access"])
            assert status == 201, link
            chat_of[body["user"]["id"]] = FIRST_CHAT + i
            await fake_telegram.reply(FIRST_CHAT + i, f"/start {link['code']}")

        # Arranged before the round is due (else some would miss it: LEAD is too short).
        assert dt.datetime.now(dt.UTC) < slot, f"arranged only at {dt.datetime.now(dt.UTC)}"
        # Both workers check every 0.2 s whether the round is due; one runs it.
        frames = {user_id: await alert for user_id, alert in alerts.items()}
        assert {item["round"] for frame in frames.values() for item in frame["pairs"]} == {1}
        partners = {user_id: {item["partner"]["id"] for item in frame["pairs"]}
                    for user_id, frame in frames.items()}
        for user_id, mine in partners.items():
            assert mine and user_id not in mine
            # Whoever I got, got me, on whichever worker either of us is.
            assert all(user_id in partners[partner] for partner in mine)
        # Once: the next polls (every second) find nothing new for anyone.
        later = await asyncio.gather(*(_frames_until_ticks(conn, 3) for conn in sockets.values()))
        assert later == [[]] * len(sockets)
        staff = users[0]
        assert (await _in_thread(server.cli, "create-admin", staff["user"]["email"])).returncode == 0
        status, stats = await api.get("/admin-api/stats/", token=staff["access"])
        assert status == 200 and len(stats) == 1, stats
        claims = [line for line in server.log.splitlines()
                  if "round 1 (scheduled:" in line and "claimed by" in line]
        assert len(claims) == 1, claims  # claimed once, by one worker

        notices = {chat: await fake_telegram.wait_for("sendMessage", chat, count=2)
                   for chat in chat_of.values()}
        for _linked, notice in notices.values():
            assert "На этой неделе" in notice.text, notice.text
        assert sorted(c.chat_id for c in fake_telegram.sends()) == sorted(2 * list(chat_of.values()))
    except BaseException:
        print(server.log[-30000:])  # shown with the failure
        raise
    finally:
        for alert in alerts.values():
            alert.cancel()
        for conn in sockets.values():
            conn.close()
    assert await _in_thread(server.terminate) == 0
    for pid in [*workers, server.child_pid]:
        assert not alive(pid), f"pid {pid} outlived its parent"
    assert not metrics_dir.exists()
    assert not (server.data_dir / "nx-27017.url").exists()


def test_a_killed_parent_takes_its_workers_and_the_store_along(start_embedded):
    server = start_embedded("--processes", "2")
    family = children(server.process.pid)
    assert server.child_pid in family and len(family) == 3
    server.process.kill()  # SIGKILL: the workers see their pipe close, the child its own
    server.process.wait()
    _wait_until(lambda: not any(running(pid) for pid in family))


def test_a_worker_that_dies_is_started_again(start_embedded):
    server = start_embedded("--processes", "2")
    workers = children(server.process.pid) - {server.child_pid}
    victim = min(workers)
    metrics_dir = pathlib.Path(_environ(victim)["PROMETHEUS_MULTIPROC_DIR"])
    live = f"gauge_live*_{victim}.db"  # its open sockets and hashes in hand
    _wait_until(lambda: list(metrics_dir.glob(live)))
    os.kill(victim, signal.SIGKILL)
    _wait_until(lambda: len(children(server.process.pid) - {server.child_pid} - workers) == 1)
    [successor] = children(server.process.pid) - {server.child_pid} - workers
    # It serves on the socket its predecessor had: /healthz reaches it.
    _wait_until(lambda: server.request("GET", "/healthz")[1]["pid"] == successor)
    assert not list(metrics_dir.glob(live)), "a dead worker's live gauges stop counting"
    assert f"(pid {victim}) exited with code -9; starting it again" in server.log
    assert server.terminate() == 0
    assert not any(running(pid) for pid in (*workers, successor, server.child_pid))


def test_workers_share_a_configured_store(start_server, engine):
    """With MONGO_URL the parent starts no database: two workers and
    nothing else, on the lane's server."""
    server = start_server("--processes", "2")
    assert len(children(server.process.pid)) == 2
    token = server.register("ann@example.com", "correct-horse-7")["access"]
    seen = {}
    for _ in range(40):  # a connection each: the kernel picks a worker per connection
        status, me = server.request("GET", "/auth/users/me/", token=token)
        assert status == 200 and me["email"] == "ann@example.com"
        seen[server.request("GET", "/healthz")[1]["pid"]] = True
    assert len(seen) == 2
    # FerretDB 1.x has no atomic updates (README, Known limits): the parent says so.
    warned = "FerretDB 1.x applies no update atomically" in server.log
    assert warned == (engine.kind == "ferretdb")
    assert server.terminate() == 0


@pytest.mark.parametrize("count", ["-1", "two"])
def test_a_bad_process_count_is_a_usage_error(tmp_path, count):
    result = subprocess.run([sys.executable, str(SERVER), "--processes", count,
                             "--data-dir", str(tmp_path)], capture_output=True, text=True,
                            env=clean_env(), timeout=30, check=False)
    assert result.returncode == 2 and "--processes" in result.stderr


def _wait_until(condition):
    deadline = time.monotonic() + STOP_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)


async def _in_thread(function, *args, **kwargs):
    """A blocking call (starting or stopping a process) off the test's loop,
    where the fake Bot API answers meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(
        None, functools.partial(function, *args, **kwargs))


def _next_minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


async def _frames_until_ticks(conn, ticks):
    """The frames other than ticks that arrive before ``ticks`` more ticks."""
    others = []
    while ticks:
        raw = await asyncio.wait_for(conn.read_message(), 10)
        assert raw is not None
        frame = json.loads(raw)
        if frame["type"] == "tick":
            ticks -= 1
        else:
            others.append(frame)
    return others


def _environ(pid):
    raw = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


def _owners(port, clients, pids):
    """Which of ``pids`` holds the server's end of each client connection
    (``clients``: our local port -> user id), from the kernel's socket table
    and the processes' descriptors."""
    inodes = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in pathlib.Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
            if local == port and remote in clients:
                inodes[fields[9]] = clients[remote]
    owners = {}
    for pid in pids:
        for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                owners[inodes[target[8:-1]]] = pid
    return owners
