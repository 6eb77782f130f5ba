"""New-match alerts: every server watches the database for finished
rounds (whoever ran them) and tells its own connected users."""

import json
import logging

from unimatch.views import pair_items

logger = logging.getLogger(__name__)


class MatchAlerts:
    def __init__(self, store, hub):
        self.store = store
        self.hub = hub
        self.last_seen: int | None = None  # completion sequence, not round number

    async def start(self) -> None:
        """Remember the rounds finished before now: they are not news."""
        self.last_seen = await self.store.rounds.last_finished_seq()

    async def poll(self) -> int:
        """Alert connected users of every round finished since the last
        poll; returns how many alerts were sent."""
        if self.last_seen is None:
            await self.start()
        sent = 0
        for round_doc in await self.store.rounds.finished_after(self.last_seen):
            sent += await self._announce(round_doc["number"])
            self.last_seen = round_doc["finished_seq"]
        return sent

    async def check(self) -> None:
        """The periodic entry point: log, never raise."""
        try:
            await self.poll()
        except Exception:
            logger.exception("match alert poll failed; will retry")

    async def _announce(self, number: int) -> int:
        online = self.hub.user_ids()
        if not online:
            return 0
        pairs = [p for p in await self.store.pairs.for_round(number)
                 if online.intersection(p["members"])]
        if not pairs:
            return 0
        # One lookup of partners and hobby names for the whole round.
        users = await self.store.users.many({m for p in pairs for m in p["members"]})
        names = await self.store.hobbies.names()
        sent = 0
        for user_id in online:
            mine = sorted((p for p in pairs if user_id in p["members"]), key=lambda p: -p["_id"])
            if mine:
                items = pair_items(user_id, mine, users, names)
                frame = json.dumps({"type": "match", "pairs": items}, ensure_ascii=False)
                sent += self.hub.send_to_user(user_id, frame)
        logger.info("round %d: alerted %d sockets", number, sent)
        return sent
