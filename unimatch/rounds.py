"""Weekly matching rounds: exactly once per scheduled slot, across
processes and restarts, with the matcher run off the event loop."""

import asyncio
import concurrent.futures
import datetime as dt
import functools
import itertools
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from unimatch.clock import Clock
from unimatch.matcher import match
from unimatch.schedule import Schedule, format_local
from unimatch.store import Store
from unimatch.telegram.notices import RoundNotices

logger = logging.getLogger(__name__)

LEASE = 300.0  # seconds a claimed round stays ours without renewal

#: The steps of a round, in order; a checkpoint runs after each.
CLAIMED, PLANNED, PAIRED, NOTIFIED = "claimed", "planned", "paired", "notified"
Checkpoint = Callable[[str, int], Awaitable[None]]


async def _no_checkpoint(step: str, number: int) -> None:
    return None


class RoundService:
    """Runs rounds. ``executor`` runs the CPU-heavy matcher: a process pool
    in the server, so a 100,000-person round leaves ticks and requests alone.

    ``notices`` queues the Telegram notices of a round (None: none).
    ``checkpoint(step, round_number)`` is awaited after each step of a round
    (:data:`CLAIMED`, :data:`PLANNED`, :data:`PAIRED`, :data:`NOTIFIED`):
    the one seam where tests stop a round the way a crash or a stall would
    (an exception leaves the round claimed, as a killed process does)."""

    def __init__(self, store: Store, schedule: Schedule, clock: Clock,
                 executor: concurrent.futures.Executor | None = None, *,
                 notices: RoundNotices | None = None, owner: str | None = None,
                 lease: float = LEASE, checkpoint: Checkpoint = _no_checkpoint):
        self.store = store
        self.schedule = schedule
        self.clock = clock
        self.executor = executor
        self.notices = notices
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = lease
        self._checkpoint = checkpoint
        self._running: str | None = None
        self._first_seen: float | None = None  # set once per database, so cached

    async def run_due(self) -> dict | None:
        """Run the round of the latest scheduled slot if nobody has: the
        summary of the round run here, else None. Only the latest slot is
        owed, so a server that was down for weeks runs one round, not many."""
        now = self.clock.now()
        slot_time = self.schedule.previous(now)
        if self._first_seen is None:
            self._first_seen = await self.store.rounds.first_seen(now.timestamp())
        if slot_time.timestamp() < self._first_seen:
            return None
        existing = await self.store.rounds.get(slot_key(slot_time))
        if existing and (existing["state"] == "done" or existing["lease_until"] >= now.timestamp()):
            return None
        return await self._claim_and_run(slot_key(slot_time), slot_time, manual=False)

    async def run_now(self) -> dict:
        """Run an extra round immediately (operators and staff)."""
        now = self.clock.now()
        summary = await self._claim_and_run(f"manual:{now.isoformat()}:{uuid.uuid4().hex[:8]}",
                                            now, manual=True)
        if summary is None:  # cannot happen for a fresh slot key, but never return junk
            raise RuntimeError("the manual round could not be claimed")
        return summary

    async def check(self) -> None:
        """The periodic entry point: log, never raise (PeriodicCallback would
        swallow it anyway, without context)."""
        try:
            summary = await self.run_due()
        except Exception:
            logger.exception("scheduled round check failed; will retry")
            return
        if summary:
            logger.info("round %d done: %s", summary["round"], summary)

    async def _claim_and_run(self, slot: str, slot_time: dt.datetime, manual: bool) -> dict | None:
        now = self.clock.timestamp()
        created_at = slot_time.astimezone(self.schedule.tz).date().isoformat()
        round_doc = await self.store.rounds.claim(
            slot, scheduled_for=slot_time.timestamp(), created_at=created_at,
            owner=self.owner, now=now, lease=self.lease, manual=manual)
        if round_doc is None:
            return None
        logger.info("round %d (%s) claimed by %s, attempt %d", round_doc["number"], slot,
                    self.owner, round_doc.get("attempts", 1))
        keeper = asyncio.ensure_future(self._keep_lease(slot))
        self._running = slot
        try:
            await self._checkpoint(CLAIMED, round_doc["number"])
            return await self._run(slot, slot_time, round_doc)
        finally:
            self._running = None
            keeper.cancel()

    async def release(self) -> None:
        """Give up the round in progress (shutting down): its lease ends now,
        so the next start, here or elsewhere, finishes it at once."""
        if self._running is not None:
            await self.store.rounds.renew(self._running, self.owner, 0)
            logger.info("released unfinished round %s for a retry", self._running)

    async def _run(self, slot: str, slot_time: dt.datetime, round_doc: dict) -> dict | None:
        number = round_doc["number"]
        participants = await self.store.users.participants()
        history = await self.store.pairs.history()
        # Pairs of this very round (an interrupted attempt wrote some) are
        # not history for it.
        history = {pair: last for pair, last in history.items() if last != number}
        groups = round_doc.get("plan")
        if groups is None:
            # A retried round reuses its saved plan, so its pairs are the same.
            groups = await self._match(participants, history, seed=number)
            if not await self.store.rounds.save_plan(slot, self.owner, groups):
                logger.warning("round %d was taken over while matching; dropping our plan", number)
                return None
        await self._checkpoint(PLANNED, number)
        groups = [tuple(g) for g in groups]
        # Still ours? A process that stalled past its lease must not write a
        # second set of pairs beside its successor's.
        if not await self.store.rounds.renew(slot, self.owner, self.clock.timestamp() + self.lease):
            logger.warning("round %d was taken over; not writing its pairs", number)
            return None
        await self.store.pairs.insert_round(number, round_doc["created_at"], groups, participants)
        await self._checkpoint(PAIRED, number)
        if self.notices is not None:
            await self.notices.enqueue(number, groups, participants)
            await self._checkpoint(NOTIFIED, number)
        summary = _summary(number, round_doc["created_at"], format_local(slot_time, self.schedule.tz),
                           participants, history, groups)
        if not await self.store.rounds.finish(slot, self.owner, summary, self.clock.timestamp()):
            logger.warning("round %d was taken over by another process before it finished", number)
            return None
        return summary

    async def _match(self, participants: dict[int, frozenset[int]],
                     history: dict[tuple[int, int], int], seed: int) -> list[tuple[int, ...]]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        groups = await loop.run_in_executor(
            self.executor, functools.partial(match, participants, history, seed=seed))
        logger.info("matched %d participants into %d groups in %.2f s",
                    len(participants), len(groups), loop.time() - started)
        return groups

    async def _keep_lease(self, slot: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 5)
            try:
                await self.store.rounds.renew(slot, self.owner, self.clock.timestamp() + self.lease)
            except Exception:
                logger.exception("could not renew the lease of round %s", slot)


def slot_key(slot_time: dt.datetime) -> str:
    """A scheduled round's identity: its moment in UTC."""
    return "scheduled:" + slot_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(number: int, created_at: str, scheduled_for: str,
             participants: dict[int, frozenset[int]], history: dict[tuple[int, int], int],
             groups: list[tuple[int, ...]]) -> dict:
    inner = [pair for g in groups for pair in itertools.combinations(sorted(g), 2)]
    return {
        "round": number,
        "scheduled_for": scheduled_for,
        "created_at": created_at,
        "participants": len(participants),
        "groups": len(groups),
        "pairs": len(inner),
        "trios": sum(1 for g in groups if len(g) == 3),
        "repeats": sum(1 for pair in inner if pair in history),
        # .get: a retried plan may name someone who has opted out since.
        "sharing_groups": sum(
            1 for g in groups
            if any(participants.get(a, frozenset()) & participants.get(b, frozenset())
                   for a, b in itertools.combinations(g, 2))),
    }
