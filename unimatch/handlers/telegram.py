"""Linking a Telegram account (endpoint 6)."""

from unimatch import errors
from unimatch.handlers.base import BaseHandler
from unimatch.telegram.login import verify_login
from unimatch.validation import email_key
from unimatch.views import user_json


class TelegramAuthHandler(BaseHandler):
    auth_required = True

    async def post(self):
        s = self.services
        token = s.config.telegram_bot_token
        if not token:
            raise errors.TelegramNotConfigured()
        payload = self.json_body()
        chat_id = verify_login(payload, token, s.clock.timestamp())
        claimed = payload.get("email")
        # The original linked by this field alone; now the Bearer token
        # decides, and an email naming someone else is refused.
        if claimed and (not isinstance(claimed, str)
                        or email_key(claimed) != email_key(self.current_user["email"])):
            raise errors.TelegramEmailMismatch()
        user = await s.store.users.link_telegram(self.current_user["_id"], chat_id)
        self.send_json({"user": user_json(user)}, 201)
