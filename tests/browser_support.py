"""Helpers for the browser tests: the real server as a subprocess, a small
JSON client for arranging data over HTTP, the operator's ``unimatch``
command, and Debian's Chromium for Playwright (never a downloaded one)."""

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
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
JWT_SECRET = "browser-tests-secret-" + "s" * 32
READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def db_url(mongo_url: str, db_name: str) -> str:
    return f"{mongo_url.rstrip('/')}/{db_name}"


class Server:
    """``server.py`` in a subprocess on its own port and database, as an
    operator runs it. ``stop()`` sends SIGTERM (the graceful path);
    ``start()`` again brings it back on the same port and data."""

    def __init__(self, mongo_url: str, db_name: str, data_dir: pathlib.Path,
                 extra_args=(), env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mongo = db_url(mongo_url, db_name)
        self.data_dir = data_dir
        self.log_path = data_dir / "server.log"
        self.extra_args = list(extra_args)
        self.env = {**os.environ, **(env or {})}
        self.process = None

    def start(self) -> "Server":
        command = [sys.executable, "server.py", "--port", str(self.port),
                   "--data-dir", str(self.data_dir), "--mongo-url", self.mongo,
                   "--bcrypt-rounds", "4", "--jwt-secret", JWT_SECRET, *self.extra_args]
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                            env=self.env)
        finally:
            log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server.py exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/users/api/days-to-match/", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server.py did not answer within {READY_TIMEOUT} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- arranging data over the public API ---------------------------------

    def request(self, method: str, path: str, body=None, token=None):
        """``(status, decoded JSON)``; never raises on 4xx/5xx."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
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

    def run_round(self) -> dict:
        """What an operator does: ``unimatch match-now`` against our database."""
        command = [unimatch_command(), "match-now", "--mongo-url", self.mongo,
                   "--data-dir", str(self.data_dir), "--jwt-secret", JWT_SECRET]
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60,
                              env=self.env)
        assert done.returncode == 0, f"match-now failed:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout.strip().splitlines()[-1])


def unimatch_command() -> str:
    """The console script of the venv running the tests."""
    beside = pathlib.Path(sys.executable).with_name("unimatch")
    found = str(beside) if beside.exists() else shutil.which("unimatch")
    assert found, "the 'unimatch' console script is not installed (make install)"
    return found


def save_failure_artifacts(test_name: str, pages, servers) -> None:
    """Screenshots of every open page and the servers' logs, for a failed test."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in test_name)
    for index, page in enumerate(pages):
        if page.is_closed():
            continue
        try:
            page.screenshot(path=str(ARTIFACTS / f"{safe}-page{index}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the real failure
            print(f"could not screenshot page {index}: {exc}", file=sys.stderr)
    for index, server in enumerate(servers):
        (ARTIFACTS / f"{safe}-server{index}.log").write_text(server.log())
