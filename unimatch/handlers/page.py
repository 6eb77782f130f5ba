"""The browser client's page."""

from unimatch.handlers.base import BaseHandler


class PageHandler(BaseHandler):
    """Renders ``templates/index.html``: asset URLs carry a content hash
    (``static_url``) so browsers never run a stale script after an upgrade."""

    def get(self):
        self.set_header("Cache-Control", "no-cache")
        self.render("index.html", bot_username=self.services.config.telegram_bot_username or "")
