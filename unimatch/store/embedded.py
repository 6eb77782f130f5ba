"""The embedded default database: an ``nx-27017`` child process (MongoDB's
wire protocol over SQLite) on a Unix socket in the private data directory,
restarted whenever it dies."""

import asyncio
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from typing import BinaryIO
from urllib.parse import quote

from unimatch.datadir import prepare_data_dir, private_file
from unimatch.store._child import answers_ping, stop_process

logger = logging.getLogger(__name__)

URL_FILE = "nx-27017.url"
LOG_FILE = "nx-27017.log"
SOCKET_FILE = "nx-27017.sock"
DB_DIR = "db"
#: What the data directory holds of the database's (made private at every
#: start: an older version left them readable by all).
OWNED = (DB_DIR, LOG_FILE, URL_FILE)
_MAX_SOCKET_PATH = 107  # bytes in sockaddr_un.sun_path, less the final NUL

# Restarts: the first half a second after the child died, doubling while
# it keeps failing (a start that fails, or a crash soon after one) up to
# half a minute; a child that stayed up a minute starts the count afresh.
RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 30.0
STABLE_AFTER = 60.0
_POLL = 0.2

# nx-27017's command line serves TCP only, with no authentication, so any
# local user could connect. Its connection handler works on any stream, so
# the child serves it on a Unix socket instead, in a directory only our user
# can enter; it creates every file 0600 (umask). It watches its stdin, a pipe
# from the parent: when the parent dies in any way (even SIGKILL) the pipe
# closes and the child stops itself, so no orphan keeps the files locked.
_LAUNCH = """
import asyncio, logging, os, signal, sys, threading
os.umask(0o077)
db_dir, socket_path = sys.argv[1:3]

def _watch_parent():
    sys.stdin.buffer.read()
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=_watch_parent, daemon=True).start()
logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s")
from neosqlite.options import JournalMode
from nx_27017.handler import NeoSQLiteHandler
from nx_27017.server import handle_client

async def serve():
    handler = NeoSQLiteHandler(data_dir=db_dir, journal_mode=JournalMode.validate("WAL"))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    server = await asyncio.start_unix_server(
        lambda reader, writer: handle_client(reader, writer, handler), path=socket_path)
    logging.getLogger("nx_27017").info("serving %s on %s", db_dir, socket_path)
    async with server:
        await stop.wait()
    handler.close_all()

asyncio.run(serve())
"""


class EmbeddedMongo:
    """Starts, health-checks, restarts and stops one nx-27017 server.

    Its SQLite files live in ``data_dir/db`` (one file per database), so
    data survives restarts of the service and of the child. The socket
    path never changes while the service runs, so the driver reconnects to
    a restarted child by itself."""

    def __init__(self, data_dir: str, start_timeout: float = 20.0):
        self.data_dir = os.path.abspath(data_dir)
        self.start_timeout = start_timeout
        self.socket_path = os.path.join(self.data_dir, SOCKET_FILE)
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._log: BinaryIO | None = None
        self._socket_dir: str | None = None  # a private temp dir, when the data dir's path is too long
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://{quote(self.socket_path, safe='')}/"

    async def start(self) -> str:
        """Make the data directory private, launch the child and wait until
        it answers ``ping``; returns its URL. Raises ``RuntimeError`` (a
        :class:`DataDirUnusable` for a directory it cannot use)."""
        prepare_data_dir(self.data_dir, OWNED)
        os.makedirs(os.path.join(self.data_dir, DB_DIR), mode=0o700, exist_ok=True)
        if len(os.fsencode(self.socket_path)) > _MAX_SOCKET_PATH:
            self._socket_dir = tempfile.mkdtemp(prefix="unimatch-db-")  # 0700
            self.socket_path = os.path.join(self._socket_dir, SOCKET_FILE)
        await self._launch()
        return self.url

    def supervise(self) -> None:
        """From now until :meth:`stop`, restart the child whenever it exits.
        Meanwhile the store answers StoreUnavailable (503 with Retry-After)."""
        if self._supervisor is None:
            self._supervisor = asyncio.get_running_loop().create_task(self._supervise())

    async def _launch(self) -> None:
        try:
            os.remove(self.socket_path)  # left by a child that was killed
        except FileNotFoundError:
            pass
        log_path = os.path.join(self.data_dir, LOG_FILE)
        self._log = os.fdopen(private_file(log_path), "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, os.path.join(self.data_dir, DB_DIR), self.socket_path],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.PIPE,
            # Its own process group: a Ctrl-C in the terminal reaches the
            # service, which then stops the child in order.
            start_new_session=True,
        )
        logger.info("embedded nx-27017 starting (pid %d, socket %s)", self.process.pid,
                    self.socket_path)
        try:
            await self._wait_ready(self.process)
        except BaseException:
            self._terminate()
            raise
        # Operator commands run beside the server find and share this child
        # instead of opening the same SQLite files with a second one.
        fd = private_file(self._url_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(f"{self.process.pid} {self.url}\n")

    @property
    def _url_file(self) -> str:
        return os.path.join(self.data_dir, URL_FILE)

    async def _wait_ready(self, process: subprocess.Popen) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout
        # Wait for the socket first: a driver pointed at a missing one keeps
        # retrying in the background, which is noisy and slow to cancel.
        while not os.path.exists(self.socket_path) or not await answers_ping(self.url):
            if process.poll() is not None:
                raise RuntimeError(f"nx-27017 exited with code {process.returncode}; "
                                   f"see {self.data_dir}/{LOG_FILE}")
            if loop.time() > deadline:
                raise RuntimeError("nx-27017 did not answer ping in time")
            await asyncio.sleep(0.1)

    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            started = loop.time()
            while self.process is not None and self.process.poll() is None:
                await asyncio.sleep(_POLL)
            code = None if self.process is None else self.process.returncode
            self._terminate()  # reaped already: this closes its log
            failures = 1 if loop.time() - started > STABLE_AFTER else failures + 1
            down = loop.time()
            logger.error("embedded nx-27017 exited with code %s", code)
            while True:
                delay = min(RESTART_DELAY * 2 ** (failures - 1), MAX_RESTART_DELAY)
                logger.warning("restarting embedded nx-27017 in %.1f s", delay)
                await asyncio.sleep(delay)
                try:
                    await self._launch()
                    break
                except (OSError, RuntimeError) as exc:
                    failures += 1
                    logger.error("embedded nx-27017 did not restart: %s", exc)
            self.restarts += 1
            logger.warning("embedded nx-27017 restarted (pid %d, restart %d) after %.1f s down",
                           self.process.pid if self.process else -1, self.restarts,
                           loop.time() - down)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop supervising, terminate the child and wait for it (kill after
        ``timeout``)."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            self._supervisor = None
        self._terminate(timeout)
        for path in (self._url_file, self.socket_path):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    def _terminate(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is not None:
            running = process.poll() is None
            stop_process(process, "nx-27017", timeout)
            if running:
                logger.info("embedded nx-27017 stopped (pid %d)", process.pid)
        if self._log is not None:
            self._log.close()
            self._log = None


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

