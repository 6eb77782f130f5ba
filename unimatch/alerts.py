"""New-match alerts: every server watches the database for finished
rounds (whoever ran them) and tells its own connected users."""

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import Iterator

from unimatch.store import Store
from unimatch.wire import load_pair_items
from unimatch.ws.hub import Hub

logger = logging.getLogger(__name__)

# Users whose partners one store query fetches (a pair has two or three
# members, so about twice as many documents come back).
LOOKUP_BATCH = 1000
LOOKUPS_IN_FLIGHT = 2
# A round takes its completion number a moment before its finishing write
# lands, so with several processes a later number can show first. Polls
# (one a second) a missing number is waited for before it is given up: a
# round that lost its lease while finishing never uses the one it took.
GAP_POLLS = 60


class MatchAlerts:
    def __init__(self, store: Store, hub: Hub):
        self.store = store
        self.hub = hub
        # Completion numbers, not round numbers: every one up to last_seen
        # is announced (or given up); those past it announced already.
        self.last_seen: int | None = None
        self._announced: set[int] = set()
        self._gap_polls = 0  # polls the number after last_seen has been missing

    async def start(self) -> None:
        """Remember the rounds finished before now: they are not news."""
        self.last_seen = await self.store.rounds.last_finished_seq()

    async def poll(self) -> int:
        """Alert connected users of every round finished since the last
        poll; returns how many alerts were sent. Each round is announced
        once, also when rounds finishing at once in other processes show
        out of order."""
        if self.last_seen is None:
            await self.start()
        sent = 0
        for round_doc in await self.store.rounds.finished_after(self.last_seen or 0):
            if round_doc["finished_seq"] not in self._announced:
                sent += await self._announce(round_doc["number"])
                self._announced.add(round_doc["finished_seq"])
        self._move_past_announced()
        return sent

    def _move_past_announced(self) -> None:
        """Advance ``last_seen`` over the numbers announced in a row; one
        missing below an announced one is waited for :data:`GAP_POLLS` polls."""
        while self._announced:
            following = (self.last_seen or 0) + 1
            if following in self._announced:
                self._announced.discard(following)
            elif self._gap_polls < GAP_POLLS:
                self._gap_polls += 1
                return
            else:
                logger.warning("round completion %d never showed; no longer waiting for it",
                               following)
            self.last_seen = following
            self._gap_polls = 0

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
        with _collector_paused():
            return await self._alert(number, online)

    async def _alert(self, number: int, online: set[int]) -> int:
        started = time.monotonic()
        # One pass over the round's pairs indexes them by connected member:
        # linear in the round, whoever is online.
        mine: dict[int, list[dict]] = {}
        for pair in await self.store.pairs.for_round(number):
            for member in pair["members"]:
                if member in online:
                    mine.setdefault(member, []).append(pair)
        for pairs in mine.values():
            pairs.sort(key=lambda p: -p["_id"])
        # Partners are looked up a batch of users at a time: decoding ten
        # thousand users in one answer would hold the event loop for tens
        # of milliseconds, as would building every frame at once; the hub
        # builds each frame as it reaches it, in slices.
        members = list(mine)
        batches = [{user_id: mine[user_id] for user_id in members[start:start + LOOKUP_BATCH]}
                   for start in range(0, len(members), LOOKUP_BATCH)]
        sent = await self._send_batches(batches) if batches else 0
        logger.info("round %d: alerted %d sockets in %.2f s", number, sent, time.monotonic() - started)
        return sent

    async def _send_batches(self, batches: list[dict[int, list[dict]]]) -> int:
        """Alert each batch's users in turn. Their partners are looked up
        LOOKUPS_IN_FLIGHT batches at a time, ahead of the sending: the
        store answers those lookups side by side (the embedded one too),
        and it works while the alerts go out."""
        gate = asyncio.Semaphore(LOOKUPS_IN_FLIGHT)

        async def lookup(batch: dict[int, list[dict]]) -> dict[int, list[dict]]:
            async with gate:
                return await load_pair_items(self.store, batch)
        lookups = [asyncio.ensure_future(lookup(batch)) for batch in batches]
        sent = 0
        try:
            for found in lookups:
                items = await found
                sent += await self.hub.send_to_users(
                    (user_id, json.dumps({"type": "match", "pairs": pairs}, ensure_ascii=False))
                    for user_id, pairs in items.items() if pairs)
        finally:
            for found in lookups:
                found.cancel()  # after a failure: no lookups left running
        return sent


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No automatic garbage collection inside the block.

    An announcement allocates a few hundred thousand short-lived containers
    (the round's pairs, the partners, the alert items) over many slices of
    the event loop. Young collections would walk them again and again and
    promote most of them to the oldest generation, where the collector's
    once-a-second pass (``ws/collector.py``, which waits while this block
    runs) would walk them all at once. None of them form reference cycles
    (reference counting frees them all), and the cyclic garbage other work
    leaves meanwhile is collected once the block ends. A block inside
    another (or overlapping it) leaves the switch to the outer one."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
