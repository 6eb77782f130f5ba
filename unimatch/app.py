"""The routes and the Tornado application serving them."""

import functools
import pathlib
import re

import tornado.routing
import tornado.web

from unimatch.handlers import v2
from unimatch.handlers.access_log import log_request
from unimatch.handlers.accounts import (
    MeHandler,
    RegisterHandler,
    TokenBlacklistHandler,
    TokenHandler,
    TokenRefreshHandler,
)
from unimatch.handlers.admin import CreatePairsHandler, StatsHandler
from unimatch.handlers.base import HeadersTooLargeHandler, NotFoundHandler, OversizedHeaders
from unimatch.handlers.blocks import BlockHandler, BlocksHandler
from unimatch.handlers.countdown import CountdownHandler
from unimatch.handlers.feedback import FeedbackHandler
from unimatch.handlers.health import HealthHandler
from unimatch.handlers.hobbies import AllHobbiesHandler, HobbyTotalHandler, MyHobbiesHandler
from unimatch.handlers.meta import SchemaHandler
from unimatch.handlers.metrics import MetricsHandler
from unimatch.handlers.page import ApiReferenceHandler, PageHandler, StaticHandler, StatsPageHandler
from unimatch.handlers.pairs import PairsHandler
from unimatch.handlers.telegram import LinkCodeHandler, TelegramAuthHandler
from unimatch.metrics import Metrics
from unimatch.services import Services
from unimatch.wiring import Realtime
from unimatch.ws.handler import MAX_MESSAGE, SocketHandler

ROUTES = (
    ("users/api/register/", RegisterHandler),
    ("api/token/", TokenHandler),
    ("api/token/refresh/", TokenRefreshHandler),
    ("api/token/blacklist/", TokenBlacklistHandler),
    ("auth/users/me/", MeHandler),
    ("users/api/tg-auth/", TelegramAuthHandler),
    ("users/api/pairs/", PairsHandler),
    ("users/api/pairs/([^/]+)/feedback/", FeedbackHandler),
    ("users/api/tg-link-code/", LinkCodeHandler),
    ("users/api/hobby/", MyHobbiesHandler),
    ("users/api/hobby/all/", AllHobbiesHandler),
    ("users/api/hobby/total/", HobbyTotalHandler),
    ("users/api/days-to-match/", CountdownHandler),
    ("api/schema/", SchemaHandler),
    ("admin-api/create-pairs/", CreatePairsHandler),
    ("users/api/blocks/", BlocksHandler),
    ("users/api/blocks/([^/]+)/", BlockHandler),
    ("admin-api/stats/", StatsHandler),
)

#: For operators, outside the API's versions.
OPERATOR_ROUTES = (
    ("healthz", HealthHandler),
    ("metrics", MetricsHandler),
)


def route(path: str) -> str:
    """The contract's path, with its trailing slash optional (no redirect)."""
    return "/" + path.strip("/") + "/?"


def route_label(path: str) -> str:
    """A route's name in the metrics: its path with ``*`` for each segment
    that varies (``/users/api/blocks/*/``)."""
    return "/" + re.sub(r"\(?\[\^/\]\+\)?", "*", path)


PACKAGE_DIR = pathlib.Path(__file__).resolve().parent

# The HTTP server's max_header_size (server.py). Tornado drops a connection
# whose headers exceed it without answering, so it sits well above the
# 64 KiB past which OversizedHeaders answers a JSON 431.
MAX_HEADER_BLOCK = 1024 * 1024


def make_app(services: Services, realtime: Realtime | None = None) -> tornado.web.Application:
    """The application; with ``realtime``, also its WebSocket endpoint."""
    args: dict[str, object] = {"services": services}

    def served(path: str, **extra: object) -> dict[str, object]:
        return {**args, **extra, "route": route_label(path)}

    handlers: list[tuple[str | tornado.routing.Matcher, type[tornado.web.RequestHandler],
                         dict[str, object]]] = [
        (OversizedHeaders(), HeadersTooLargeHandler, {**args, "route": "oversized-headers"})]
    # v2 first: with --v2-prefix "" its api/token/... paths replace v1's.
    prefix = services.config.v2_prefix
    handlers += [(route(prefix + path), handler, served(prefix + path, v2=True))
                 for path, handler in v2.ROUTES]
    handlers += [(route(path), handler, served(path)) for path, handler in ROUTES]
    handlers += [(route(path), handler, served(path)) for path, handler in OPERATOR_ROUTES]
    handlers.append((r"/", PageHandler, served("")))
    # Where reset mails link to when no web client URL is configured: the page
    # reads the uid and token from its own address.
    reset_page = "password-reset/[^/]+/[^/]+/"
    handlers.append((route(reset_page), PageHandler, served(reset_page)))
    # The API reference for people; the OpenAPI file stays at api/schema/.
    handlers.append((route("docs/api/"), ApiReferenceHandler, served("docs/api/")))
    # The organisers' figures, for staff (the API checks; the page just asks).
    handlers.append((route("stats/"), StatsPageHandler, served("stats/")))
    if realtime is not None:
        handlers.append((route("ws/"), SocketHandler,
                         {**args, "hub": realtime.hub, "ticker": realtime.ticker}))
    return tornado.web.Application(
        handlers,
        default_handler_class=NotFoundHandler,
        default_handler_args=args,
        log_function=functools.partial(_finished, services.metrics),
        compress_response=True,
        # Pings find sockets whose client vanished without closing them.
        # (Tornado caps the timeout at the interval, with a warning, if longer.)
        websocket_ping_interval=20,
        websocket_ping_timeout=20,
        websocket_max_message_size=MAX_MESSAGE,
        static_path=str(PACKAGE_DIR / "static"),
        template_path=str(PACKAGE_DIR / "templates"),
        static_url_prefix="/static/",
        static_handler_class=StaticHandler,
    )


def _finished(metrics: Metrics, handler: tornado.web.RequestHandler) -> None:
    """Every answer: its access log line and its count and time in the
    metrics, under its route (handlers of Tornado's own have none)."""
    log_request(handler)
    status = handler.get_status()
    if status == 101:
        return  # a WebSocket: the open-socket gauge counts those, not the request timer
    metrics.request_finished(getattr(handler, "route", "other"), handler.request.method or "",
                             status, handler.request.request_time())
