"""Hobbies (the contract's tags), endpoints 8-11."""

from unimatch import accounts
from unimatch.handlers.base import BaseHandler


class MyHobbiesHandler(BaseHandler):
    auth_required = True

    async def get(self) -> None:
        hobbies = await self.services.store.hobbies.by_ids(self.current_user.get("hobby", []))
        self.send_json([h["name"] for h in hobbies])

    async def patch(self) -> None:
        ids = await accounts.replace_hobbies(
            self.services.store, self.current_user["_id"], self.json_body())
        self.send_json(ids)


class AllHobbiesHandler(BaseHandler):
    # Public: a registering client needs the list before it has a token.
    async def get(self) -> None:
        self.send_json(await self.services.store.hobbies.current())


class HobbyTotalHandler(BaseHandler):
    auth_required = True

    async def get(self) -> None:
        everything = await self.services.store.hobbies.current()
        mine = set(self.current_user.get("hobby", []))
        self.send_json({"user_tags": [h for h in everything if h["id"] in mine],
                        "all_tags": everything})
