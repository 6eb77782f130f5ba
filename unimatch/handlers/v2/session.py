"""v2's sign-in and session endpoints: the refresh token lives in an
HttpOnly cookie, and failures answer in v2's shapes (the web client shows
``error`` texts, and refreshes on every 401, so a 401 means only "the
access token is missing, bad or expired")."""

from unimatch import accounts, errors
from unimatch.auth import sessions
from unimatch.handlers.base import BaseHandler
from unimatch.handlers.cookies import ACCESS_COOKIE, REFRESH_COOKIE, clear_token_cookie, set_token_cookie
from unimatch.telegram.login import verify_login
from unimatch.validation import REQUIRED

BAD_CREDENTIALS = "Неверный email или пароль"
SIGN_IN_AGAIN = "Необходимо пройти авторизацию"
LOGOUT_FAILED = "Не получилось выйти из системы"
SIGNED_OUT = "Вы вышли из системы"
NO_ACCESS_COOKIE = "Access token not found"
TELEGRAM_OFF = "Telegram login is not configured on this server"


class SessionHandler(BaseHandler):
    """Hands out a session: the access token in the body, the refresh
    token in its cookie."""

    def start_session(self, tokens: dict, status: int = 200, **body: object) -> None:
        s = self.services
        set_token_cookie(self, s.config, REFRESH_COOKIE, tokens["refresh"],
                         s.config.refresh_lifetime, s.clock.now())
        self.send_json({**body, "access": tokens["access"]}, status)


class LoginHandler(SessionHandler):
    async def post(self) -> None:
        s = self.services
        try:
            user_id = await sessions.authenticate(s.store, s.hasher, s.login_throttle,
                                                  self.json_body(), self.client_address())
        except errors.BadCredentials:
            raise errors.ErrorMessage(BAD_CREDENTIALS) from None
        self.start_session(s.tokens.pair(user_id))


class RefreshHandler(SessionHandler):
    """The cookie is the credential; a body is ignored."""

    async def post(self) -> None:
        s = self.services
        self.refuse_foreign_origin()
        try:
            fresh = await sessions.refresh_with_grace(
                s.store, s.tokens, self.get_cookie(REFRESH_COOKIE), s.clock.timestamp(),
                s.config.refresh_grace)
        except errors.InvalidToken:
            raise errors.ErrorMessage(SIGN_IN_AGAIN, status=401) from None
        self.start_session(fresh)


class LogoutHandler(BaseHandler):
    async def post(self) -> None:
        s = self.services
        self.refuse_foreign_origin()
        token = self.get_cookie(REFRESH_COOKIE)
        if not token:
            raise errors.ErrorMessage(LOGOUT_FAILED)
        clear_token_cookie(self, s.config, REFRESH_COOKIE)  # whatever the token was
        try:
            await sessions.logout(s.store, s.tokens, token)
        except errors.InvalidToken:
            # Answered here, not raised: an error answer would drop the cookie.
            self.send_json({"error": LOGOUT_FAILED}, 400)
            return
        self.send_json({"signout": SIGNED_OUT})


class VerifyHandler(BaseHandler):
    async def post(self) -> None:
        s = self.services
        token = self.json_body().get("token")
        if token is None:
            raise errors.FieldErrors({"token": [REQUIRED]})
        try:
            await sessions.verify(s.store, s.tokens, token)
        except errors.TokenBlacklisted:
            raise errors.FieldErrors({"non_field_errors": [sessions.BLACKLISTED]}) from None
        self.send_json({})


class AccessFromCookieHandler(BaseHandler):
    """Gives script the access token of the ``access_token`` cookie (sign-ins
    that end in a redirect cannot hand it over otherwise): allowed origins only."""

    async def get(self) -> None:
        s = self.services
        self.refuse_foreign_origin()
        token = self.get_cookie(ACCESS_COOKIE)
        if not token:
            raise errors.ErrorMessage(NO_ACCESS_COOKIE)
        try:
            await sessions.user_for_access_token(s.store, s.tokens, token)
        except errors.InvalidToken:
            raise errors.ErrorMessage(SIGN_IN_AGAIN, status=401) from None
        self.send_json({"access": token})


class TelegramSignInHandler(SessionHandler):
    """Signs in with Telegram alone, making an account on first use."""

    async def post(self) -> None:
        s = self.services
        if not s.config.telegram_bot_token:
            raise errors.ErrorMessage(TELEGRAM_OFF, status=503)
        payload = self.json_body()
        login = verify_login(payload, s.config.telegram_bot_token, s.clock.timestamp())
        user = await accounts.sign_in_with_telegram(s.store, login, payload, s.clock.timestamp())
        tokens = s.tokens.pair(user["_id"])
        set_token_cookie(self, s.config, ACCESS_COOKIE, tokens["access"], s.config.access_lifetime,
                         s.clock.now())
        self.start_session(tokens)
