"""The real processes: ``server.py`` with its embedded database, started,
restarted and stopped with SIGTERM; the ``unimatch`` operator commands."""

import asyncio
import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pytest
from filesystems import tmpfs
from harness import SERVER, STOP_TIMEOUT, alive, clean_env, free_port, running

from unimatch.config import build_parser
from unimatch.store.embedded import EmbeddedMongo, answers_ping
from unimatch.store.hobbies import DEFAULT_HOBBIES

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


@pytest.mark.parametrize("problem, store", [("a file", "embedded"), ("read-only", "embedded"),
                                            ("read-only", "MONGO_URL")])
def test_an_unusable_data_dir_is_one_clear_line_and_exit_code_1(tmp_path, problem, store,
                                                                 mongo_url, db_name):
    # With MONGO_URL the data dir holds the generated JWT secret.
    env = clean_env({"MONGO_URL": f"{mongo_url.rstrip('/')}/{db_name}"} if store == "MONGO_URL" else {})
    with contextlib.ExitStack() as stack:
        if problem == "a file":
            data_dir = tmp_path / "data"
            data_dir.write_text("not a directory")
        else:
            data_dir = stack.enter_context(tmpfs(tmp_path / "data", read_only=True))
        result = subprocess.run([sys.executable, str(SERVER), "--data-dir", str(data_dir),
                                 "--port", str(free_port())], capture_output=True, text=True,
                                env=env, timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, result.stderr
    reason = "not a directory" if problem == "a file" else "Read-only file system"
    assert f"data directory {data_dir} is not usable: {reason}" in errors[0]


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


def test_a_killed_server_takes_its_matcher_worker_and_resource_tracker_along(start_server):
    server = start_server()
    boss = server.register("boss@example.com", "correct-horse-7")
    server.register("ann@example.com", "correct-horse-7")
    assert server.cli("create-admin", "boss@example.com").returncode == 0
    status, summary = server.request("POST", "/admin-api/create-pairs/", token=boss["access"])
    assert status == 201, summary  # the matcher ran in its worker process
    children = _children(server.process.pid)
    kinds = {kind for kind in ("multiprocessing.spawn", "multiprocessing.resource_tracker")
             for command in children.values() if kind in command}
    assert len(kinds) == 2, children
    try:
        server.process.kill()  # SIGKILL: no chance to stop them itself
        server.process.wait()
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {pid: command for pid, command in children.items() if running(pid)}
        assert not left, f"outlived the killed server: {left}"
    finally:
        for pid in children:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def _children(pid):
    """The processes whose parent is ``pid``: their command lines by pid."""
    found = {}
    for entry in pathlib.Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found[int(entry.name)] = command
    return found


def test_a_dead_database_child_is_restarted_and_meanwhile_requests_get_503(start_embedded):
    server = start_embedded()
    tokens = server.register("ann@example.com", "correct-horse-7")
    data = server.data_dir
    first_child = server.child_pid
    # Its restarts fail until the test puts the database directory back.
    (data / "db").rename(data / "db-aside")
    (data / "db").write_text("not a directory")
    os.kill(first_child, signal.SIGKILL)
    needs_store = ("/auth/users/me/", tokens["access"])
    status, body = _wait_for_status(server, *needs_store, 503)
    assert body == {"detail": "Service temporarily unavailable, try again later."}
    assert int(server.last_headers["Retry-After"]) > 0
    _wait_for_log(server, "embedded nx-27017 did not restart", times=2)  # it keeps trying
    assert _wait_for_status(server, *needs_store, 503)[0] == 503
    # The hobbies come from the server's own copy meanwhile.
    status, hobbies = server.request("GET", "/users/api/hobby/all/")
    assert (status, len(hobbies)) == (200, len(DEFAULT_HOBBIES))

    (data / "db").unlink()
    (data / "db-aside").rename(data / "db")
    status, me = _wait_for_status(server, *needs_store, 200)
    assert (status, me["email"]) == (200, "ann@example.com"), "the data survived"
    # The client may reconnect a moment before the supervisor records the
    # new child (it polls the socket): wait for that record.
    deadline = time.monotonic() + STOP_TIMEOUT
    while (child := server.embedded_child()[0]) == first_child and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child != first_child and alive(child)
    _wait_for_log(server, "embedded nx-27017 restarted")
    assert server.terminate() == 0
    assert not alive(child)


@pytest.fixture
def shared_parent():
    """A directory every local user may enter (pytest's own are private):
    what keeps them out of a data directory inside it is its own mode."""
    parent = pathlib.Path(tempfile.mkdtemp(prefix="unimatch-shared-"))
    parent.chmod(0o755)
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


# Run as another user: which of the paths it may open (files) or connect
# to (the socket).
_OTHER_USER_PROBE = """
import socket, sys
for path in sys.argv[1:]:
    try:
        if path.endswith(".sock"):
            socket.socket(socket.AF_UNIX).connect(path)
        else:
            open(path, "rb").close()
        print("open", path)
    except PermissionError:
        print("denied", path)
"""


def test_the_embedded_database_is_private_to_the_service(start_embedded, shared_parent):
    data = shared_parent / "data"
    data.mkdir(mode=0o755)
    (data / "nx-27017.log").write_text("written by an older version\n")  # 0644
    server = start_embedded(data_dir=data)
    server.register("ann@example.com", "correct-horse-7")
    child, url = server.embedded_child()
    socket_path = urllib.parse.unquote(url.removeprefix("mongodb://").rstrip("/"))
    assert pathlib.Path(socket_path).parent == data

    modes = {path: stat.S_IMODE(path.lstat().st_mode) for path in [data, *data.rglob("*")]}
    assert {p.name for p in modes} >= {"db", "unimatch.db", "unimatch.db-wal", "jwt-secret",
                                       "nx-27017.log", "nx-27017.url", "nx-27017.sock"}
    for path, mode in modes.items():
        if path.is_dir():
            assert mode == 0o700, f"{path}: {mode:04o}"
        elif path.is_socket():
            assert mode & 0o077 == 0, f"{path}: {mode:04o}"
        else:
            assert mode == 0o600, f"{path}: {mode:04o}"
    assert _tcp_listeners(child) == [], "the database listens on TCP, open to every local user"
    if os.geteuid() == 0 and os.path.exists("/usr/bin/python3"):
        probe = subprocess.run(
            ["/usr/bin/python3", "-c", _OTHER_USER_PROBE, socket_path,
             str(data / "db" / "unimatch.db"), str(data / "db" / "unimatch.db-wal"),
             str(data / "jwt-secret")],
            user=65534, group=65534, extra_groups=[], capture_output=True, text=True,
            timeout=30, check=True, cwd="/")
        assert probe.stdout.split()[::2] == ["denied"] * 4, probe.stdout


def test_a_data_dir_too_long_for_a_socket_path_gets_a_private_socket_dir(tmp_path):
    data = tmp_path / ("d" * 60) / ("e" * 60)

    async def start_and_stop():
        embedded = EmbeddedMongo(str(data))
        url = await embedded.start()
        socket_dir = pathlib.Path(embedded.socket_path).parent
        try:
            assert await answers_ping(url)
            assert socket_dir != data and stat.S_IMODE(socket_dir.stat().st_mode) == 0o700
        finally:
            embedded.stop()
        assert not socket_dir.exists()

    loop = asyncio.new_event_loop()  # of its own: pytest-tornado keeps the current one
    try:
        loop.run_until_complete(start_and_stop())
    finally:
        loop.close()


def _tcp_listeners(pid):
    """The TCP ports process ``pid`` listens on."""
    inodes = set()
    for fd in pathlib.Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = pathlib.Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                ports.append(int(fields[1].rpartition(":")[2], 16))
    return ports


def _wait_for_status(server, path, token, status, timeout=90.0):
    """Ask ``path`` (with ``token``, if any) until it answers ``status``; that answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = server.request("GET", path, token=token)
        if answer[0] == status:
            return answer
        assert time.monotonic() < deadline, f"{path} never answered {status}: {answer}"
        time.sleep(0.2)


def _wait_for_log(server, text, times=1, timeout=90.0):
    deadline = time.monotonic() + timeout
    while server.log.count(text) < times:
        assert time.monotonic() < deadline, f"{text!r} not logged {times} times:\n{server.log}"
        time.sleep(0.2)


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


def _unimatch(*args, cwd, env=None):
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, timeout=60,
                          check=False, cwd=cwd, env=clean_env(env))


def test_commands_refuse_to_create_an_empty_database_unless_told(tmp_path):
    nowhere = tmp_path / "no-such-data"
    result = _unimatch("hobbies", "list", "--data-dir", str(nowhere), cwd=tmp_path)
    assert result.returncode == 1
    assert f"no UniMatch database in {nowhere}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not nowhere.exists(), "nothing may be created"

    result = _unimatch("hobbies", "add", "Шахматы", "--data-dir", str(nowhere), "--create",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"store: embedded nx-27017 in {nowhere}" in result.stderr
    assert "added hobby 17: Шахматы" in result.stdout


def test_commands_find_the_servers_data_from_any_directory(start_embedded, tmp_path):
    """Without --data-dir the server and the commands both use the user's
    data directory, wherever they are started from."""
    home = tmp_path / "home"
    data_dir = home / ".local" / "share" / "unimatch"
    data_dir.mkdir(parents=True)
    server = start_embedded(data_dir=data_dir)
    server.request("POST", "/users/api/register/", {"email": "boss@example.com",
                                                    "password": "correct-horse-7"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _unimatch("create-admin", "boss@example.com", cwd=elsewhere, env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert f"store: the running server's embedded nx-27017 in {data_dir}" in result.stderr
    assert "is now staff" in result.stdout
    assert list(elsewhere.iterdir()) == []


def test_help_is_plain_and_each_command_offers_only_its_options(tmp_path):
    top = _unimatch("--help", cwd=tmp_path)
    assert top.returncode == 0 and "``" not in top.stdout
    for command, wanted, unwanted in (
            (["hobbies", "add"], {"--data-dir", "--mongo-url", "--create"},
             {"--port", "--cors-origins", "--jwt-secret", "--timezone", "--bcrypt-rounds"}),
            (["match-now"], {"--data-dir", "--mongo-url", "--create", "--timezone"},
             {"--port", "--cors-origins", "--jwt-secret", "--tick-interval"}),
            (["create-admin"], {"--data-dir", "--mongo-url"}, {"--port", "--match-time"})):
        shown = _unimatch(*command, "--help", cwd=tmp_path).stdout
        assert all(option in shown for option in wanted), (command, shown)
        assert not any(option in shown for option in unwanted), (command, shown)
