"""The real processes: ``server.py`` with its embedded database, started,
restarted and stopped with SIGTERM; the ``unimatch`` operator commands."""

import http.client
import json
import os
import pathlib
import signal
import socket
import stat
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SERVER = ROOT / "server.py"
CLI = pathlib.Path(sys.executable).parent / "unimatch"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# Settings a developer's shell may hold that would change what is tested.
_ENV_SETTINGS = ("MONGO_URL", "JWT_SECRET", "CORS_ORIGINS", "LOG_LEVEL", "TELEGRAM_BOT_TOKEN",
                 "TELEGRAM_API_URL", "TELEGRAM_BOT_USERNAME")


def _env():
    return {k: v for k, v in os.environ.items() if k not in _ENV_SETTINGS}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """``server.py`` on a free port, its output in a log file."""

    def __init__(self, data_dir, log_path, *args):
        self.port = _free_port()
        self.data_dir = pathlib.Path(data_dir)
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(SERVER), "--port", str(self.port), "--data-dir",
                 str(data_dir), *args],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=data_dir, env=_env())
        self.child_pid = None

    @property
    def log(self):
        return self.log_path.read_text(errors="replace")

    def call(self, method, path, body=None, token=None):
        """``(status, decoded JSON)``; never raises for an HTTP error status."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            conn.close()

    def wait_ready(self):
        """Until the countdown answers; records the embedded child's pid."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process.poll() is None, f"server exited early:\n{self.log}"
            try:
                if self.call("GET", "/users/api/days-to-match/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"server not ready in time:\n{self.log}"
            time.sleep(0.1)
        pid, url = (self.data_dir / "nx-27017.url").read_text().split()
        self.child_pid = int(pid)
        assert url.startswith("mongodb://127.0.0.1:")
        return self

    def terminate(self):
        """SIGTERM, then the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(STOP_TIMEOUT)

    def kill(self):
        """Cleanup after a failed test: the server and its embedded child."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.child_pid and _alive(self.child_pid):
            os.kill(self.child_pid, signal.SIGKILL)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def start_server(tmp_path):
    """Start ``server.py`` processes (no MONGO_URL: the embedded database);
    whatever a test leaves running is killed afterwards."""
    started = []

    def start(data_dir=None, *args):
        data_dir = data_dir or tmp_path / "data"
        data_dir.mkdir(exist_ok=True)
        server = ServerProcess(data_dir, tmp_path / f"server-{len(started)}.log",
                               "--bcrypt-rounds", "4", *args)
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:
        server.kill()


def test_help_mentions_every_option():
    result = subprocess.run([sys.executable, str(SERVER), "--help"], capture_output=True,
                            text=True, env=_env(), timeout=30, check=False)
    assert result.returncode == 0
    for option in ("--port", "--address", "--data-dir", "--mongo-url", "--jwt-secret",
                   "--match-weekday", "--match-time", "--timezone", "--cors-origins"):
        assert option in result.stdout, option


def test_bad_option_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, str(SERVER), "--timezone", "Mars/Olympus",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True,
                            env=_env(), timeout=30, check=False)
    assert result.returncode == 2
    assert "Mars/Olympus" in result.stderr


def test_sigterm_finishes_the_request_in_flight_and_stops_the_child(start_server, tmp_path):
    server = start_server(None, "--bcrypt-rounds", "12")
    child = server.child_pid
    assert _alive(child)
    body = json.dumps({"email": "late@example.com", "password": "correct-horse-7"}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"POST /users/api/register/ HTTP/1.1\r\nHost: test\r\n"
                     b"Content-Type: application/json\r\nConnection: close\r\n"
                     b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        # "100 Continue" comes once the handler has started: the request is in flight.
        assert _read_head(sock).startswith(b"HTTP/1.1 100")
        server.process.send_signal(signal.SIGTERM)
        sock.sendall(body)
        response = _read_all(sock)
    head, _, payload = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201"), response
    assert json.loads(payload)["user"]["email"] == "late@example.com"

    assert server.process.wait(STOP_TIMEOUT) == 0
    assert "unimatch.server: stopped" in server.log
    assert not _alive(child), "the embedded nx-27017 outlived the server"
    assert not (server.data_dir / "nx-27017.url").exists()


def test_a_killed_server_leaves_no_embedded_orphan_and_restarts(start_server, tmp_path):
    first = start_server()
    child = first.child_pid
    first.process.kill()  # SIGKILL: no chance to stop its child itself
    first.process.wait()
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the embedded nx-27017 outlived a killed server"
    second = start_server()  # the same data dir starts again
    assert second.call("GET", "/users/api/hobby/all/")[0] == 200
    assert second.terminate() == 0


def test_jwt_secret_is_private_and_survives_a_restart(start_server, tmp_path):
    first = start_server()
    secret_file = first.data_dir / "jwt-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text()
    status, tokens = first.call("POST", "/users/api/register/",
                                {"email": "ann@example.com", "password": "correct-horse-7",
                                 "hobby": [1, 10]})
    assert status == 201
    assert first.terminate() == 0

    second = start_server()
    assert secret_file.read_text() == secret
    status, me = second.call("GET", "/auth/users/me/", token=tokens["access"])
    assert (status, me) == (200, tokens["user"])
    status, _ = second.call("POST", "/api/token/refresh/", {"refresh": tokens["refresh"]})
    assert status == 200
    # The defaults were seeded once, not again on the restart.
    status, hobbies = second.call("GET", "/users/api/hobby/all/")
    assert [h["id"] for h in hobbies] == list(range(1, 17))
    assert second.terminate() == 0


def _read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def _read_all(sock):
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


# -- operator commands ---------------------------------------------------------------

@pytest.fixture
def cli(mongo_url, db_name, tmp_path):
    """Run ``unimatch ...`` against the test's database."""
    parts = urlsplit(mongo_url)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + db_name, parts.query, ""))

    def run(*args):
        return subprocess.run([str(CLI), *args, "--mongo-url", url, "--data-dir", str(tmp_path)],
                              capture_output=True, text=True, env=_env(), timeout=60,
                              check=False, cwd=tmp_path)
    return run


def test_hobbies_add(cli, store, io_loop):
    result = cli("hobbies", "add", "  Шахматы ")
    assert result.returncode == 0, result.stderr
    hobbies = io_loop.run_sync(store.hobbies.all)
    assert hobbies[-1] == {"id": 17, "name": "Шахматы"}
    assert "17" in result.stdout

    result = cli("hobbies", "add", "шахматы")
    assert result.returncode != 0
    assert "already exists" in result.stderr
    assert len(io_loop.run_sync(store.hobbies.all)) == 17


def test_create_admin(cli, store, io_loop):
    async def create():
        return await store.users.create(email="Boss@example.com", password_hash="x",
                                        created_at=0.0)
    user = io_loop.run_sync(create)
    result = cli("create-admin", "boss@EXAMPLE.com")
    assert result.returncode == 0, result.stderr
    assert io_loop.run_sync(lambda: store.users.get(user["_id"]))["is_staff"] is True

    result = cli("create-admin", "nobody@example.com")
    assert result.returncode == 1
    assert "nobody@example.com" in result.stderr
