"""The socket hub on its own: who is connected, who gets what, and the
eviction of clients that stop reading. The sockets here are stand-ins with
Tornado's write/close surface, so a write can be left pending for good,
which a real socket does only once megabytes are queued."""

import asyncio
import contextlib
import socket as net

import pytest
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.websocket import WebSocketClosedError, WebSocketHandler, websocket_connect

from unimatch.ws import hub as hub_module
from unimatch.ws.frames import Frame, direct_connection, unsent
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


# -- slices: thousands of sockets never hold the event loop in one go -----------------


@pytest.fixture
def tiny_slices(monkeypatch):
    """Every look at the clock ends the slice: slicing shows with a few
    dozen sockets, whatever the machine's speed."""
    monkeypatch.setattr(hub_module, "SLICE_SECONDS", 0.0)


def many_sockets(hub: Hub, slices: int = 10) -> list[Socket]:
    """Enough stand-ins for ``slices`` slices, each added to ``hub``."""
    sockets = [Socket() for _ in range(slices * hub_module._CLOCK_EVERY)]
    for socket in sockets:
        hub.add(socket)
    return sockets


@pytest.mark.gen_test
async def test_a_broadcast_to_many_sockets_lets_the_loop_run_between_slices(tiny_slices):
    hub = Hub()
    sockets = many_sockets(hub)
    reached_when_the_loop_ran = []
    asyncio.get_running_loop().call_soon(
        lambda: reached_when_the_loop_ran.append(sum(1 for s in sockets if s.frames)))
    done = hub.broadcast("tick")
    assert 0 < sum(1 for s in sockets if s.frames) < len(sockets), "the first slice, at once"
    await done
    assert all(s.frames == ["tick"] for s in sockets)
    assert 0 < reached_when_the_loop_ran[0] < len(sockets)


@pytest.mark.gen_test
async def test_a_newer_broadcast_ends_an_unfinished_one(tiny_slices):
    hub = Hub()
    sockets = many_sockets(hub)
    first = hub.broadcast("tick-1")
    second = hub.broadcast("tick-2")
    await first
    await second
    assert all(s.frames[-1] == "tick-2" for s in sockets)
    assert all(s.frames in (["tick-2"], ["tick-1", "tick-2"]) for s in sockets)
    assert any(s.frames == ["tick-2"] for s in sockets), "the older tick was cut short"


@pytest.mark.gen_test
async def test_alerts_to_many_users_are_built_and_sent_in_slices(tiny_slices):
    hub = Hub()
    sockets = {}
    for user_id in range(4 * hub_module._CLOCK_EVERY):
        sockets[user_id] = Socket()
        hub.add(sockets[user_id])
        hub.identify(sockets[user_id], user_id)
    built = []
    reached_when_the_loop_ran = []
    asyncio.get_running_loop().call_soon(lambda: reached_when_the_loop_ran.append(len(built)))

    def frames():
        for user_id in sockets:
            built.append(user_id)
            yield user_id, f"alert-{user_id}"
    assert await hub.send_to_users(frames()) == len(sockets)
    assert all(s.frames == [f"alert-{u}"] for u, s in sockets.items())
    assert 0 < reached_when_the_loop_ran[0] < len(sockets), "frames are built as they are sent"


# -- real sockets: the pre-built frame is the frame Tornado would send -----------------


class _HubSocket(WebSocketHandler):
    """A bare endpoint on a hub: every socket belongs to user 1."""

    def initialize(self, hub, opened, send_buffer):
        self.hub = hub
        self.opened = opened
        self.send_buffer = send_buffer

    def open(self):
        if self.send_buffer:
            self.ws_connection.stream.socket.setsockopt(net.SOL_SOCKET, net.SO_SNDBUF,
                                                       self.send_buffer)
        self.hub.add(self)
        self.hub.identify(self, 1)
        self.opened.put_nowait(self)

    def on_close(self):
        self.hub.remove(self)


@contextlib.asynccontextmanager
async def hub_server(send_buffer=0):
    """A hub behind a loopback WebSocket endpoint: ``(hub, port, opened)``,
    ``opened`` a queue of the server side of each socket as it opens."""
    hub, opened = Hub(), asyncio.Queue()
    sock, port = bind_unused_port()
    server = HTTPServer(tornado.web.Application(
        [("/ws", _HubSocket, {"hub": hub, "opened": opened, "send_buffer": send_buffer})]))
    server.add_sockets([sock])
    try:
        yield hub, port, opened
    finally:
        hub.close_all()
        server.stop()
        await server.close_all_connections()


@contextlib.asynccontextmanager
async def raw_client(port, receive_buffer=0):
    """A WebSocket opened by hand: ``(reader, writer)`` just past the
    handshake, so a test reads the server's frames byte for byte."""
    sock = net.socket()
    if receive_buffer:
        sock.setsockopt(net.SOL_SOCKET, net.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        writer.write(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def read_frame(reader) -> bytes:
    """One whole server frame as it came over the wire (unmasked)."""
    head = await reader.readexactly(2)
    size = head[1] & 0x7F
    extra = b""
    if size == 126:
        extra = await reader.readexactly(2)
    elif size == 127:
        extra = await reader.readexactly(8)
    if extra:
        size = int.from_bytes(extra, "big")
    return head + extra + await reader.readexactly(size)


def text_of(frame: bytes) -> str:
    assert frame[0] == 0x81, "a final text frame"
    start = {126: 4, 127: 10}.get(frame[1] & 0x7F, 2)
    return frame[start:].decode("utf-8")


# Payloads of each length encoding: 7 bits, 16 bits, 64 bits.
SIZES = (len('{"type": "tick"}'), 126, 300, 0xFFFF, 0x10000 + 5)


@pytest.mark.gen_test
async def test_a_real_socket_gets_the_prebuilt_frame_byte_for_byte_as_tornado_frames_it():
    async with hub_server() as (hub, port, opened), raw_client(port) as (reader, _):
        handler = await opened.get()
        # If this fails, Tornado changed what frames.direct_connection reads:
        # every socket then takes the slow write_message path.
        assert direct_connection(handler) is not None
        for size in SIZES:
            text = "й" * (size // 2) + "x" * (size % 2)  # UTF-8: the frame counts bytes
            await hub.broadcast(text)
            ours = await read_frame(reader)
            assert ours == Frame(text).wire
            await handler.write_message(text)  # Tornado's own framing of the same text
            assert await read_frame(reader) == ours
            assert text_of(ours) == text
            assert hub.send_to_user(1, text) == 1
            assert await read_frame(reader) == ours


@pytest.mark.gen_test
async def test_a_compressed_socket_falls_back_to_write_message():
    class Compressed(_HubSocket):
        def get_compression_options(self):
            return {}

    hub, opened = Hub(), asyncio.Queue()
    sock, port = bind_unused_port()
    server = HTTPServer(tornado.web.Application(
        [("/ws", Compressed, {"hub": hub, "opened": opened, "send_buffer": 0})]))
    server.add_sockets([sock])
    try:
        conn = await websocket_connect(f"ws://127.0.0.1:{port}/ws", compression_options={})
        handler = await opened.get()
        assert direct_connection(handler) is None, "a deflated frame differs per socket"
        await hub.broadcast("tick")
        assert hub.send_to_user(1, "alert") == 1
        assert [await conn.read_message(), await conn.read_message()] == ["tick", "alert"]
        conn.close()
    finally:
        hub.close_all()
        server.stop()
        await server.close_all_connections()


@pytest.mark.gen_test(timeout=30)
async def test_a_real_slow_socket_skips_ticks_keeps_its_alerts_and_is_closed():
    """A client that stops reading: ticks pass it by, alerts queue up for
    it in order, and after MAX_SKIPPED_TICKS it is closed. Small socket
    buffers on both ends, so a 1 MiB alert is enough to back it up."""
    alert = "A" * (1 << 20)
    async with hub_server(send_buffer=4096) as (hub, port, opened), \
            raw_client(port, receive_buffer=4096) as (reader, _):
        handler = await opened.get()
        direct = direct_connection(handler)
        assert direct is not None
        await hub.broadcast("tick-1")
        assert hub.send_to_user(1, alert) == 1
        assert unsent(direct), "the alert is still queued: the client is not reading"
        await hub.broadcast("tick-skipped")
        assert hub.send_to_user(1, "alert-2") == 1, "alerts are never skipped"
        for _ in range(MAX_SKIPPED_TICKS - 1):
            await hub.broadcast("tick-skipped")
        assert len(hub) == 1
        await hub.broadcast("tick-skipped")
        assert len(hub) == 0, "closed after MAX_SKIPPED_TICKS skipped ticks"
        received = [text_of(await read_frame(reader)) for _ in range(3)]
        assert received == ["tick-1", alert, "alert-2"]
        close = await read_frame(reader)
        assert close[0] == 0x88 and int.from_bytes(close[2:4], "big") == 1008


@pytest.mark.gen_test
async def test_a_socket_that_catches_up_gets_ticks_again():
    async with hub_server(send_buffer=4096) as (hub, port, opened), \
            raw_client(port, receive_buffer=4096) as (reader, _):
        direct = direct_connection(await opened.get())
        assert hub.send_to_user(1, "B" * (1 << 20)) == 1
        await hub.broadcast("tick-skipped")
        assert len(await read_frame(reader)) > 1 << 20
        while unsent(direct):  # the stream hands the rest to the kernel as it drains
            await asyncio.sleep(0.01)
        await hub.broadcast("tick-2")
        assert text_of(await read_frame(reader)) == "tick-2"
