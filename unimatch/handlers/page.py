"""The browser client's page and its static files."""

import base64
import hashlib
from typing import Any

import tornado.escape
import tornado.web

from unimatch.handlers.base import BaseHandler, write_json_error

# Every module the entry point imports, directly or not: one list for the
# import map and the preload links. Modules import each other as "./api.js";
# the map sends those imports to the same content-hashed URLs as the entry
# point, so a browser never mixes a fresh entry module with a stale cached
# api.js after an upgrade. A module missing here still loads, but by its
# bare URL, without that guarantee and without the preload.
MODULES = ("api.js", "connection-status.js", "countdown.js", "dashboard.js", "date-field.js",
           "format.js", "forms.js", "landing.js", "match-board.js", "matches.js",
           "password-reset.js", "server-messages.js", "socket.js", "telegram.js",
           "telegram-nick.js")

TELEGRAM_WIDGET = "https://telegram.org"  # the Login Widget's script
TELEGRAM_OAUTH = "https://oauth.telegram.org"  # the frame it puts on the page


class PageHandler(BaseHandler):
    """Renders ``templates/index.html``, at ``/`` and at the reset links
    mailed without a web client URL (``/password-reset/<uid>/<token>``,
    which the page reads from its address). Asset URLs carry a content
    hash (``static_url``) so browsers never run a stale script after an
    upgrade.

    The page runs no script of its own but its modules: the one inline
    element, the import map, is allowed by its hash in the
    Content-Security-Policy."""

    def get(self) -> None:
        importmap = tornado.escape.json_encode(
            {"imports": {self.static_url(name, include_version=False): self.static_url(name)
                         for name in MODULES}})
        bot_username = self.services.config.telegram_bot_username or ""
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Content-Security-Policy", _policy(importmap, telegram=bool(bot_username)))
        self.set_header("X-Content-Type-Options", "nosniff")
        # Telegram's login frame checks the Referer against the bot's domain,
        # so other sites get our origin (never a path); that is all they get.
        self.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
        # The page speaks v2 wherever the server serves it (--v2-prefix).
        v2_base = "/" + self.services.config.v2_prefix
        self.render("index.html", bot_username=bot_username, v2_base=v2_base, importmap=importmap,
                    modules=MODULES)


def _policy(importmap: str, telegram: bool) -> str:
    """The page's Content-Security-Policy. ``connect-src 'self'`` covers the
    API and the socket (ws:/wss: on the same host). The Login Widget, when a
    bot is configured, loads from telegram.org, frames oauth.telegram.org
    and turns its ``data-onauth`` attribute into a function with ``eval``."""
    digest = base64.b64encode(hashlib.sha256(importmap.encode()).digest()).decode()
    scripts = ["'self'", f"'sha256-{digest}'"]
    directives = {
        "default-src": ["'none'"],
        "script-src": scripts,
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
    if telegram:
        scripts += [TELEGRAM_WIDGET, "'unsafe-eval'"]
        directives["frame-src"] = [TELEGRAM_OAUTH]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class StaticHandler(tornado.web.StaticFileHandler):
    """Static files; their errors are the contract's JSON like every other answer."""

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        # No file name holds a NUL, and os.path.realpath raises on one.
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        write_json_error(self, status_code, **kwargs)
