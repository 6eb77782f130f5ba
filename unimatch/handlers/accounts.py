"""Registration, tokens and the current user (contract endpoints 1-5)."""

from unimatch import accounts
from unimatch.auth import sessions
from unimatch.handlers.base import BaseHandler
from unimatch.wire import user_json


class RegisterHandler(BaseHandler):
    async def post(self) -> None:
        s = self.services
        user = await accounts.register(s.store, s.hasher, self.json_body(), s.clock.now(),
                                       self.today())
        self.send_json({"user": user_json(user), **s.tokens.pair(user["_id"])}, 201)


class TokenHandler(BaseHandler):
    async def post(self) -> None:
        s = self.services
        user_id = await sessions.authenticate(s.store, s.hasher, s.login_throttle,
                                              self.json_body(), self.client_address())
        self.send_json(s.tokens.pair(user_id))


class TokenRefreshHandler(BaseHandler):
    async def post(self) -> None:
        s = self.services
        self.send_json(await sessions.rotate(s.store, s.tokens, self.json_body()))


class TokenBlacklistHandler(BaseHandler):
    async def post(self) -> None:
        s = self.services
        await sessions.revoke(s.store, s.tokens, self.json_body())
        self.send_json({})


class MeHandler(BaseHandler):
    auth_required = True

    def get(self) -> None:
        self.send_json(user_json(self.current_user))

    def post(self) -> None:
        self.get()

    async def patch(self) -> None:
        user = await accounts.update_profile(
            self.services.store, self.current_user["_id"], self.json_body(), self.today())
        self.send_json(user_json(user))
