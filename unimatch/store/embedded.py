"""The embedded default database: an ``nx-27017`` child process (MongoDB's
wire protocol over SQLite) on a free loopback port."""

import logging
import os
import sys

from unimatch.store._child import ChildServer, answers_ping

logger = logging.getLogger(__name__)

URL_FILE = "nx-27017.url"
# The child watches its stdin, a pipe from the parent: when the parent dies
# in any way (even SIGKILL) the pipe closes and the child stops itself, so
# no orphan keeps the data dir locked against the next start.
_LAUNCH = """
import os, signal, sys, threading
def _watch_parent():
    sys.stdin.buffer.read()
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=_watch_parent, daemon=True).start()
from nx_27017.nx_27017 import main
sys.argv[0] = "nx-27017"
sys.exit(main())
"""


class EmbeddedMongo(ChildServer):
    """One nx-27017 server for this data dir.

    Its SQLite files live in ``data_dir/db`` (one file per database), so data
    survives restarts of the service."""

    name = "nx-27017"

    def _command(self, port: int) -> list[str]:
        db_dir = os.path.join(self.data_dir, "db")
        os.makedirs(db_dir, exist_ok=True)
        return [sys.executable, "-c", _LAUNCH, "--data-dir", db_dir, "--host", "127.0.0.1",
                "--port", str(port), "--log-file", self.log_path,
                "--pid-file", os.path.join(self.data_dir, "nx-27017.pid")]

    @property
    def _url_file(self) -> str:
        return os.path.join(self.data_dir, URL_FILE)

    def _started(self) -> None:
        # Operator commands run beside the server find and share this child
        # instead of opening the same SQLite files with a second one.
        assert self.process is not None
        with open(self._url_file, "w", encoding="ascii") as out:
            out.write(f"{self.process.pid} {self.url}\n")

    def _stopped(self) -> None:
        try:
            os.remove(self._url_file)
        except FileNotFoundError:
            pass


async def running_url(data_dir: str) -> str | None:
    """The URL of an embedded server another process runs on ``data_dir``,
    if one is up and answering."""
    try:
        with open(os.path.join(data_dir, URL_FILE), encoding="ascii") as state:
            _, url = state.read().split()
    except (FileNotFoundError, ValueError):
        return None
    return url if await answers_ping(url) else None
