"""FerretDB 1.x (MongoDB's wire protocol over SQLite, in Go) as a child
process: the second engine the tests and ``bench/round.py`` run on.

``make ferretdb`` builds the binary into ``.ferretdb/bin/ferretdb``; the
service itself embeds nx-27017 or uses ``MONGO_URL`` (a FerretDB started
by hand is just a ``MONGO_URL``, see the README)."""

import ctypes
import ctypes.util
import os
import pathlib
import signal
import subprocess
from collections.abc import Callable

from unimatch.store._child import ChildServer

BINARY = pathlib.Path(__file__).resolve().parents[2] / ".ferretdb" / "bin" / "ferretdb"
_PR_SET_PDEATHSIG = 1


class FerretDB(ChildServer):
    """One FerretDB with its SQLite backend, its files in ``data_dir``.

    It never leaves loopback: telemetry is off (``--telemetry=disable`` and
    ``DO_NOT_TRACK``), the debug HTTP listener it opens by default on a
    fixed port is off, and ``FERRETDB_*`` settings of this environment do
    not reach it. It stops when its parent dies, even by SIGKILL (Linux)."""

    name = "ferretdb"

    def __init__(self, data_dir: str, binary: str | os.PathLike = BINARY,
                 start_timeout: float = 20.0):
        super().__init__(data_dir, start_timeout)
        self.binary = os.fspath(binary)

    def _command(self, port: int) -> list[str]:
        if not os.access(self.binary, os.X_OK):
            raise FileNotFoundError(f"no FerretDB binary at {self.binary}: run make ferretdb")
        db_dir = os.path.join(self.data_dir, "db")
        os.makedirs(db_dir, exist_ok=True)
        return [self.binary, "--handler=sqlite", f"--sqlite-url=file:{db_dir}/",
                f"--listen-addr=127.0.0.1:{port}", f"--state-dir={self.data_dir}",
                "--telemetry=disable", "--debug-addr=-", "--log-level=error", "--log-format=text"]

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FERRETDB_")}
        return {**env, "DO_NOT_TRACK": "1"}

    def _before_exec(self) -> Callable[[], None] | None:
        return _die_with_parent()


def version(binary: str | os.PathLike = BINARY) -> str | None:
    """The version a FerretDB binary reports (``v1.24.2``), None without one."""
    try:
        done = subprocess.run([os.fspath(binary), "--version"], capture_output=True, text=True,
                              timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    for line in done.stdout.splitlines():
        if line.startswith("version:"):
            return line.partition(":")[2].strip()
    return None


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when its parent
    dies (the embedded nx-27017 watches a pipe instead; a Go binary cannot
    be told to). None where there is no ``prctl``."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name, use_errno=True) if name else None
    prctl = getattr(libc, "prctl", None)
    if prctl is None:
        return None

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    return hook
