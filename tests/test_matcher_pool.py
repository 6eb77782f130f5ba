"""The matcher's process pool survives a dead worker."""

import concurrent.futures
import os

import pytest

from unimatch.matching.pool import matcher_pool


def test_a_dead_matcher_worker_is_replaced():
    with matcher_pool() as pool:
        first = pool.submit(os.getpid).result(timeout=60)
        doomed = pool.submit(os.abort)  # the worker dies as if killed for memory
        with pytest.raises(concurrent.futures.process.BrokenProcessPool):
            doomed.result(timeout=60)
        second = pool.submit(os.getpid).result(timeout=60)
    assert os.getpid() not in (first, second), "the matcher ran in the server's own process"
    assert first != second, "the dead worker was not replaced"
