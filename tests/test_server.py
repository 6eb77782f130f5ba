"""The real processes: ``server.py`` with its embedded database, started,
restarted and stopped with SIGTERM; the ``unimatch`` operator commands."""

import json
import pathlib
import signal
import socket
import stat
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from harness import SERVER, STOP_TIMEOUT, alive, clean_env, free_port

from unimatch.config import build_parser

CLI = pathlib.Path(sys.executable).parent / "unimatch"


def test_help_mentions_every_option():
    result = subprocess.run([sys.executable, str(SERVER), "--help"], capture_output=True,
                            text=True, env=clean_env(), timeout=30, check=False)
    assert result.returncode == 0
    options = [o for action in build_parser()._actions for o in action.option_strings]
    assert len(options) >= 17
    for option in options:
        assert option in result.stdout, option


def test_bad_option_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, str(SERVER), "--timezone", "Mars/Olympus",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True,
                            env=clean_env(), timeout=30, check=False)
    assert result.returncode == 2
    assert "Mars/Olympus" in result.stderr


def test_an_unreachable_mongo_url_fails_with_one_clear_line(tmp_path):
    port = free_port()  # nothing listens there
    url = f"mongodb://ann:s3cret-pass@127.0.0.1:{port}/unimatch"
    result = subprocess.run([sys.executable, str(SERVER), "--mongo-url", url,
                             "--data-dir", str(tmp_path)], capture_output=True, text=True,
                            env=clean_env(), timeout=60, check=False)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert "ERROR unimatch.server: cannot start: cannot use the database: " in last
    assert f"127.0.0.1:{port}" in last
    assert "Traceback" not in result.stderr
    assert "s3cret-pass" not in result.stderr + result.stdout


def test_sigterm_finishes_the_request_in_flight_and_stops_the_child(start_embedded, tmp_path):
    server = start_embedded("--bcrypt-rounds", "12")
    child = server.child_pid
    assert alive(child)
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
    assert not alive(child), "the embedded nx-27017 outlived the server"
    assert not (server.data_dir / "nx-27017.url").exists()


def test_a_killed_server_leaves_no_embedded_orphan_and_restarts(start_embedded, tmp_path):
    first = start_embedded()
    child = first.child_pid
    first.process.kill()  # SIGKILL: no chance to stop its child itself
    first.process.wait()
    deadline = time.monotonic() + STOP_TIMEOUT
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child), "the embedded nx-27017 outlived a killed server"
    second = start_embedded()  # the same data dir starts again
    assert second.request("GET", "/users/api/hobby/all/")[0] == 200
    assert second.terminate() == 0


def test_jwt_secret_is_private_and_survives_a_restart(start_embedded, tmp_path):
    first = start_embedded()
    secret_file = first.data_dir / "jwt-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = secret_file.read_text()
    status, tokens = first.request("POST", "/users/api/register/",
                                {"email": "ann@example.com", "password": "correct-horse-7",
                                 "hobby": [1, 10]})
    assert status == 201
    assert first.terminate() == 0

    second = start_embedded()
    assert secret_file.read_text() == secret
    status, me = second.request("GET", "/auth/users/me/", token=tokens["access"])
    assert (status, me) == (200, tokens["user"])
    status, _ = second.request("POST", "/api/token/refresh/", {"refresh": tokens["refresh"]})
    assert status == 200
    # The defaults were seeded once, not again on the restart.
    status, hobbies = second.request("GET", "/users/api/hobby/all/")
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
def cli(mongo_url, shared_db, tmp_path):
    """Run ``unimatch ...`` against the test's database."""
    parts = urlsplit(mongo_url)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + shared_db, parts.query, ""))

    def run(*args):
        return subprocess.run([str(CLI), *args, "--mongo-url", url, "--data-dir", str(tmp_path)],
                              capture_output=True, text=True, env=clean_env(), timeout=60,
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
