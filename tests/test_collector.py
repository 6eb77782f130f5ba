"""The garbage collection policy (``unimatch/ws/collector.py``) in this
process's own collector: what it freezes, when cyclic garbage is freed,
and that it hands the collector back as it found it. Sockets are plain
objects: the hub counts them, the policy reads the counts."""

import gc
import sys
import weakref

import pytest

from unimatch.ws.collector import NEVER, RECLAIM_GROWTH, RECLAIM_MIN_CLOSED, Collector
from unimatch.ws.hub import Hub


class Node:
    """A container that can hold itself: garbage only a collection frees."""

    def __init__(self) -> None:
        self.me = self


def cyclic_garbage_later() -> tuple[Node, "weakref.ref[Node]"]:
    node = Node()
    return node, weakref.ref(node)


@pytest.fixture
def hub_and_collector():
    hub = Hub()
    collector = Collector(hub)
    thresholds = gc.get_threshold()
    collector.start()
    try:
        yield hub, collector
    finally:
        collector.stop()
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == 0


def open_sockets(hub: Hub, count: int) -> list[object]:
    sockets = [object() for _ in range(count)]
    for socket in sockets:
        assert hub.add(socket)
    return sockets


def test_start_freezes_what_startup_built_and_stops_automatic_full_passes(hub_and_collector):
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == NEVER
    assert gc.get_threshold()[:2] == (700, 10), "young generations as CPython has them"


def test_young_cyclic_garbage_goes_at_the_next_check(hub_and_collector):
    hub, collector = hub_and_collector
    node, alive = cyclic_garbage_later()
    del node
    collector.check()
    assert alive() is None


def test_survivors_are_frozen_and_frozen_garbage_waits_for_as_many_closes_as_opens(
        hub_and_collector):
    hub, collector = hub_and_collector
    node, alive = cyclic_garbage_later()
    sockets = open_sockets(hub, RECLAIM_MIN_CLOSED)
    frozen = gc.get_freeze_count()
    collector.check()
    assert gc.get_freeze_count() >= frozen + len(sockets), "the survivors are frozen"
    del node
    collector.check()
    assert alive() is not None, "frozen: no pass walks it yet"

    for socket in sockets[:RECLAIM_MIN_CLOSED // 2]:
        hub.remove(socket)
    collector.check()
    assert alive() is not None, "fewer closed than open: still waiting"
    for socket in sockets[RECLAIM_MIN_CLOSED // 2:]:
        hub.remove(socket)
    collector.check()
    assert alive() is None, "as many closed as were open: everything was walked"


def test_memory_grown_beyond_what_the_sockets_explain_is_reclaimed(hub_and_collector):
    hub, collector = hub_and_collector
    node, alive = cyclic_garbage_later()
    open_sockets(hub, 1)
    collector.check()  # node survives it: frozen
    del node
    collector.check()
    assert alive() is not None
    kept = [[] for _ in range(RECLAIM_GROWTH * sys.getallocatedblocks())]
    collector.check()
    assert alive() is None
    assert len(kept) > 0


def test_nothing_is_collected_while_the_collector_is_paused(hub_and_collector):
    hub, collector = hub_and_collector
    node, alive = cyclic_garbage_later()
    del node
    gc.disable()  # as alerts.py does while it announces a round
    try:
        collector.check()
        assert alive() is not None
    finally:
        gc.enable()
    collector.check()
    assert alive() is None
