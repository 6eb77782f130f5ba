"""The WebSocket hub: which sockets are open and whose they are.

It knows sockets, not business rules: callers hand it ready-made frames.
A frame is encoded once however many sockets get it (``frames.py``), and
writing to thousands of sockets happens in slices of a few milliseconds
with the event loop free in between, so ticks, alerts and requests never
wait long for one another."""

import asyncio
import logging
import time
from collections.abc import Iterable

from tornado.websocket import WebSocketClosedError, WebSocketHandler, WebSocketProtocol13

from unimatch.metrics import Metrics
from unimatch.ws.frames import Frame, direct_connection, send, unsent

logger = logging.getLogger(__name__)

# Ticks a socket may fall behind (its previous write still unsent) before
# it is considered dead and closed.
MAX_SKIPPED_TICKS = 30
# The longest the hub writes before giving the event loop back.
SLICE_SECONDS = 0.01
# Sockets written between two looks at the clock.
_CLOCK_EVERY = 32


class _SocketState:
    __slots__ = ("user_id", "direct", "pending", "skipped")

    def __init__(self, direct: WebSocketProtocol13 | None) -> None:
        self.user_id: int | None = None
        self.direct = direct  # see frames.direct_connection
        self.pending: asyncio.Future[None] | None = None  # the last tick's write_message
        self.skipped = 0


class _Slice:
    """A time budget: :meth:`over` once SLICE_SECONDS have run since the
    start or the last :meth:`next`."""

    def __init__(self) -> None:
        self._until = time.perf_counter() + SLICE_SECONDS

    def over(self) -> bool:
        return time.perf_counter() >= self._until

    async def next(self) -> None:
        """Let the event loop run whatever is waiting, then start a new slice."""
        await asyncio.sleep(0)
        self._until = time.perf_counter() + SLICE_SECONDS


class Hub:
    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics if metrics is not None else Metrics()
        self._sockets: dict[WebSocketHandler, _SocketState] = {}
        self._by_user: dict[int, set[WebSocketHandler]] = {}
        self._closing = False
        self._broadcasts = 0  # a broadcast stops when a newer one begins
        self.closed = 0  # sockets ever removed: the collector's policy reads it

    def __len__(self) -> int:
        return len(self._sockets)

    def add(self, socket: WebSocketHandler) -> bool:
        """Register an open socket; False while shutting down."""
        if self._closing:
            return False
        self._sockets[socket] = _SocketState(direct_connection(socket))
        self.metrics.sockets_open(len(self._sockets))
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
            self.closed += 1
            self._forget_user(socket, state)
            self.metrics.sockets_open(len(self._sockets))

    def user_ids(self) -> set[int]:
        """Users with at least one open, identified socket."""
        return set(self._by_user)

    def broadcast(self, frame: str) -> "asyncio.Future[None]":
        """Send a droppable frame (a tick) to every socket open now. A socket
        whose previous tick is still unsent skips this one, so a slow client
        never builds a backlog or delays the others; one that skipped
        MAX_SKIPPED_TICKS in a row is closed.

        The first slice of sockets is written before this returns, the rest
        in later slices; the future is done when every socket had its turn.
        A new broadcast ends an unfinished one: its frame is newer."""
        self._broadcasts += 1
        encoded = Frame(frame)
        sockets = list(self._sockets)
        budget = _Slice()
        done = self._tick_slice(sockets, 0, encoded, budget)
        if done < len(sockets):
            return asyncio.ensure_future(
                self._tick_rest(sockets, done, encoded, budget, self._broadcasts))
        finished = asyncio.get_running_loop().create_future()
        finished.set_result(None)
        return finished

    def send_to_user(self, user_id: int, frame: str) -> int:
        """Send a frame that must not be dropped (an alert) to every socket
        of ``user_id``; returns how many sockets it went to. A slow socket
        keeps it queued behind what it has not read yet, until it is closed."""
        sockets = self._by_user.get(user_id)
        if not sockets:
            return 0
        encoded = Frame(frame)
        sent = 0
        for socket in list(sockets):
            state = self._sockets.get(socket)
            if state is not None and self._write(socket, state, encoded):
                sent += 1
        return sent

    async def send_to_users(self, frames: Iterable[tuple[int, str]]) -> int:
        """:meth:`send_to_user` for each ``(user_id, frame)``, giving the
        event loop back every SLICE_SECONDS (``frames`` may be a generator
        that builds each frame when it is reached: that work is sliced too).
        Returns how many sockets the frames went to."""
        budget = _Slice()
        sent = 0
        for user_id, frame in frames:
            sent += self.send_to_user(user_id, frame)
            if budget.over():
                await budget.next()
        return sent

    def close_all(self, code: int = 1001, reason: str = "server shutting down") -> None:
        self._closing = True
        self._broadcasts += 1
        for socket in list(self._sockets):
            self._close(socket, code, reason)

    async def _tick_rest(self, sockets: list[WebSocketHandler], start: int, frame: Frame,
                         budget: _Slice, broadcast: int) -> None:
        while start < len(sockets):
            await budget.next()
            if broadcast != self._broadcasts:
                return  # a newer tick began, or shutdown
            start = self._tick_slice(sockets, start, frame, budget)

    def _tick_slice(self, sockets: list[WebSocketHandler], start: int, frame: Frame,
                    budget: _Slice) -> int:
        """Tick ``sockets`` from ``start`` until the slice is over; returns
        where the next slice starts."""
        index = start
        while index < len(sockets):
            self._tick(sockets[index], frame)
            index += 1
            if index % _CLOCK_EVERY == 0 and budget.over():
                break
        return index

    def _tick(self, socket: WebSocketHandler, frame: Frame) -> None:
        state = self._sockets.get(socket)
        if state is None:  # closed since the broadcast began
            return
        if self._behind(state):
            state.skipped += 1
            if state.skipped > MAX_SKIPPED_TICKS:
                logger.info("closing a socket that stopped reading")
                self._close(socket, 1008, "client too slow")
            return
        state.skipped = 0
        self._write(socket, state, frame, tick=True)

    @staticmethod
    def _behind(state: _SocketState) -> bool:
        """Whether the socket has not yet sent what it was given before."""
        if state.direct is not None:
            # Its stream says itself whether anything is unsent; keeping each
            # tick's future for a second instead would carry ten thousand of
            # them a second into the garbage collector's oldest generation,
            # whose full passes over every socket's objects hold the loop.
            return unsent(state.direct)
        return state.pending is not None and not state.pending.done()

    def _write(self, socket: WebSocketHandler, state: _SocketState, frame: Frame,
               tick: bool = False) -> bool:
        """Send ``frame``; False when the socket turned out to be closed."""
        try:
            written = send(socket, state.direct, frame)
        except WebSocketClosedError:
            self.remove(socket)
            return False
        if tick and state.direct is None:
            state.pending = written
        return True

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
