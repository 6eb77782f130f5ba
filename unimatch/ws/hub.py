"""The WebSocket hub: which sockets are open and whose they are.

It knows sockets, not business rules: callers hand it ready-made frames."""

import asyncio
import logging

from tornado.websocket import WebSocketClosedError, WebSocketHandler

logger = logging.getLogger(__name__)

# Ticks a socket may fall behind (its previous write still unsent) before
# it is considered dead and closed.
MAX_SKIPPED_TICKS = 30


class _SocketState:
    __slots__ = ("user_id", "pending", "skipped")

    def __init__(self) -> None:
        self.user_id: int | None = None
        self.pending: asyncio.Future[None] | None = None  # the last tick's write
        self.skipped = 0


class Hub:
    def __init__(self) -> None:
        self._sockets: dict[WebSocketHandler, _SocketState] = {}
        self._by_user: dict[int, set[WebSocketHandler]] = {}
        self._closing = False

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, socket: WebSocketHandler) -> bool:
        """Register an open socket; False while shutting down."""
        if self._closing:
            return False
        self._sockets[socket] = _SocketState()
        return True

    def identify(self, socket: WebSocketHandler, user_id: int) -> None:
        """From now on ``socket`` also gets ``user_id``'s alerts."""
        state = self._sockets.get(socket)
        if state is None:
            return
        self._forget_user(socket, state)
        state.user_id = user_id
        self._by_user.setdefault(user_id, set()).add(socket)

    def remove(self, socket: WebSocketHandler) -> None:
        state = self._sockets.pop(socket, None)
        if state is not None:
            self._forget_user(socket, state)

    def user_ids(self) -> set[int]:
        """Users with at least one open, identified socket."""
        return set(self._by_user)

    def broadcast(self, frame: str) -> None:
        """Send a droppable frame (a tick) to every socket. A socket whose
        previous frame is still unsent skips this one, so a slow client
        never builds a backlog or delays the others."""
        for socket, state in list(self._sockets.items()):
            if state.pending is not None and not state.pending.done():
                state.skipped += 1
                if state.skipped > MAX_SKIPPED_TICKS:
                    logger.info("closing a socket that stopped reading")
                    self._close(socket, 1008, "client too slow")
                continue
            state.skipped = 0
            state.pending = self._write(socket, frame)

    def send_to_user(self, user_id: int, frame: str) -> int:
        """Send a frame that must not be dropped (an alert) to every socket
        of ``user_id``; returns how many sockets it went to."""
        sockets = list(self._by_user.get(user_id, ()))
        for socket in sockets:
            self._write(socket, frame)
        return len(sockets)

    def close_all(self, code: int = 1001, reason: str = "server shutting down") -> None:
        self._closing = True
        for socket in list(self._sockets):
            self._close(socket, code, reason)

    def _write(self, socket: WebSocketHandler, frame: str) -> "asyncio.Future[None] | None":
        try:
            future = socket.write_message(frame)
        except WebSocketClosedError:
            self.remove(socket)
            return None

        def written(done: "asyncio.Future[None]") -> None:
            if done.exception() is not None:
                self.remove(socket)
        future.add_done_callback(written)
        return future

    def _close(self, socket: WebSocketHandler, code: int, reason: str) -> None:
        self.remove(socket)
        try:
            socket.close(code, reason)
        except WebSocketClosedError:
            pass

    def _forget_user(self, socket: WebSocketHandler, state: _SocketState) -> None:
        if state.user_id is None:
            return
        sockets = self._by_user.get(state.user_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self._by_user[state.user_id]
        state.user_id = None
