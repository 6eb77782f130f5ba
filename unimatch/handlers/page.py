"""The browser client's page and its static files."""

import json
from typing import Any

import tornado.web

from unimatch.handlers.base import BaseHandler
from unimatch.handlers.http_errors import error_response


class PageHandler(BaseHandler):
    """Renders ``templates/index.html``: asset URLs carry a content hash
    (``static_url``) so browsers never run a stale script after an upgrade."""

    def get(self) -> None:
        self.set_header("Cache-Control", "no-cache")
        self.render("index.html", bot_username=self.services.config.telegram_bot_username or "")


class StaticHandler(tornado.web.StaticFileHandler):
    """Static files; their errors are the contract's JSON like every other answer."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, body = error_response(exc, status_code, self.request.method)
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body))
