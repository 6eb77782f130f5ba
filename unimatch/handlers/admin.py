"""Staff operations (the original's admin API)."""

from unimatch import errors
from unimatch.handlers.base import BaseHandler


class CreatePairsHandler(BaseHandler):
    """Runs a matching round now and answers with its summary."""

    auth_required = True

    async def post(self) -> None:
        if not self.current_user.get("is_staff"):
            raise errors.PermissionDenied()
        summary = await self.services.rounds.run_now()
        self.send_json(summary, 201)
