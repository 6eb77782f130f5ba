"""Text frames built once and written as they are to many sockets.

Tornado's ``write_message`` frames every message again for every socket
and wraps each write in a task, about 0.1 ms a socket: a tick to 10,000
sockets took a second. A server's uncompressed frame is not masked (RFC
6455 section 5.1), so its bytes are the same for every socket: they are
built once here and go to each socket as they are, straight to the kernel
when nothing is queued before them, else through the socket's stream."""

import asyncio

from tornado.iostream import IOStream, StreamClosedError
from tornado.websocket import WebSocketClosedError, WebSocketHandler, WebSocketProtocol13

_FIN_TEXT = 0x81  # FIN bit and opcode 0x1 (text)


class Frame:
    """A text message and its frame on the wire (built on first use)."""

    __slots__ = ("text", "_wire")

    def __init__(self, text: str):
        self.text = text
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        """The frame's bytes: header (FIN, text, unmasked length) and UTF-8 payload."""
        if self._wire is None:
            payload = self.text.encode("utf-8")
            size = len(payload)
            if size < 126:
                header = bytes((_FIN_TEXT, size))
            elif size <= 0xFFFF:
                header = bytes((_FIN_TEXT, 126)) + size.to_bytes(2, "big")
            else:
                header = bytes((_FIN_TEXT, 127)) + size.to_bytes(8, "big")
            self._wire = header + payload
        return self._wire


def direct_connection(socket: WebSocketHandler) -> WebSocketProtocol13 | None:
    """The connection under ``socket`` if :attr:`Frame.wire` may be written
    to its stream as is, else None (then :func:`send` goes through
    ``write_message``).

    What relies on Tornado's internals is here: the protocol object
    (``ws_connection``), its ``stream`` (which :func:`send` writes to), its
    ``mask_outgoing`` flag and its private ``_compressor`` (None: no
    permessage-deflate on this socket), read the way
    ``WebSocketProtocol13._write_frame`` and ``write_message`` read them in
    Tornado 6. ``tests/test_hub.py`` fails if a real socket stops
    qualifying, so an upgrade that renames them shows up there; meanwhile
    every socket falls back to ``write_message`` and still works."""
    connection = getattr(socket, "ws_connection", None)
    if not isinstance(connection, WebSocketProtocol13) or connection.stream is None:
        return None
    if connection.mask_outgoing or getattr(connection, "_compressor", "unknown") is not None:
        return None
    return connection


def send(socket: WebSocketHandler, direct: WebSocketProtocol13 | None,
         frame: Frame) -> "asyncio.Future[None] | None":
    """Write ``frame`` to ``socket``. ``direct``: what
    :func:`direct_connection` said of this socket. Returns a future that is
    done once the frame left this process, or None when it already has.
    Raises :class:`WebSocketClosedError` when the socket is closed or
    closing, as ``write_message`` does."""
    if direct is None:
        written = socket.write_message(frame.text)
        written.add_done_callback(_retrieve)
        return written
    stream = direct.stream
    if stream is None or direct.is_closing():
        raise WebSocketClosedError()
    data = frame.wire
    if type(stream) is IOStream and not stream.writing():
        # Nothing queued before it: straight to the kernel, as the stream
        # itself would do first, minus the future and bookkeeping it builds
        # per write (ten thousand a tick, which also feed the garbage
        # collector). TLS streams and anything the kernel does not take at
        # once go through the stream, which also meets a broken connection
        # and closes the socket properly.
        try:
            sent = stream.socket.send(data)
        except OSError:
            sent = 0
        if sent == len(data):
            return None
        data = data[sent:]
    try:
        return stream.write(data)
    except StreamClosedError:
        raise WebSocketClosedError() from None


def unsent(direct: WebSocketProtocol13) -> bool:
    """Whether a direct socket still holds bytes the kernel has not taken
    (a tick, an alert, a ping: the client is not reading fast enough)."""
    return direct.stream is not None and direct.stream.writing()


def _retrieve(written: "asyncio.Future[None]") -> None:
    """Mark a failed write's error as seen: the hub learns of a closed
    socket from ``on_close`` or its next write, and asyncio would otherwise
    log every failed write that nobody awaited."""
    if not written.cancelled():
        written.exception()
