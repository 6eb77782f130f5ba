"""A database server as a child process on a free loopback port: the
service's embedded nx-27017, and FerretDB for the tests and benchmarks."""

import asyncio
import logging
import os
import signal
import socket
import subprocess
from collections.abc import Callable
from typing import IO

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

logger = logging.getLogger(__name__)


class ChildServer:
    """Starts, health-checks and stops one server process.

    Subclasses say how to launch it (:meth:`_command`) and where it logs.
    The child gets its own process group, so a Ctrl-C in the terminal
    reaches the parent only, which then stops the child in order."""

    name = "database"

    def __init__(self, data_dir: str, start_timeout: float = 20.0):
        self.data_dir = os.path.abspath(data_dir)
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.process: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    @property
    def log_path(self) -> str:
        return os.path.join(self.data_dir, f"{self.name}.log")

    def _command(self, port: int) -> list[str]:
        raise NotImplementedError

    def _env(self) -> dict[str, str] | None:
        """The child's environment; None: this process's."""
        return None

    def _before_exec(self) -> Callable[[], None] | None:
        """Run in the child between fork and exec; None: nothing."""
        return None

    def _started(self) -> None:
        """Called once the child answers."""

    def _stopped(self) -> None:
        """Called once the child has exited."""

    async def start(self) -> str:
        """Launch the child and wait until it answers ``ping``; returns its URL."""
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = _free_port()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self._command(self.port), stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE, env=self._env(), preexec_fn=self._before_exec(),
            start_new_session=True)
        logger.info("%s starting (pid %d, port %d, data %s)", self.name, self.process.pid,
                    self.port, self.data_dir)
        try:
            await self._wait_ready(self.process, self.port)
        except BaseException:
            self.stop()
            raise
        self._started()
        return self.url

    async def _wait_ready(self, process: subprocess.Popen, port: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.start_timeout
        # Wait for the port first: a driver pointed at a closed port keeps
        # retrying in the background, which is noisy and slow to cancel.
        while not await _port_open(port) or not await answers_ping(self.url):
            if process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with code {process.returncode}; "
                                   f"see {self.log_path}")
            if loop.time() > deadline:
                raise RuntimeError(f"{self.name} did not answer ping in time; see {self.log_path}")
            await asyncio.sleep(0.1)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the child and wait for it (kill after ``timeout``)."""
        process, self.process = self.process, None
        if process is None:
            return
        stop_process(process, self.name, timeout)
        if self._log is not None:
            self._log.close()
        self._stopped()
        logger.info("%s stopped (pid %d)", self.name, process.pid)


def stop_process(process: subprocess.Popen, name: str, timeout: float = 10.0) -> None:
    """SIGTERM to a database child, then close the pipe it watches for our
    death, and wait: killed when it has not stopped after ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    if process.stdin is not None:
        process.stdin.close()
    if process.poll() is None:
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            logger.warning("%s ignored SIGTERM; killing it", name)
            process.kill()
            process.wait()


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
