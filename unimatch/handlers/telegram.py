"""Linking a Telegram account (endpoint 6)."""

from unimatch import accounts, errors
from unimatch.handlers.base import BaseHandler
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
