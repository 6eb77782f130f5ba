"""The real server as an operator runs it: ``server.py`` in a subprocess on
a free port, a small JSON client for it, and the ``unimatch`` command."""

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
SERVER = REPO / "server.py"
JWT_SECRET = "harness-tests-secret-" + "s" * 32
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# Settings a developer's shell may hold that would change what is tested.
_ENV_SETTINGS = ("MONGO_URL", "JWT_SECRET", "CORS_ORIGINS", "LOG_LEVEL", "TELEGRAM_BOT_TOKEN",
                 "TELEGRAM_API_URL", "TELEGRAM_BOT_USERNAME", "SMTP_URL", "MAIL_FROM",
                 "WEB_CLIENT_URL", "METRICS_TOKEN", "PROMETHEUS_MULTIPROC_DIR")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(extra: dict | None = None) -> dict:
    """The environment without the developer's service settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _ENV_SETTINGS}
    return {**env, **(extra or {})}


def unimatch_command() -> str:
    """The console script of the venv running the tests."""
    beside = pathlib.Path(sys.executable).with_name("unimatch")
    found = str(beside) if beside.exists() else shutil.which("unimatch")
    assert found, "the 'unimatch' console script is not installed (make install)"
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped (Linux's /proc)."""
    try:
        return pathlib.Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def children(pid: int) -> set[int]:
    """The processes ``pid`` started that still run (Linux's /proc)."""
    found: set[int] = set()
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


class ServerProcess:
    """``server.py`` on its own port, its output in ``log_path``.

    With ``mongo_url`` it uses that database; without, it starts its own
    embedded nx-27017 in ``data_dir`` (``child_pid`` then names that child).
    ``jwt_secret`` None lets the server generate its own into ``data_dir``.
    ``start()`` waits until it answers; ``terminate()`` is the graceful
    SIGTERM; ``start()`` again brings it back on the same port and data."""

    def __init__(self, data_dir: pathlib.Path, log_path: pathlib.Path, *,
                 mongo_url: str | None = None, args=(), env: dict | None = None,
                 jwt_secret: str | None = JWT_SECRET):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = pathlib.Path(data_dir)
        self.log_path = log_path
        self.mongo_url = mongo_url
        self.args = list(args)
        self.jwt_secret = jwt_secret
        self.env = clean_env(env)
        self.process: subprocess.Popen | None = None
        self.child_pid: int | None = None

    def command(self) -> list[str]:
        command = [sys.executable, str(SERVER), "--port", str(self.port),
                   "--data-dir", str(self.data_dir), "--bcrypt-rounds", "4"]
        if self.jwt_secret:
            command += ["--jwt-secret", self.jwt_secret]
        if self.mongo_url:
            command += ["--mongo-url", self.mongo_url]
        return command + self.args

    def start(self) -> "ServerProcess":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command(), cwd=self.data_dir, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            env=self.env)
        self._wait_ready()
        if not self.mongo_url:
            self.child_pid = self.embedded_child()[0]
        return self

    def embedded_child(self) -> tuple[int, str]:
        """The embedded nx-27017 the server runs now: its pid and URL."""
        pid, url = (self.data_dir / "nx-27017.url").read_text().split()
        assert url.startswith("mongodb://%2F") and url.endswith(".sock/"), url  # a Unix socket
        return int(pid), url

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process.poll() is None, f"server exited early:\n{self.log}"
            try:
                if self.request("GET", "/users/api/days-to-match/")[0] == 200:
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, f"server not ready in time:\n{self.log}"
            time.sleep(0.1)

    def terminate(self) -> int:
        """SIGTERM, then the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(STOP_TIMEOUT)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if that does not end it in time."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.terminate()
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        """Cleanup after a test: the server and its embedded child, by force."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.child_pid and alive(self.child_pid):
            os.kill(self.child_pid, signal.SIGKILL)

    @property
    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- the public API, for arranging data ------------------------------------

    def request(self, method: str, path: str, body=None, token=None):
        """``(status, decoded JSON)``; never raises on 4xx/5xx. The answer's
        headers are kept in ``last_headers``."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                self.last_headers = response.headers
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            self.last_headers = error.headers
            return error.code, json.loads(error.read() or b"null")

    def hobby_ids(self, *names: str) -> list[int]:
        status, hobbies = self.request("GET", "/users/api/hobby/all/")
        assert status == 200, hobbies
        by_name = {h["name"]: h["id"] for h in hobbies}
        return [by_name[name] for name in names]

    def register(self, email: str, password: str, **fields) -> dict:
        status, body = self.request("POST", "/users/api/register/",
                                    {"email": email, "password": password, **fields})
        assert status == 201, body
        return body

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """``unimatch ARGS`` against this server's store."""
        store = (["--mongo-url", self.mongo_url] if self.mongo_url else [])
        return subprocess.run([unimatch_command(), *args, *store, "--data-dir", str(self.data_dir)],
                              cwd=self.data_dir, capture_output=True, text=True, timeout=60,
                              env=self.env, check=False)

    def run_round(self) -> dict:
        """What an operator does: ``unimatch match-now`` against our database."""
        done = self.cli("match-now")
        assert done.returncode == 0, f"match-now failed:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout.strip().splitlines()[-1])
