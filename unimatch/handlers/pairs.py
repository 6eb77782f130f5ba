"""The user's match history (endpoint 7)."""

from unimatch.handlers.base import BaseHandler
from unimatch.wire import load_pair_items


class PairsHandler(BaseHandler):
    auth_required = True

    async def get(self) -> None:
        user_id = self.current_user["_id"]
        pairs = await self.services.store.pairs.for_user(user_id)
        items = await load_pair_items(self.services.store, {user_id: pairs}, feedback=True)
        self.send_json(items[user_id])
