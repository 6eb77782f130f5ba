"""The socket endpoint: countdown ticks for everyone, match alerts for
authenticated users."""

import json
import logging
from asyncio import Future
from typing import Any

import tornado.websocket

from unimatch import errors
from unimatch.auth.sessions import user_for_access_token
from unimatch.handlers.base import finish_json, write_json_error
from unimatch.handlers.http_errors import error_response
from unimatch.services import Services
from unimatch.ws.hub import Hub
from unimatch.ws.ticker import Ticker

logger = logging.getLogger(__name__)

CLOSE_BAD_TOKEN = 4401
MAX_MESSAGE = 64 * 1024


class SocketHandler(tornado.websocket.WebSocketHandler):
    route = "/ws/"  # the requests' label in the metrics

    def initialize(self, services: Services, hub: Hub, ticker: Ticker) -> None:
        self.services = services
        self.hub = hub
        self.ticker = ticker

    def check_origin(self, origin: str) -> bool:
        return self.services.origins.allowed(origin, self.request.host)

    def get_compression_options(self) -> None:
        return None  # ticks are tiny; per-socket deflate state costs more than it saves

    # -- plain HTTP on this path: the contract's JSON errors -------------------------

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 405:
            self.set_header("Allow", "GET")
        write_json_error(self, status_code, **kwargs)

    def finish(self, chunk: str | bytes | dict | None = None) -> "Future[None]":
        # Tornado refuses a handshake it cannot accept (no upgrade, foreign
        # origin, unknown version) in plain text or with no body at all;
        # answers of ours are bytes already.
        if self.get_status() >= 400 and not isinstance(chunk, bytes):
            status = self.get_status()
            detail = chunk if isinstance(chunk, str) and chunk else (
                error_response(None, status, self.request.method or "")[1]["detail"])
            return finish_json(self, {"detail": detail}, status)
        return super().finish(chunk)

    # -- the socket ------------------------------------------------------------------

    async def open(self, *args: str, **kwargs: str) -> None:
        if not self.hub.add(self):
            self.close(1001, "server shutting down")
            return
        # Read as bytes: a token that is not UTF-8 is a bad token (4401),
        # where get_query_argument would raise inside open().
        raw = self.request.query_arguments.get("token")
        token = raw[-1].decode("utf-8", "replace") if raw else None
        if token is not None and not await self._authenticate(token):
            return
        self._send(self.ticker.frame())

    async def on_message(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except (ValueError, RecursionError):
            self._send_json({"type": "error", "detail": "Messages must be JSON objects."})
            return
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "ping":
            self._send_json({"type": "pong"})
        elif kind == "auth":
            await self._authenticate(data.get("token"))
        else:
            self._send_json({"type": "error", "detail": f"Unknown message type: {kind!r}."})

    def on_close(self) -> None:
        self.hub.remove(self)

    async def _authenticate(self, token: object) -> bool:
        try:
            user = await user_for_access_token(self.services.store, self.services.tokens, token)
        except errors.InvalidToken:
            user = None
        except errors.StoreUnavailable:
            self.close(1011, "database unavailable, retry later")
            return False
        if user is None:
            self.close(CLOSE_BAD_TOKEN, "Given token not valid for any token type")
            return False
        self.hub.identify(self, user["_id"])
        self._send_json({"type": "auth_ok", "user_id": user["_id"]})
        return True

    def _send_json(self, payload: dict) -> None:
        self._send(json.dumps(payload, ensure_ascii=False))

    def _send(self, frame: str) -> None:
        try:
            self.write_message(frame)
        except tornado.websocket.WebSocketClosedError:
            self.hub.remove(self)
