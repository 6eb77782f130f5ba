"""What goes into the mail outbox. Messages name their recipient and what
to say; the sender composes them when it sends (a reset link is made then,
so no usable link ever rests in the store)."""

import logging
import uuid

from unimatch.clock import Clock
from unimatch.mail.messages import is_placeholder
from unimatch.store import Store

logger = logging.getLogger(__name__)

RESET, ANNOUNCEMENT = "reset", "announcement"


class MailQueue:
    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    async def reset_request(self, address: str, link_base: str) -> None:
        """Queue a reset mail for ``address``, whether or not an account has
        it: the sender finds out, away from the request."""
        message = {"_id": f"{RESET}:{uuid.uuid4().hex}", "kind": RESET, "to": address,
                   "link_base": link_base}
        await self.store.mail.enqueue([message], self.clock.timestamp())

    async def announcement(self, subject: str, markup: str) -> int:
        """Queue one message to every account with a real address (not a
        placeholder); returns how many were queued."""
        batch = f"{ANNOUNCEMENT}:{uuid.uuid4().hex}"
        messages = [{"_id": f"{batch}:{user_id}", "kind": ANNOUNCEMENT, "to": address,
                     "user_id": user_id}
                    for user_id, address in await self.store.users.addresses()
                    if not is_placeholder(address)]
        queued = await self.store.mail.enqueue_shared(
            batch, {"subject": subject, "html": markup}, messages, self.clock.timestamp())
        logger.info("mail to everyone %s: %d messages queued", batch, queued)
        return queued
