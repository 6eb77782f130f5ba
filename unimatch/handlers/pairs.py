"""The user's match history (endpoint 7)."""

from unimatch.handlers.base import BaseHandler
from unimatch.pairs_view import load_pair_items


class PairsHandler(BaseHandler):
    auth_required = True

    async def get(self):
        pairs = await self.services.store.pairs.for_user(self.current_user["_id"])
        self.send_json(await load_pair_items(self.services.store, self.current_user["_id"], pairs))
