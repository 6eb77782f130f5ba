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
from unimatch.metrics import Metrics
from unimatch.schedule import Schedule, format_local
from unimatch.store import Store
from unimatch.telegram.notices import RoundNotices

logger = logging.getLogger(__name__)

# A claimed round stays ours for LEASE seconds unless renewed; its owner
# renews it every RENEW_EVERY seconds while it runs. A short lease is what
# makes a crash cheap: whoever checks next finishes the round once it runs out.
LEASE = 30.0
RENEW_EVERY = 10.0

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
                 lease: float = LEASE, renew_every: float = RENEW_EVERY,
                 checkpoint: Checkpoint = _no_checkpoint, metrics: Metrics | None = None):
        self.store = store
        self.schedule = schedule
        self.clock = clock
        self.executor = executor
        self.notices = notices
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = lease
        self.renew_every = renew_every
        self._checkpoint = checkpoint
        self.metrics = metrics if metrics is not None else Metrics()
        # Rounds running here, each with the task renewing its lease (a
        # manual round may run beside a scheduled one).
        self._running: dict[str, asyncio.Future] = {}
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
        slot = slot_key(slot_time)
        if slot in self._running:
            return None
        existing = await self.store.rounds.get(slot)
        if existing and (existing["state"] == "done" or existing["lease_until"] >= now.timestamp()):
            return None
        return await self._claim_and_run(slot, slot_time, manual=False)

    async def run_now(self) -> dict:
        """Run an extra round immediately (operators and staff)."""
        now = self.clock.now()
        summary = await self._claim_and_run(f"manual:{now.isoformat()}:{uuid.uuid4().hex[:8]}",
                                            now, manual=True)
        if summary is None:  # cannot happen for a fresh slot key, but never return junk
            raise RuntimeError("the manual round could not be claimed")
        return summary

    async def finish_abandoned(self) -> list[dict]:
        """Finish every round, manual or scheduled, whose owner stopped
        renewing its lease (a crash, a kill, a lost database): with its saved
        plan when it has one. The summaries of the rounds finished here."""
        finished = []
        for doc in await self.store.rounds.abandoned(self.clock.timestamp()):
            if doc["_id"] in self._running:
                continue  # ours, late renewing (a stalled loop): not a second run
            logger.warning("round %d (%s) was abandoned by %s; finishing it", doc["number"],
                           doc["_id"], doc["owner"])
            slot_time = dt.datetime.fromtimestamp(doc["scheduled_for"], dt.UTC)
            summary = await self._claim_and_run(doc["_id"], slot_time, manual=doc.get("manual", False))
            if summary is not None:
                finished.append(summary)
        return finished

    async def check(self) -> None:
        """The periodic entry point: abandoned rounds first (their pairs are
        history for the next one), then the scheduled round if it is due.
        Logs, never raises (PeriodicCallback would swallow it anyway,
        without context)."""
        try:
            summaries = await self.finish_abandoned()
            summary = await self.run_due()
        except Exception:
            logger.exception("round check failed; will retry")
            return
        for done in [*summaries, summary]:
            if done:
                logger.info("round %d done: %s", done["round"], done)

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
        keeper = self._running[slot] = asyncio.ensure_future(self._keep_lease(slot))
        started = asyncio.get_running_loop().time()
        try:
            await self._checkpoint(CLAIMED, round_doc["number"])
            summary = await self._run(slot, slot_time, round_doc)
            if summary is not None:
                self.metrics.round_made(asyncio.get_running_loop().time() - started,
                                        summary["participants"], summary["groups"])
            return summary
        finally:
            del self._running[slot]
            keeper.cancel()

    async def release(self) -> None:
        """Give up the rounds in progress (shutting down): their leases end
        now, so the next start, here or elsewhere, finishes them at once."""
        for slot, keeper in list(self._running.items()):
            keeper.cancel()
            await self.store.rounds.renew(slot, self.owner, 0)
            logger.info("released unfinished round %s for a retry", slot)

    async def _run(self, slot: str, slot_time: dt.datetime, round_doc: dict) -> dict | None:
        number = round_doc["number"]
        participants = await self.store.users.participants(round_doc["created_at"])
        history = await self.store.pairs.history()
        # Pairs of this very round (an interrupted attempt wrote some) are
        # not history for it.
        history = {pair: last for pair, last in history.items() if last != number}
        groups = round_doc.get("plan")
        if groups is None:
            # A retried round reuses its saved plan, so its pairs are the same.
            forbidden = await self.store.blocks.forbidden_pairs()
            groups = await self._match(participants, history, forbidden, seed=number)
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
                     history: dict[tuple[int, int], int], forbidden: frozenset[tuple[int, int]],
                     seed: int) -> list[tuple[int, ...]]:
        """The round's groups; blocked pairs (``forbidden``) are never grouped,
        so their people may be left out when nobody else is left for them."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        groups = await loop.run_in_executor(
            self.executor, functools.partial(match, participants, history, seed=seed,
                                             forbidden=forbidden))
        grouped = sum(len(group) for group in groups)
        if len(participants) >= 2 and grouped < len(participants):
            logger.warning("blocks left %d of %d participants without a group",
                           len(participants) - grouped, len(participants))
        logger.info("matched %d participants into %d groups in %.2f s",
                    len(participants), len(groups), loop.time() - started)
        return groups

    async def _keep_lease(self, slot: str) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                if not await self.store.rounds.renew(slot, self.owner,
                                                     self.clock.timestamp() + self.lease):
                    return  # taken over: the checks before each write stop the round
            except Exception:
                logger.exception("could not renew the lease of round %s", slot)


def slot_key(slot_time: dt.datetime) -> str:
    """A scheduled round's identity: its moment in UTC."""
    return "scheduled:" + slot_time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _summary(number: int, created_at: str, scheduled_for: str,
             participants: dict[int, frozenset[int]], history: dict[tuple[int, int], int],
             groups: list[tuple[int, ...]]) -> dict:
    inner = [pair for g in groups for pair in itertools.combinations(sorted(g), 2)]
    sharing = _sharing_groups(participants, groups)
    return {
        "round": number,
        "scheduled_for": scheduled_for,
        "created_at": created_at,
        "participants": len(participants),
        "groups": len(groups),
        "pairs": len(inner),
        "trios": sum(1 for g in groups if len(g) == 3),
        "repeats": sum(1 for pair in inner if pair in history),
        "sharing_groups": sharing,
        # v2's name for it: the share of groups with a common hobby, in
        # percent, written as Python writes a float ("80.0"), "0" for none.
        "success": str(100 * sharing / len(groups)) if groups else "0",
    }


def _sharing_groups(participants: dict[int, frozenset[int]], groups: list[tuple[int, ...]]) -> int:
    """Groups in which some two members share a hobby."""
    # .get: a retried plan may name someone who has opted out since.
    return sum(1 for g in groups
               if any(participants.get(a, frozenset()) & participants.get(b, frozenset())
                      for a, b in itertools.combinations(g, 2)))
