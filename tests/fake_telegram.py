"""A fake Telegram Bot API on loopback, for the notifier's tests.

It answers ``POST /bot<token>/<method>`` for ``getMe`` and ``sendMessage``
the way Telegram does, records every call, and can be scripted to fail:
``fail_next`` queues answers for the next ``sendMessage`` calls,
``fail_chat`` answers every call to one chat the same way (a blocked bot),
``hold_next`` keeps the next answer back until the test releases it."""

import asyncio
import dataclasses
import json
import time

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

BOT_USER = {"id": 1, "is_bot": True, "first_name": "UniMatch", "username": "unimatch_test_bot"}

# Scripted answers: (HTTP status, JSON body or raw bytes), or DROP.
DROP = "drop"  # close the connection without an answer
RETRY_AFTER_1 = (429, {"ok": False, "error_code": 429,
                       "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}})
BLOCKED = (403, {"ok": False, "error_code": 403,
                 "description": "Forbidden: bot was blocked by the user"})
CHAT_NOT_FOUND = (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
BAD_GATEWAY = (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")


@dataclasses.dataclass
class Call:
    method: str
    token: str
    chat_id: int | None
    text: str | None
    at: float       # the service clock's time when the request arrived
    status: int     # what the fake answered (0: dropped the connection)


class FakeTelegram:
    """Start with :meth:`start` inside the test's loop; ``url`` is the base
    to give as ``TELEGRAM_API_URL``."""

    def __init__(self, clock):
        self.clock = clock
        self.calls: list[Call] = []
        self._next: list = []
        self._by_chat: dict[int, object] = {}
        self._hold: asyncio.Event | None = None
        self.down: tuple | None = None  # set: every call of any method gets this answer
        self.held = asyncio.Event()  # set while an answer is being held back
        self._server: HTTPServer | None = None
        self.url = ""

    def start(self) -> None:
        sock, port = bind_unused_port()
        app = tornado.web.Application([(r"/bot([^/]+)/([A-Za-z]+)", _BotApiHandler, {"fake": self})])
        self._server = HTTPServer(app)
        self._server.add_sockets([sock])
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._hold is not None:
            self._hold.set()
        self._server.stop()
        await self._server.close_all_connections()

    def fail_next(self, *answers) -> None:
        """Answer the next ``sendMessage`` calls with these, in order."""
        self._next.extend(answers)

    def fail_chat(self, chat_id: int, answer=BLOCKED) -> None:
        """Answer every ``sendMessage`` to ``chat_id`` with ``answer``."""
        self._by_chat[chat_id] = answer

    def hold_next(self) -> asyncio.Event:
        """Keep the next ``sendMessage`` answer back until the returned
        event is set (``held`` is set once that request has arrived)."""
        self._hold = asyncio.Event()
        return self._hold

    def sends(self, chat_id: int | None = None, delivered: bool = True) -> list[Call]:
        """The ``sendMessage`` calls (to ``chat_id``), only the answered-OK ones
        unless ``delivered`` is False."""
        return [c for c in self.calls if c.method == "sendMessage"
                and (chat_id is None or c.chat_id == chat_id)
                and (not delivered or c.status == 200)]

    def _answer(self, method: str, chat_id: int | None, text: str | None):
        if self.down is not None:
            return self.down
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method != "sendMessage":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if self._next:
            return self._next.pop(0)
        if chat_id in self._by_chat:
            return self._by_chat[chat_id]
        if chat_id is None or not text:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: message text is empty"}
        message_id = len(self.sends()) + 1
        return 200, {"ok": True, "result": {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"}, "text": text}}


class _BotApiHandler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTelegram):
        self.fake = fake

    async def post(self, token: str, method: str):
        at = self.fake.clock.timestamp()
        params = self._params()
        chat_id = int(params["chat_id"]) if params.get("chat_id") not in (None, "") else None
        text = params.get("text")
        answer = self.fake._answer(method, chat_id, text)
        call = Call(method, token, chat_id, text, at, 0 if answer == DROP else answer[0])
        self.fake.calls.append(call)
        if method == "sendMessage" and self.fake._hold is not None:
            release, self.fake._hold = self.fake._hold, None
            self.fake.held.set()
            await release.wait()
            self.fake.held.clear()
        if answer == DROP:
            self.request.connection.close()
            return
        status, body = answer
        self.set_status(status)
        if isinstance(body, bytes):
            self.set_header("Content-Type", "text/html")
            self.finish(body)
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(body))

    def _params(self) -> dict[str, str]:
        """The call's parameters: PTB's HTTPXRequest posts them as a form
        (each value a string, non-strings JSON-encoded), multipart when a
        file is attached; others post JSON."""
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            body = json.loads(self.request.body or b"{}")
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        # Tornado parses urlencoded and multipart/form-data bodies alike.
        return {k: self.get_body_argument(k, strip=False) for k in self.request.body_arguments}
