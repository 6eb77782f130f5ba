"""The one base class: body parsing, authentication, CORS and JSON errors."""

import datetime as dt
import json
import logging
import re
from asyncio import Future
from types import TracebackType
from typing import Any, NoReturn

import tornado.httputil
import tornado.routing
import tornado.web

from unimatch import errors
from unimatch.auth.sessions import user_for_access_token
from unimatch.handlers.http_errors import (
    BodyTooLarge,
    HeadersTooLarge,
    TooLarge,
    UnsupportedMediaType,
    error_response,
)
from unimatch.services import Services

logger = logging.getLogger(__name__)

BAD_HEADER = "Authorization header must contain two space-delimited values"
MAX_BODY = 1024 * 1024
MAX_HEADERS = 64 * 1024
JSON_TYPE = "application/json; charset=utf-8"
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# application/json and the structured +json types (merge-patch+json, vnd.api+json...).
_JSON_MEDIA_TYPE = re.compile(r"application/(?:[^/\s;]+\+)?json")


def finish_json(handler: tornado.web.RequestHandler, payload: object, status: int) -> "Future[None]":
    """Answer ``payload`` as the contract's JSON with ``status``."""
    handler.set_status(status)
    handler.set_header("Content-Type", JSON_TYPE)
    handler.set_header("Cache-Control", "no-store")
    return handler.finish(json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def write_json_error(handler: tornado.web.RequestHandler, status_code: int, **kwargs: Any) -> None:
    """``write_error`` for any handler: the contract's status and body."""
    exc = kwargs.get("exc_info", (None, None, None))[1]
    status, body = error_response(exc, status_code, handler.request.method or "")
    finish_json(handler, body, status)


def is_json(content_type: str) -> bool:
    """Whether a ``Content-Type`` header value names JSON (parameters aside)."""
    media_type = content_type.partition(";")[0].strip().lower()
    return _JSON_MEDIA_TYPE.fullmatch(media_type) is not None


@tornado.web.stream_request_body
class BaseHandler(tornado.web.RequestHandler):
    """Handlers parse, authorise, call the store or a domain function, answer.

    The body is streamed so an oversized one is refused with 413 before it
    is read (Tornado would otherwise drop the connection without an answer).

    ``auth_required``: whether every method needs a valid access token;
    the user document is then ``self.current_user``.

    Refusals judged from the headers alone (413 from ``Content-Length``,
    401) happen in :meth:`prepare`, before the body is read; Tornado then
    closes the connection, and the answer says ``Connection: close``. Every
    other error is raised by the handler's method, once the body is read,
    and leaves the connection usable."""

    auth_required = False

    def initialize(self, services: Services, v2: bool = False, route: str = "unmatched") -> None:
        """``v2``: the handler answers a v2 path (its few rules of its own).
        ``route``: the path pattern it serves, its requests' label in the
        metrics (never the path itself: one series per route, not per id)."""
        self.services = services
        self.v2 = v2
        self.route = route
        self._body = bytearray()
        self._body_overflow = False
        self._before_body = True  # until prepare() has let the request through
        services.inflight.started()
        self._counted = True

    def on_finish(self) -> None:
        self._uncount()

    def on_connection_close(self) -> None:
        # A client that hangs up mid-upload, or a body whose framing Tornado
        # refuses, never reaches finish(). Tornado's part ends the handler's
        # wait for the body; without it the handler would wait forever.
        super().on_connection_close()
        self._uncount()

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            self.services.inflight.finished()

    # -- request lifecycle -------------------------------------------------

    async def prepare(self) -> None:
        self._set_cors_headers()
        if self.request.method != "OPTIONS":
            declared = self.request.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_BODY:
                raise BodyTooLarge(MAX_BODY)
            if self.auth_required and self.request.method in self._allowed_methods():
                self.current_user = await self._authenticate()
        self._before_body = False

    def data_received(self, chunk: bytes) -> None:
        if len(self._body) + len(chunk) > MAX_BODY:
            self._body_overflow = True  # chunked upload past the limit
            return
        self._body.extend(chunk)

    def options(self, *args: str) -> None:
        self.set_status(204)
        self.finish()

    # -- helpers for handlers ----------------------------------------------

    def json_body(self) -> dict:
        """The request body as a JSON object; ``{}`` when empty, whatever
        its type. A body must say it is JSON (as DRF's JSONParser wants),
        which also keeps cross-site forms and ``text/plain`` posts out."""
        if self._body_overflow:
            raise BodyTooLarge(MAX_BODY)
        raw = bytes(self._body).strip()
        if not raw:
            return {}
        content_type = self.request.headers.get("Content-Type", "")
        if not is_json(content_type):
            raise UnsupportedMediaType(content_type)
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
            # "\ud800" is a legal escape but not text: refuse it here rather
            # than fail later in bcrypt, PyJWT or BSON (UnicodeEncodeError).
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeError, ValueError, RecursionError) as exc:
            raise errors.BadRequest(f"JSON parse error - {exc}") from None
        if not isinstance(data, dict):
            raise errors.NotAnObject(
                f"Invalid data. Expected a dictionary, but got {type(data).__name__}.")
        return data

    def today(self) -> dt.date:
        """Today's date in the service time zone."""
        return self.services.clock.now().astimezone(self.services.schedule.tz).date()

    def client_address(self) -> str:
        """Who is asking: the peer's address, or with ``--trust-proxy`` the
        address the (one, trusted) proxy in front says it forwarded for."""
        if self.services.config.trust_proxy:
            forwarded = self.request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
            if forwarded:
                return forwarded
        return self.request.remote_ip or ""

    def refuse_foreign_origin(self) -> None:
        """For endpoints that act on cookies: a browser request from an
        origin that is not allowed gets :class:`ForeignOrigin` (403), so no
        other site can make a visitor's browser refresh or read tokens."""
        origin = self.request.headers.get("Origin")
        if origin is not None and not self.services.origins.allowed(origin, self.request.host):
            raise errors.ForeignOrigin()

    async def require_staff(self) -> None:
        """Raise :class:`PermissionDenied` unless the user is staff, as the
        store says now: the request's user may be this process's copy, a
        second behind a change another process made (``unimatch
        create-admin`` run a moment ago, or staff taken away)."""
        user = await self.services.store.users.get(self.current_user["_id"], fresh=True)
        if user is None or not user.get("is_staff"):
            raise errors.PermissionDenied()

    def send_json(self, payload: object, status: int = 200) -> None:
        finish_json(self, payload, status)

    # -- errors ------------------------------------------------------------

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, body = error_response(exc, status_code, self.request.method or "")
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            self.set_header("Retry-After", str(retry_after))
        if status == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="api"')
        if status == 405:
            self.set_header("Allow", ", ".join(self._allowed_methods() + ["OPTIONS"]))
        if isinstance(exc, errors.ServiceUnavailable) and exc.retry_after is not None:
            self.set_header("Retry-After", str(exc.retry_after))
        if self._before_body:
            # Tornado closes a connection whose request it has not read to
            # the end; a keep-alive client not told so sends its next
            # request into a closing socket.
            self.set_header("Connection", "close")
        self._set_cors_headers()
        self.send_json(body, status)

    def log_exception(self, typ: type[BaseException] | None, value: BaseException | None,
                      tb: TracebackType | None) -> None:
        if isinstance(value, errors.StoreUnavailable):
            logger.error("%s %s: database unavailable: %s", self.request.method,
                         self.request.path, value)
        elif isinstance(value, (errors.UniMatchError, TooLarge, UnsupportedMediaType)):
            logger.debug("%s %s: %r", self.request.method, self.request.path, value)
        else:
            super().log_exception(typ, value, tb)

    # -- internals ---------------------------------------------------------

    async def _authenticate(self) -> dict:
        header = self.request.headers.get("Authorization", "")
        parts = header.split()
        if not parts or parts[0].lower() != "bearer":
            raise errors.NotAuthenticated()
        if len(parts) != 2:
            # v1 answered this like any bad token; v2 (SimpleJWT's own
            # wording) names the malformed header.
            if self.v2:
                raise errors.InvalidToken(BAD_HEADER, code="bad_authorization_header")
            raise errors.InvalidToken()
        return await user_for_access_token(self.services.store, self.services.tokens, parts[1])

    def _allowed_methods(self) -> list[str]:
        return [m for m in _METHODS
                if getattr(type(self), m.lower()) is not getattr(tornado.web.RequestHandler, m.lower())]

    def _set_cors_headers(self) -> None:
        origin = self.request.headers.get("Origin")
        if not origin or not self.services.origins.allowed(origin, self.request.host):
            return
        # Echoed, never "*", and with credentials: browsers show a
        # credentialed answer (the web client sends its cookie every time),
        # errors and preflights included, only with both.
        self.set_header("Access-Control-Allow-Origin", origin)
        self.set_header("Access-Control-Allow-Credentials", "true")
        self.set_header("Vary", "Origin")
        self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.set_header("Access-Control-Allow-Methods", ", ".join(self._allowed_methods() + ["OPTIONS"]))
        self.set_header("Access-Control-Max-Age", "86400")


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not valid JSON")


class NotFoundHandler(BaseHandler):
    """Unknown paths: the contract's JSON 404 for every method, answered
    once the body is read so that the connection stays usable."""

    def _not_found(self, *args: str, **kwargs: str) -> None:
        raise errors.NotFound()

    get = post = put = patch = delete = head = _not_found


class OversizedHeaders(tornado.routing.Matcher):
    """Matches a request whose header fields exceed ``MAX_HEADERS`` bytes,
    whatever its path, so it can be refused before any handler reads them.
    (The HTTP server reads headers up to a larger hard limit.)"""

    def match(self, request: tornado.httputil.HTTPServerRequest) -> dict[str, Any] | None:
        size = sum(len(name) + len(value) + 4 for name, value in request.headers.get_all())
        return {} if size > MAX_HEADERS else None


class HeadersTooLargeHandler(BaseHandler):
    """The JSON 431 for requests matched by :class:`OversizedHeaders`."""

    async def prepare(self) -> None:
        raise HeadersTooLarge(MAX_HEADERS)
