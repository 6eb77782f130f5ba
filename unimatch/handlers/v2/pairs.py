"""v2's pairs: the current pair apart from the earlier ones."""

from unimatch.handlers.base import BaseHandler
from unimatch.wire import pairs_v2


class PairsHandler(BaseHandler):
    auth_required = True

    async def get(self) -> None:
        store = self.services.store
        user_id = self.current_user["_id"]
        pairs = await store.pairs.for_user(user_id)
        users = await store.users.many({m for pair in pairs for m in pair["members"]})
        latest = await store.rounds.current_number()
        names = await store.hobbies.names()
        answers = await store.feedback.for_user(user_id)
        self.send_json(pairs_v2(user_id, pairs, latest, users, names, answers))
