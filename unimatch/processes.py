"""Several server processes on one port (``--processes N``).

The parent binds the port, opens the store (starting the embedded
nx-27017 child when there is no MONGO_URL, and supervising it), seeds
what the first start seeds, and then runs N workers: fresh interpreters
running ``server.py`` with the same options, each serving on a listening
socket of its own. The sockets are bound by the parent with SO_REUSEPORT,
so the kernel spreads new connections over the workers evenly (one shared
socket would let whichever worker wakes first take a whole burst), and
they stay open in the parent while a worker restarts: connections wait in
its socket's queue instead of being refused.

Workers are spawned rather than forked: the parent runs an event loop (the
embedded child's supervisor), which a fork would copy half-way. A worker
reads the store's URL from MONGO_URL and its sockets from
:data:`SOCKETS_ENV`; its standard input is a pipe from the parent, closed
when the parent dies however it died, and the worker then stops by itself.

SIGTERM (or SIGINT) to the parent stops every worker gracefully (each
finishes its requests in flight), then the embedded child. A worker that
exits while the parent runs is started again, after a pause that doubles
while it keeps failing."""

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence

from tornado.netutil import bind_sockets

from unimatch.config import Config

logger = logging.getLogger(__name__)

#: The listening sockets' descriptors a worker inherits, comma-separated.
SOCKETS_ENV = "UNIMATCH_WORKER_SOCKETS"
#: Where prometheus_client's multiprocess mode keeps each worker's figures:
#: a private directory the parent makes and removes.
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 30.0
STABLE_AFTER = 60.0
# A worker drains its requests for up to 10 s (server.SHUTDOWN_GRACE), then
# closes its sockets and store; past this it is killed.
STOP_TIMEOUT = 30.0


def process_count(config: Config) -> int:
    """How many server processes ``config`` asks for (0: one per core)."""
    if config.processes:
        return config.processes
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def inherited_sockets() -> list[socket.socket] | None:
    """In a worker: the listening sockets the parent handed over; None in
    a process started any other way."""
    # Taken out of the environment: this process's own children (the
    # matcher's) are not workers.
    fds = os.environ.pop(SOCKETS_ENV, None)
    if not fds:
        return None
    sockets = [socket.socket(fileno=int(fd)) for fd in fds.split(",")]
    for sock in sockets:
        sock.setblocking(False)
    return sockets


def stop_with_parent(stop: asyncio.Event) -> None:
    """In a worker: set ``stop`` when the parent's end of our standard
    input closes (the parent stopped, or was killed)."""
    loop = asyncio.get_running_loop()
    stdin = sys.stdin.fileno()

    def readable() -> None:
        if not os.read(stdin, 4096):
            loop.remove_reader(stdin)
            logger.warning("the parent process is gone: stopping")
            stop.set()
    loop.add_reader(stdin, readable)


class Workers:
    """N ``server.py`` workers on sockets bound here; :meth:`run` keeps them
    running until ``stop`` is set, then stops them all."""

    def __init__(self, config: Config, count: int, command: Sequence[str], env: dict[str, str],
                 on_exit: Callable[[int], None] = lambda pid: None):
        self.count = count
        self.command = list(command)
        self.env = env
        self.on_exit = on_exit  # told each exited worker's pid
        self.sockets = _bind(config, count)
        self.port = self.sockets[0][0].getsockname()[1]
        self._processes: dict[int, asyncio.subprocess.Process] = {}

    async def run(self, stop: asyncio.Event) -> None:
        keepers = [asyncio.ensure_future(self._keep(index, stop)) for index in range(self.count)]
        try:
            await stop.wait()
        finally:
            await self._stop_all()
            for keeper in keepers:
                keeper.cancel()
            await asyncio.gather(*keepers, return_exceptions=True)
            for group in self.sockets:
                for sock in group:
                    sock.close()

    async def _keep(self, index: int, stop: asyncio.Event) -> None:
        """Run worker ``index``, starting it again whenever it exits."""
        loop = asyncio.get_running_loop()
        failures = 0
        while not stop.is_set():
            started = loop.time()
            try:
                process = await self._spawn(index)
            except OSError as exc:  # out of processes or memory: try again later
                outcome = f"could not start ({exc})"
            else:
                outcome = f"(pid {process.pid}) exited with code {await process.wait()}"
                self.on_exit(process.pid)
            if stop.is_set():
                return
            failures = 1 if loop.time() - started > STABLE_AFTER else failures + 1
            delay = min(RESTART_DELAY * 2 ** (failures - 1), MAX_RESTART_DELAY)
            logger.error("worker %d %s; starting it again in %.1f s", index, outcome, delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass

    async def _spawn(self, index: int) -> asyncio.subprocess.Process:
        fds = [sock.fileno() for sock in self.sockets[index]]
        env = {**self.env, SOCKETS_ENV: ",".join(map(str, fds))}
        process = await asyncio.create_subprocess_exec(
            *self.command, env=env, pass_fds=fds, stdin=subprocess.PIPE,
            # Its own process group: a Ctrl-C in the terminal reaches the
            # parent only, which then stops the workers in order.
            start_new_session=True)
        self._processes[index] = process
        logger.info("worker %d started (pid %d)", index, process.pid)
        return process

    async def _stop_all(self) -> None:
        running = [p for p in self._processes.values() if p.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                logger.warning("worker pid %d did not stop in time; killing it", process.pid)
                process.kill()
                await process.wait()
            logger.info("worker pid %d stopped (code %s)", process.pid, process.returncode)


def _bind(config: Config, count: int) -> list[list[socket.socket]]:
    """``count`` sets of listening sockets on one port (the first set picks
    it when ``config.port`` is 0)."""
    first = bind_sockets(config.port, config.address, reuse_port=True)
    port = first[0].getsockname()[1]
    return [first] + [bind_sockets(port, config.address, reuse_port=True)
                      for _ in range(count - 1)]

