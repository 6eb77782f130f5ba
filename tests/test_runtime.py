"""Process wiring: the matcher pool survives a dead worker."""

import concurrent.futures
import os

from unimatch.runtime import matcher_pool


def test_a_dead_matcher_worker_is_replaced():
    with matcher_pool() as pool:
        first = pool.submit(os.getpid).result(timeout=60)
        doomed = pool.submit(os.abort)  # the worker dies as if killed for memory
        try:
            doomed.result(timeout=60)
            raise AssertionError("the worker survived os.abort()")
        except concurrent.futures.process.BrokenProcessPool:
            pass
        second = pool.submit(os.getpid).result(timeout=60)
    assert first != second != os.getpid()
