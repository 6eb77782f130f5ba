"""Linking a Telegram account: the Login Widget (endpoint 6), and the
code for the bot's deep link."""

import datetime as dt

from unimatch import accounts, errors
from unimatch.handlers.base import BaseHandler
from unimatch.schedule import format_local
from unimatch.telegram import linking
from unimatch.telegram.login import verify_login
from unimatch.wire import user_json


class TelegramAuthHandler(BaseHandler):
    auth_required = True

    async def post(self) -> None:
        s = self.services
        token = s.config.telegram_bot_token
        if not token:
            raise errors.TelegramNotConfigured()
        payload = self.json_body()
        login = verify_login(payload, token, s.clock.timestamp())
        user = await accounts.link_telegram(s.store, self.current_user, login, payload.get("email"))
        self.send_json({"user": user_json(user)}, 201)


class LinkCodeHandler(BaseHandler):
    """A one-time code and the bot's deep link carrying it (v1 and v2)."""

    auth_required = True

    async def post(self) -> None:
        s = self.services
        username = s.config.telegram_bot_username
        if not s.config.telegram_bot_token or not username:
            raise errors.TelegramBotNotConfigured()
        link = await linking.issue(s.store, self.current_user["_id"], username, s.clock.timestamp())
        expires = dt.datetime.fromtimestamp(link.expires_at, dt.UTC)
        self.send_json({"code": link.code, "url": link.url,
                        "expires_at": format_local(expires, s.schedule.tz)}, 201)
