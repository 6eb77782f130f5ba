"""The block list: people the current user never wants to be matched with
again (both API versions: the same bodies and DRF-style errors)."""

from unimatch import blocks, validation
from unimatch.handlers.base import BaseHandler


class BlocksHandler(BaseHandler):
    """GET: the list, the latest block first. POST ``{"user": id}``: block
    a past partner; 201 with the item, 200 with it when already blocked."""

    auth_required = True

    async def get(self) -> None:
        self.send_json(await blocks.blocked_list(self.services.store, self.current_user["_id"]))

    async def post(self) -> None:
        s = self.services
        item, created = await blocks.block(s.store, self.current_user["_id"], self.json_body(),
                                           s.clock.timestamp())
        self.send_json(item, 201 if created else 200)


class BlockHandler(BaseHandler):
    """DELETE: lift one block; 204, or 404 when there is no such block."""

    auth_required = True

    async def delete(self, other: str) -> None:
        await blocks.unblock(self.services.store, self.current_user["_id"],
                             validation.id_in_path(other))
        self.set_status(204)
        self.set_header("Cache-Control", "no-store")
        await self.finish()
