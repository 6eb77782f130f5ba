"""The socket hub on its own: who is connected, who gets what, and the
eviction of clients that stop reading. The sockets here are stand-ins with
Tornado's write/close surface, so a write can be left pending for good,
which a real socket does only once megabytes are queued."""

import asyncio

import pytest
from tornado.websocket import WebSocketClosedError

from unimatch.ws.hub import MAX_SKIPPED_TICKS, Hub


class Socket:
    """Records frames; ``stalled`` leaves every write pending, ``gone``
    raises as a closed Tornado socket does."""

    def __init__(self, stalled=False, gone=False):
        self.frames: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.stalled = stalled
        self.gone = gone

    def write_message(self, frame):
        if self.gone:
            raise WebSocketClosedError()
        self.frames.append(frame)
        future = asyncio.get_running_loop().create_future()
        if not self.stalled:
            future.set_result(None)
        return future

    def close(self, code, reason):
        self.closed = (code, reason)


@pytest.mark.gen_test
async def test_broadcast_reaches_every_socket_and_alerts_only_their_user():
    hub = Hub()
    ann, ann_tab, bob, anonymous = Socket(), Socket(), Socket(), Socket()
    for socket in (ann, ann_tab, bob, anonymous):
        assert hub.add(socket)
    hub.identify(ann, 1)
    hub.identify(ann_tab, 1)
    hub.identify(bob, 2)
    assert len(hub) == 4 and hub.user_ids() == {1, 2}

    hub.broadcast("tick")
    assert all(s.frames == ["tick"] for s in (ann, ann_tab, bob, anonymous))
    assert hub.send_to_user(1, "alert") == 2
    assert hub.send_to_user(3, "alert") == 0
    assert ann.frames == ann_tab.frames == ["tick", "alert"]
    assert bob.frames == anonymous.frames == ["tick"]


@pytest.mark.gen_test
async def test_a_socket_that_stops_reading_skips_ticks_then_is_closed():
    hub = Hub()
    slow, fine = Socket(stalled=True), Socket()
    hub.add(slow)
    hub.add(fine)
    for _ in range(MAX_SKIPPED_TICKS + 1):
        hub.broadcast("tick")
        await asyncio.sleep(0)
    assert slow.frames == ["tick"], "a pending write is never queued behind"
    assert slow.closed is None and len(hub) == 2
    hub.broadcast("tick")
    assert slow.closed == (1008, "client too slow")
    assert len(hub) == 1
    assert len(fine.frames) == MAX_SKIPPED_TICKS + 2


@pytest.mark.gen_test
async def test_alerts_are_never_skipped_for_a_slow_socket():
    hub = Hub()
    slow = Socket(stalled=True)
    hub.add(slow)
    hub.identify(slow, 7)
    hub.broadcast("tick")
    assert hub.send_to_user(7, "alert-1") == 1
    assert hub.send_to_user(7, "alert-2") == 1
    assert slow.frames == ["tick", "alert-1", "alert-2"]


@pytest.mark.gen_test
async def test_a_closed_socket_is_forgotten_on_the_next_write():
    hub = Hub()
    gone = Socket(gone=True)
    hub.add(gone)
    hub.identify(gone, 5)
    hub.broadcast("tick")
    assert len(hub) == 0 and hub.user_ids() == set()


@pytest.mark.gen_test
async def test_identify_moves_a_socket_between_users_and_remove_forgets_it():
    hub = Hub()
    socket = Socket()
    hub.add(socket)
    hub.identify(socket, 1)
    hub.identify(socket, 2)
    assert hub.user_ids() == {2}
    hub.remove(socket)
    assert len(hub) == 0 and hub.user_ids() == set()
    hub.identify(socket, 3)  # a socket the hub no longer holds stays unknown
    assert hub.user_ids() == set()


@pytest.mark.gen_test
async def test_close_all_closes_everyone_and_refuses_newcomers():
    hub = Hub()
    sockets = [Socket(), Socket()]
    for socket in sockets:
        hub.add(socket)
    hub.close_all()
    assert [s.closed for s in sockets] == [(1001, "server shutting down")] * 2
    assert len(hub) == 0
    assert not hub.add(Socket())
