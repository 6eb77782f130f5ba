"""The browser client's page and its static files."""

import base64
import functools
import hashlib
import pathlib
import re
from typing import Any

import tornado.escape
import tornado.web
from markdown_it import MarkdownIt
from markdown_it.token import Token

from unimatch import errors
from unimatch.handlers.base import BaseHandler, write_json_error

# Every module the entry point imports, directly or not: one list for the
# import map and the preload links. Modules import each other as "./api.js";
# the map sends those imports to the same content-hashed URLs as the entry
# point, so a browser never mixes a fresh entry module with a stale cached
# api.js after an upgrade. A module missing here still loads, but by its
# bare URL, without that guarantee and without the preload.
MODULES = ("api.js", "blocks.js", "connection-status.js", "countdown.js", "dashboard.js",
           "date-field.js", "feedback.js", "format.js", "forms.js", "landing.js", "match-board.js",
           "matches.js", "password-reset.js", "pause.js", "server-messages.js", "socket.js",
           "telegram.js", "telegram-nick.js")
# The staff's stats page (stats.html): its entry point and what that imports.
STATS_MODULES = ("api.js", "date-field.js", "format.js", "server-messages.js", "stats-chart.js",
                 "stats-table.js", "telegram-nick.js")

TELEGRAM_WIDGET = "https://telegram.org"  # the Login Widget's script
TELEGRAM_OAUTH = "https://oauth.telegram.org"  # the frame it puts on the page

# The API reference, beside the OpenAPI file (handlers/meta.py).
REFERENCE_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "api.md"
# Where the reference's relative links point on the site, not in the repository.
REFERENCE_LINKS = {"openapi.yaml": "/api/schema/"}


class PageHandler(BaseHandler):
    """Renders ``templates/index.html``, at ``/`` and at the reset links
    mailed without a web client URL (``/password-reset/<uid>/<token>``,
    which the page reads from its address). Asset URLs carry a content
    hash (``static_url``) so browsers never run a stale script after an
    upgrade.

    The page runs no script of its own but its modules: the one inline
    element, the import map, is allowed by its hash in the
    Content-Security-Policy."""

    template = "index.html"
    modules: tuple[str, ...] = MODULES
    login_widget = True  # embedded when a bot is configured

    def get(self) -> None:
        importmap = tornado.escape.json_encode(
            {"imports": {self.static_url(name, include_version=False): self.static_url(name)
                         for name in self.modules}})
        bot_username = self.services.config.telegram_bot_username or ""
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Content-Security-Policy",
                        _policy(importmap, telegram=bool(bot_username) and self.login_widget))
        self.set_header("X-Content-Type-Options", "nosniff")
        # Telegram's login frame checks the Referer against the bot's domain,
        # so other sites get our origin (never a path); that is all they get.
        self.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
        # The page speaks v2 wherever the server serves it (--v2-prefix).
        v2_base = "/" + self.services.config.v2_prefix
        self.render(self.template, bot_username=bot_username, v2_base=v2_base,
                    importmap=importmap, modules=self.modules)


class StatsPageHandler(PageHandler):
    """``templates/stats.html`` at ``/stats/``: the organisers' figures per
    round (``admin-api/stats/``), as a table and a chart the page draws
    itself. The page is the same for everyone and holds no figures: the
    API decides who sees them (staff), and the page says so politely to
    anyone else. It has no Login Widget, so Telegram is never allowed in."""

    template = "stats.html"
    modules = STATS_MODULES
    login_widget = False


class ApiReferenceHandler(BaseHandler):
    """``docs/api.md``, the API reference, as a page of the site (at
    ``/docs/api/``, which the page's footer links): rendered from the same
    file the repository keeps, styled by the site's stylesheet, under the
    page's policy with no script at all. The OpenAPI file stays at
    ``/api/schema/``, and the reference's link to it leads there."""

    def get(self) -> None:
        try:
            modified = REFERENCE_PATH.stat().st_mtime_ns
        except FileNotFoundError:
            raise errors.NotFound() from None
        self.set_header("Cache-Control", "no-cache")
        self.set_header("Content-Security-Policy", _policy(None))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "strict-origin-when-cross-origin")
        self.render("api.html", body=_reference_html(modified))


@functools.lru_cache(maxsize=1)
def _reference_html(modified: int) -> str:
    """The reference as HTML, rendered once per version of the file
    (``modified``, its mtime, is the cache key). CommonMark with tables;
    raw HTML in the file is shown as text, never passed through."""
    markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    tokens = markdown.parse(REFERENCE_PATH.read_text(encoding="utf-8"))
    _name_headings(tokens)
    _site_links(tokens)
    return markdown.renderer.render(tokens, markdown.options, {})


def _name_headings(tokens: list[Token]) -> None:
    """Give each heading the id GitHub gives it, which the reference's own
    contents and cross-references link to (``#61-post-usersapiregister``)."""
    seen: dict[str, int] = {}
    for opening, inline in zip(tokens, tokens[1:], strict=False):
        if opening.type != "heading_open":
            continue
        text = "".join(child.content for child in inline.children or ()
                       if child.type in ("text", "code_inline"))
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        opening.attrSet("id", f"{slug}-{count}" if count else slug)


def _site_links(tokens: list[Token]) -> None:
    """Relative links to files beside the reference, to where the site serves them."""
    for token in tokens:
        for child in token.children or ():
            target = REFERENCE_LINKS.get(str(child.attrGet("href") or ""))
            if child.type == "link_open" and target:
                child.attrSet("href", target)


def _policy(importmap: str | None, telegram: bool = False) -> str:
    """A page's Content-Security-Policy; ``importmap`` None for a page that
    runs no script at all. ``connect-src 'self'`` covers the API and the
    socket (ws:/wss: on the same host). The Login Widget, when a bot is
    configured, loads from telegram.org, frames oauth.telegram.org and
    turns its ``data-onauth`` attribute into a function with ``eval``."""
    if importmap is None:
        scripts = ["'none'"]
    else:
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

    route = "/static/"  # the requests' label in the metrics

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        # No file name holds a NUL, and os.path.realpath raises on one.
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        write_json_error(self, status_code, **kwargs)
