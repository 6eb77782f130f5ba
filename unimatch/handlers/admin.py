"""Staff operations (the original's admin API)."""

from unimatch import stats
from unimatch.handlers.base import BaseHandler


class CreatePairsHandler(BaseHandler):
    """Runs a matching round now and answers with its summary."""

    auth_required = True

    async def post(self) -> None:
        await self.require_staff()
        summary = await self.services.rounds.run_now()
        self.send_json(summary, 201)


class StatsHandler(BaseHandler):
    """Per finished round, the latest first: its figures and the share of
    "did you meet?" answers (see :func:`unimatch.stats.stats_row`)."""

    auth_required = True

    async def get(self) -> None:
        await self.require_staff()
        self.send_json(await stats.round_stats(self.services.store))
