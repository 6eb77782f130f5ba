"""The process the matcher runs in, beside the server's event loop."""

import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

logger = logging.getLogger(__name__)


class MatcherPool(concurrent.futures.Executor):
    """One worker process for the matcher: a big round runs there while the
    event loop keeps serving (a thread would still hold the GIL). Spawned,
    not forked, so the child inherits no sockets or event loop. A worker
    that died (out of memory, killed) is replaced on the next round instead
    of breaking every round until a restart. A worker whose server died,
    even by SIGKILL, exits too (and with it multiprocessing's resource
    tracker, which lives as long as any process holding its pipe)."""

    def __init__(self) -> None:
        self._pool = self._new_pool()

    @staticmethod
    def _new_pool() -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"),
            initializer=_exit_with_parent)

    def submit(self, fn: Callable[..., Any], /, *args: Any,
               **kwargs: Any) -> concurrent.futures.Future:
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except concurrent.futures.process.BrokenProcessPool:
            logger.warning("the matcher process died; starting a new one")
            self._pool.shutdown(wait=False)
            self._pool = self._new_pool()
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _exit_with_parent() -> None:
    """In the worker: exit as soon as the server is gone. The worker waits
    on a queue whose pipe it holds both ends of, so it would never notice by
    itself; the spawn sentinel (a pipe only the parent writes to) closes
    when the parent dies, however it died."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing
        return

    def watch() -> None:
        parent.join()
        os._exit(1)  # no cleanup owed: the work was the dead server's

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextlib.contextmanager
def matcher_pool() -> Iterator[MatcherPool]:
    """A :class:`MatcherPool` for the length of a block."""
    pool = MatcherPool()
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
