"""New-match alerts: every server watches the database for finished
rounds (whoever ran them) and tells its own connected users."""

import json
import logging

from unimatch.store import Store
from unimatch.wire import load_pair_items
from unimatch.ws.hub import Hub

logger = logging.getLogger(__name__)


class MatchAlerts:
    def __init__(self, store: Store, hub: Hub):
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
        for round_doc in await self.store.rounds.finished_after(self.last_seen or 0):
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
        # One pass over the round's pairs indexes them by connected member:
        # linear in the round, whoever is online.
        mine: dict[int, list[dict]] = {}
        for pair in await self.store.pairs.for_round(number):
            for member in pair["members"]:
                if member in online:
                    mine.setdefault(member, []).append(pair)
        for pairs in mine.values():
            pairs.sort(key=lambda p: -p["_id"])
        sent = 0
        for user_id, items in (await load_pair_items(self.store, mine)).items():
            if items:
                frame = json.dumps({"type": "match", "pairs": items}, ensure_ascii=False)
                sent += self.hub.send_to_user(user_id, frame)
        logger.info("round %d: alerted %d sockets", number, sent)
        return sent
