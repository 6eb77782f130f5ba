"""Password reset by email (v2 endpoints 14 and 15)."""

from unimatch.handlers.base import BaseHandler


class ResetPasswordHandler(BaseHandler):
    """Asks for a reset link: the same ``{}`` whether or not an account
    has the address."""

    async def post(self) -> None:
        own_origin = f"{self.request.protocol}://{self.request.host}"
        await self.services.reset.request(self.json_body(), self.client_address(), own_origin)
        self.send_json({})


class ResetPasswordConfirmHandler(BaseHandler):
    """Sets the new password with a link's ``uid`` and ``token``; the
    account's sessions end, and nobody is logged in."""

    async def post(self) -> None:
        await self.services.reset.confirm(self.json_body())
        self.send_json({})
