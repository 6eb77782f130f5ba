""""Did you meet?": the user's answer about one of their pairs (v1 and v2)."""

from unimatch import errors, feedback
from unimatch.handlers.base import BaseHandler
from unimatch.validation import MAX_ID
from unimatch.wire import load_pair_items, pair_items_v2


def pair_id(text: str) -> int:
    """A pair id from the path; anything that names no pair is :class:`NotFound`."""
    # The length first: int() refuses thousands of digits.
    if not (text.isascii() and text.isdecimal() and len(text) < 20 and 0 < int(text) < MAX_ID):
        raise errors.NotFound()
    return int(text)


class FeedbackHandler(BaseHandler):
    """v1: answers the pairs item, ``my_feedback`` included."""

    auth_required = True

    async def post(self, pair: str) -> None:
        s = self.services
        user_id = self.current_user["_id"]
        found = await feedback.answer(s.store, user_id, pair_id(pair), self.json_body(),
                                      self.today(), s.clock.timestamp())
        self.send_json(await self.item(user_id, found))

    async def item(self, user_id: int, pair: dict) -> dict:
        items = (await load_pair_items(self.services.store, {user_id: [pair]}, feedback=True))[user_id]
        if not items:  # the partner's account is gone
            raise errors.NotFound()
        return items[0]


class FeedbackV2Handler(FeedbackHandler):
    """v2: the same, with v2's pairs item."""

    async def item(self, user_id: int, pair: dict) -> dict:
        store = self.services.store
        users = await store.users.many(pair["members"])
        items = pair_items_v2(user_id, [pair], users, await store.hobbies.names(),
                              await store.feedback.for_user(user_id))
        if not items:
            raise errors.NotFound()
        return items[0]
