"""The embedded default database: an ``nx-27017`` child process (MongoDB's
wire protocol over SQLite) on a free loopback port."""

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

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


class EmbeddedMongo:
    """Starts, health-checks and stops one nx-27017 server.

    Its SQLite files live in ``data_dir/db`` (one file per database), so data
    survives restarts of the service."""

    def __init__(self, data_dir: str, start_timeout: float = 20.0):
        self.data_dir = os.path.abspath(data_dir)
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    async def start(self) -> str:
        """Launch the child and wait until it answers ``ping``; returns its URL."""
        db_dir = os.path.join(self.data_dir, "db")
        os.makedirs(db_dir, exist_ok=True)
        self.port = _free_port()
        log_path = os.path.join(self.data_dir, "nx-27017.log")
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, "--data-dir", db_dir, "--host", "127.0.0.1",
             "--port", str(self.port), "--log-file", log_path,
             "--pid-file", os.path.join(self.data_dir, "nx-27017.pid")],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
            # Its own process group: a Ctrl-C in the terminal reaches the
            # service, which then stops the child in order.
            start_new_session=True,
        )
        logger.info("embedded nx-27017 starting (pid %d, port %d, data %s)",
                    self.process.pid, self.port, db_dir)
        try:
            await self._wait_ready(self.process, self.port)
        except BaseException:
            self.stop()
            raise
        # Operator commands run beside the server find and share this child
        # instead of opening the same SQLite files with a second one.
        with open(self._url_file, "w", encoding="ascii") as out:
            out.write(f"{self.process.pid} {self.url}\n")
        return self.url

    @property
    def _url_file(self) -> str:
        return os.path.join(self.data_dir, URL_FILE)

    async def _wait_ready(self, process: subprocess.Popen, port: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout
        # Wait for the port first: a driver pointed at a closed port keeps
        # retrying in the background, which is noisy and slow to cancel.
        while not await _port_open(port) or not await answers_ping(self.url):
            if process.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with code {process.returncode}; "
                                   f"see {self.data_dir}/nx-27017.log")
            if loop.time() > deadline:
                raise RuntimeError("nx-27017 did not answer ping in time")
            await asyncio.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the child and wait for it (kill after ``timeout``)."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        if process.stdin is not None:
            process.stdin.close()
        if process.poll() is None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning("nx-27017 ignored SIGTERM; killing it")
                process.kill()
                process.wait()
        self._log.close()
        try:
            os.remove(self._url_file)
        except FileNotFoundError:
            pass
        logger.info("embedded nx-27017 stopped (pid %d)", process.pid)


def holds_database(data_dir: str, name: str) -> bool:
    """Whether ``data_dir`` has an embedded database ``name`` (nx-27017
    keeps one SQLite file per database)."""
    return os.path.exists(os.path.join(data_dir, "db", f"{name}.db"))


async def running_url(data_dir: str) -> str | None:
    """The URL of an embedded server another process runs on ``data_dir``,
    if one is up and answering."""
    try:
        with open(os.path.join(data_dir, URL_FILE), encoding="ascii") as state:
            _, url = state.read().split()
    except (FileNotFoundError, ValueError):
        return None
    return url if await answers_ping(url) else None


async def answers_ping(url: str, timeout_ms: int = 500) -> bool:
    client: AsyncMongoClient = AsyncMongoClient(url, serverSelectionTimeoutMS=timeout_ms)
    try:
        await client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        await client.close()


async def _port_open(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
