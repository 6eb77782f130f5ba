"""v2's pairs: the current pair apart from the earlier ones."""

import asyncio

from unimatch.handlers.base import BaseHandler
from unimatch.wire import pairs_v2


class PairsHandler(BaseHandler):
    auth_required = True

    async def get(self) -> None:
        store = self.services.store
        user_id = self.current_user["_id"]
        pairs = await store.pairs.for_user(user_id)
        users: dict[int, dict] = {}
        answers: dict[int, dict] = {}
        if pairs:  # the partners and the user's answers, in one round trip
            users, answers = await asyncio.gather(
                store.users.many({m for pair in pairs for m in pair["members"]}),
                store.feedback.for_user(user_id))
        latest = await store.rounds.current_number(max((p["round"] for p in pairs), default=None))
        names = await store.hobbies.names()
        self.send_json(pairs_v2(user_id, pairs, latest, users, names, answers))
