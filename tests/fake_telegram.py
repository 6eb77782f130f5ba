"""A fake Telegram Bot API on loopback, for the notifier's and the bot's tests.

It answers ``POST [/<via>]/bot<token>/<method>`` for ``getMe``,
``sendMessage``, ``deleteWebhook``, ``getUpdates`` (long polling: held
until an update is queued or a short wait passes), ``answerCallbackQuery``
and ``editMessageText`` the way Telegram does, and records every call. The
optional ``<via>`` path segment names which process called (give each its
own ``url_for(via)``); Telegram itself knows only the token.

Tests play the users: :meth:`FakeTelegram.user_says` queues a message
(commands get their ``bot_command`` entity), :meth:`FakeTelegram.press`
a button under a message the bot sent; :meth:`FakeTelegram.wait_for`
waits for the bot's calls. Failures can be scripted: ``fail_next`` queues
answers for the next ``sendMessage`` calls, ``fail_chat`` answers every
call to one chat the same way (a blocked bot), ``hold_next`` keeps the
next answer back until the test releases it, ``down`` answers every call."""

import asyncio
import dataclasses
import json
import time

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port

BOT_USER = {"id": 1, "is_bot": True, "first_name": "UniMatch", "username": "unimatch_test_bot"}
#: How long an empty ``getUpdates`` is held (real seconds; Telegram holds up
#: to the request's ``timeout``). Short, so a stopping bot is never kept waiting.
POLL_HOLD = 0.5

# Scripted answers: (HTTP status, JSON body or raw bytes), or DROP.
DROP = "drop"  # close the connection without an answer
RETRY_AFTER_1 = (429, {"ok": False, "error_code": 429,
                       "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}})
BLOCKED = (403, {"ok": False, "error_code": 403,
                 "description": "Forbidden: bot was blocked by the user"})
CHAT_NOT_FOUND = (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
BAD_GATEWAY = (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
NOT_MODIFIED = (400, {"ok": False, "error_code": 400,
                      "description": "Bad Request: message is not modified: specified new message "
                                     "content and reply markup are exactly the same as a current "
                                     "content and reply markup of the message"})


def _ok(result):
    return 200, {"ok": True, "result": result}


@dataclasses.dataclass
class Call:
    method: str
    token: str
    chat_id: int | None
    text: str | None
    at: float       # the service clock's time when the request arrived
    status: int     # what the fake answered (0: dropped the connection)
    params: dict = dataclasses.field(default_factory=dict)  # JSON-decoded where they were JSON
    via: str = ""   # the url_for() segment the caller used

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """``(text, callback_data)`` of the inline keyboard sent with the call."""
        markup = self.params.get("reply_markup") or {}
        return [(b["text"], b.get("callback_data")) for row in markup.get("inline_keyboard", [])
                for b in row]


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
        # Bot API state: updates not yet confirmed (getUpdates' offset), and
        # the text and keyboard of every message the bot sent.
        self.updates: list[dict] = []
        self._update_id = 100
        self.messages: dict[tuple[int, int], dict] = {}
        self._changed = asyncio.Condition()
        self._closing = False

    def start(self) -> None:
        sock, port = bind_unused_port()
        app = tornado.web.Application([(r"/(?:([a-z0-9]+)/)?bot([^/]+)/([A-Za-z]+)", _BotApiHandler,
                                        {"fake": self})])
        self._server = HTTPServer(app)
        self._server.add_sockets([sock])
        self.url = f"http://127.0.0.1:{port}"

    def url_for(self, via: str) -> str:
        """The base URL for one caller (a lower-case word), recorded as ``Call.via``."""
        return f"{self.url}/{via}"

    async def stop(self) -> None:
        self._closing = True
        if self._hold is not None:
            self._hold.set()
        await self._notify()
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
        return self.of("sendMessage", chat_id, delivered)

    def of(self, method: str, chat_id: int | None = None, delivered: bool = True) -> list[Call]:
        """The calls of ``method`` (to ``chat_id``; answered OK unless ``delivered`` is False)."""
        return [c for c in self.calls if c.method == method
                and (chat_id is None or c.chat_id == chat_id)
                and (not delivered or c.status == 200)]

    # -- playing the users ---------------------------------------------------

    async def user_says(self, chat_id: int, text: str, first_name: str = "Анна") -> int:
        """Queue a private message from user ``chat_id`` (a private chat's id
        is its user's); returns its update id."""
        person = {"id": chat_id, "is_bot": False, "first_name": first_name}
        message = {"message_id": self._next_update(), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private", "first_name": first_name},
                   "from": person, "text": text}
        command = text.split()[0] if text.startswith("/") and text.split() else ""
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._queue({"message": message})

    async def press(self, call: Call, data: str, chat_id: int | None = None) -> int:
        """Queue a press on a button (``data``) under the message the bot
        sent in ``call``, by the user of ``chat_id`` (default: that chat's)."""
        sent = self.messages[(call.chat_id, call.params["_message_id"])]
        presser = call.chat_id if chat_id is None else chat_id
        query = {"id": str(self._next_update()), "chat_instance": f"ci{call.chat_id}",
                 "from": {"id": presser, "is_bot": False, "first_name": "Анна"},
                 "message": sent, "data": data}
        return await self._queue({"callback_query": query})

    async def wait_for(self, method: str, chat_id: int | None = None, after: int = 0,
                       count: int = 1, via: str | None = None) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (to ``chat_id``, from
        ``via``) have arrived since ``after`` (an index into ``calls``);
        returns them."""
        async with self._changed:
            while True:
                found = [c for c in self.calls[after:] if c.method == method
                         and (chat_id is None or c.chat_id == chat_id)
                         and (via is None or c.via == via)]
                if len(found) >= count:
                    return found[:count]
                await self._changed.wait()

    async def reply(self, chat_id: int, text: str) -> Call:
        """Say ``text`` in ``chat_id`` and wait for the bot's next message there."""
        mark = len(self.calls)
        await self.user_says(chat_id, text)
        [reply] = await self.wait_for("sendMessage", chat_id, after=mark)
        return reply

    def _next_update(self) -> int:
        self._update_id += 1
        return self._update_id

    async def _queue(self, update: dict) -> int:
        update_id = self._next_update()
        self.updates.append({"update_id": update_id, **update})
        await self._notify()
        return update_id

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _get_updates(self, params: dict) -> tuple[int, dict]:
        """Telegram's long polling: updates from ``offset`` on (those before
        it are confirmed and forgotten), held until there are some."""
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and float(params.get("timeout") or 0) > 0 and not self._closing:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), POLL_HOLD)
                except TimeoutError:
                    pass
        return _ok(self.updates[:100])

    def _answer(self, method: str, chat_id: int | None, text: str | None, params: dict):
        if self.down is not None:
            return self.down
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "deleteWebhook":
            return _ok(True)
        if method == "answerCallbackQuery":
            return _ok(True)
        if method == "editMessageText":
            return self._edit(chat_id, params)
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
        message = {"message_id": message_id, "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER, "text": text}
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message_id)] = message
        params["_message_id"] = message_id
        return _ok(message)

    def _edit(self, chat_id: int | None, params: dict):
        message = self.messages.get((chat_id, int(params.get("message_id") or 0)))
        if message is None:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: message to edit not found"}
        markup = params.get("reply_markup")
        if message["text"] == params.get("text") and message.get("reply_markup") == markup:
            return NOT_MODIFIED
        message["text"] = params.get("text")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return _ok(message)


class _BotApiHandler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTelegram):
        self.fake = fake
        self._gone = False

    async def post(self, via: str | None, token: str, method: str):
        at = self.fake.clock.timestamp()
        params = self._params()
        chat_id = int(params["chat_id"]) if params.get("chat_id") not in (None, "") else None
        text = params.get("text")
        if method == "getUpdates" and self.fake.down is None:
            answer = await self.fake._get_updates(params)
        else:
            answer = self.fake._answer(method, chat_id, text, params)
        call = Call(method, token, chat_id, text, at, 0 if answer == DROP else answer[0], params,
                    via or "")
        self.fake.calls.append(call)
        await self.fake._notify()
        if method == "sendMessage" and self.fake._hold is not None:
            release, self.fake._hold = self.fake._hold, None
            self.fake.held.set()
            await release.wait()
            self.fake.held.clear()
        if answer == DROP:
            self.request.connection.close()
            return
        if self._gone:
            return
        status, body = answer
        self.set_status(status)
        if isinstance(body, bytes):
            self.set_header("Content-Type", "text/html")
            self.finish(body)
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(body))

    def _params(self) -> dict:
        """The call's parameters: PTB's HTTPXRequest posts them as a form
        (each value a string, non-strings JSON-encoded), multipart when a
        file is attached; others post JSON. Values that are JSON objects or
        arrays (``reply_markup``, ``allowed_updates``) come back decoded."""
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json"):
            raw = json.loads(self.request.body or b"{}")
        else:
            # Tornado parses urlencoded and multipart/form-data bodies alike.
            raw = {k: self.get_body_argument(k, strip=False) for k in self.request.body_arguments}
        params = {}
        for key, value in raw.items():
            if key in _JSON_PARAMETERS and isinstance(value, str):
                value = json.loads(value)
            params[key] = value if isinstance(value, (str, dict, list)) else json.dumps(value)
        return params

    def on_connection_close(self):
        self._gone = True  # the client gave up (a stopping bot cancels its long poll)


_JSON_PARAMETERS = frozenset({"reply_markup", "allowed_updates", "entities"})
