"""Which round notices go to Telegram, queued in the durable outbox that
the notifier delivers."""

import logging

from unimatch.clock import Clock
from unimatch.config import Config
from unimatch.store import Store
from unimatch.telegram.messages import match_message
from unimatch.telegram.reminders import reminders

logger = logging.getLogger(__name__)


class RoundNotices:
    """Queues one message per linked member of a round (``"<round>:<user>"``)
    and one "did you meet?" reminder, due three days later
    (``"feedback:<round>:<user>"``), so a retried round queues nothing twice."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock

    async def enqueue(self, number: int, groups: list[tuple[int, ...]],
                      hobbies: dict[int, frozenset[int]]) -> int:
        """Queue the notices of round ``number``; returns how many were new.
        The reminders are due three days after the round's pairs are
        announced (now), also when a round runs late."""
        linked = await self.store.users.linked()
        if not linked:
            return 0
        group_of = {m: g for g in groups for m in g if m in linked}
        partner_ids = {p for g in group_of.values() for p in g}
        users = {**await self.store.users.many(partner_ids - set(linked)), **linked}
        names = await self.store.hobbies.names()
        messages = [{
            "_id": f"{number}:{member}", "kind": "match", "chat_id": linked[member]["chat_id"],
            "user_id": member, "round": number,
            "text": match_message(linked[member],
                                  [users[p] for p in group if p != member and p in users],
                                  hobbies, names),
        } for member, group in group_of.items()]
        now = self.clock.timestamp()
        messages += reminders(number, now, {m: linked[m] for m in group_of},
                              await self.store.pairs.for_round(number), users)
        added = await self.store.outbox.enqueue(messages, now)
        if added:
            logger.info("round %d: %d Telegram messages queued", number, added)
        return added


def round_notices(config: Config, store: Store, clock: Clock) -> RoundNotices | None:
    """The notices rounds queue, or None without a bot token: notices queued
    then would go out weeks late once a token is configured."""
    if not config.telegram_bot_token:
        return None
    return RoundNotices(store, clock)
