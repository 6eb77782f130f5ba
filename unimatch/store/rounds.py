"""Matching rounds: who runs one, its plan, and which are finished."""

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.errors import StoreUnavailable
from unimatch.store._guard import DocumentLocks, translate_errors
from unimatch.store.counters import Counters


@translate_errors
class Rounds:
    """A round document: ``_id`` (the slot key: the scheduled moment in UTC,
    or ``manual:...``), ``number`` (sequential; higher is more recent),
    ``scheduled_for`` (epoch s), ``created_at`` (the round's date,
    ``YYYY-MM-DD``), ``state`` (``running`` | ``done``), ``owner`` and
    ``lease_until`` (epoch s) while running, ``plan`` (the groups, saved
    before any pair is written), ``summary`` once done.

    The plan is stored as ``[{"members": [...]}, ...]`` and read back as
    ``[[...], ...]``: FerretDB 1.x refuses arrays directly inside arrays
    (``nested arrays are not supported``), MongoDB and nx-27017 take both.

    The first claim of a slot is an insert, decided by its unique ``_id`` on
    every engine, so a slot runs once across processes; a claim whose owner
    died (lease past) can be taken over, and the new owner finishes the
    saved plan rather than matching again. The takeover is a conditional
    update: atomic on MongoDB and nx-27017, but on FerretDB 1.x two
    processes taking over one expired lease at once can both win.

    Updates to one round take its :class:`DocumentLocks` lock: the lease
    keeper renews while the round's own steps write, and on FerretDB an
    unserialised renewal could write back a round as it was before
    ``finish``.

    The number of the round finished last is kept in this process
    (:meth:`current_number`) for requests: read again when a round
    finishes here, and by :meth:`refresh` (every second in the server)
    for rounds finished elsewhere."""

    def __init__(self, db: AsyncDatabase, counters: Counters):
        self._col = db["rounds"]
        self._meta = db["meta"]
        self._counters = counters
        self._writes = DocumentLocks()
        self._latest: tuple[int, int | None] | None = None  # (finished_seq, number)

    async def ensure_indexes(self) -> None:
        await self._col.create_index("number", unique=True)
        await self._col.create_index("state")
        await self._col.create_index("finished_seq")

    async def first_seen(self, now: float) -> float:
        """When this database first met a round scheduler (set once).
        Slots before it are not owed: a new install does not run last
        week's round the moment it starts."""
        # insert-then-read rather than an upsert with $setOnInsert, which
        # nx-27017 ignores (pinned by test_first_seen_is_written_once).
        try:
            await self._meta.insert_one({"_id": "scheduler", "first_seen": now})
        except DuplicateKeyError:
            pass
        seen = await self._meta.find_one({"_id": "scheduler"})
        if seen is None:  # written just above, so the write was lost
            raise StoreUnavailable("the scheduler's first start could not be recorded")
        return seen["first_seen"]

    async def claim(self, slot: str, *, scheduled_for: float, created_at: str,
                    owner: str, now: float, lease: float, manual: bool = False) -> dict | None:
        """Take slot ``slot`` for ``owner``: a new round, or one whose owner's
        lease ran out. None when it is done or another owner holds it."""
        existing = await self._col.find_one({"_id": slot}, {"plan": 0})
        if existing is None:
            doc = {"_id": slot, "number": await self._counters.next("rounds"),
                   "scheduled_for": scheduled_for, "created_at": created_at, "manual": manual,
                   "state": "running", "owner": owner, "lease_until": now + lease,
                   "started_at": now, "attempts": 1}
            try:
                await self._col.insert_one(doc)
                return doc
            except DuplicateKeyError:
                pass  # another process claimed it first; see whether it is live
        async with self._writes.hold(slot):
            return _read(await self._col.find_one_and_update(
                {"_id": slot, "state": "running", "lease_until": {"$lt": now}},
                {"$set": {"owner": owner, "lease_until": now + lease}, "$inc": {"attempts": 1}},
                return_document=ReturnDocument.AFTER))

    async def renew(self, slot: str, owner: str, until: float) -> bool:
        """Extend the lease; False if the round is no longer ours."""
        return await self._update_own(slot, owner, {"$set": {"lease_until": until}})

    async def save_plan(self, slot: str, owner: str, groups: list[tuple[int, ...]]) -> bool:
        return await self._update_own(slot, owner,
                                      {"$set": {"plan": [{"members": list(g)} for g in groups]}})

    async def finish(self, slot: str, owner: str, summary: dict, now: float) -> bool:
        """Mark the round done. ``finished_seq`` orders rounds by completion,
        which is what watchers follow: a retried round can finish after a
        higher-numbered one."""
        seq = await self._counters.next("rounds_finished")
        finished = await self._update_own(slot, owner, {
            "$set": {"state": "done", "summary": summary, "finished_at": now, "finished_seq": seq},
            "$unset": {"plan": ""}})
        if finished:
            try:
                await self.refresh()
            except StoreUnavailable:
                pass  # done all the same; the next periodic refresh catches up
        return finished

    async def _update_own(self, slot: str, owner: str, update: dict) -> bool:
        """Apply ``update`` to the round while ``owner`` runs it; False when
        it does not (any more)."""
        async with self._writes.hold(slot):
            result = await self._col.update_one({"_id": slot, "owner": owner, "state": "running"},
                                                update)
        return result.matched_count == 1

    async def abandoned(self, now: float) -> list[dict]:
        """Running rounds whose lease ran out before ``now``, oldest first
        (no plans): their owners died or stalled."""
        cursor = self._col.find({"state": "running", "lease_until": {"$lt": now}}, {"plan": 0})
        return sorted([doc async for doc in cursor], key=lambda d: d["number"])

    async def get(self, slot: str) -> dict | None:
        return _read(await self._col.find_one({"_id": slot}))

    async def finished_after(self, seq: int) -> list[dict]:
        """Rounds finished after completion ``seq``, in completion order (no plans)."""
        cursor = self._col.find({"state": "done", "finished_seq": {"$gt": seq}}, {"plan": 0})
        return sorted([doc async for doc in cursor], key=lambda d: d["finished_seq"])

    async def latest_number(self) -> int | None:
        """The number of the round finished last (what made the "current"
        pairs), or None before any."""
        return (await self._read_latest())[1]

    async def current_number(self, seen: int | None = None) -> int | None:
        """:meth:`latest_number` as this process last saw it (see the
        class): no round trip but the first. ``seen`` is a round number the
        caller has met (a user's newest pair): above the copy, a round may
        have finished elsewhere within the last second, so it is read again
        rather than show that user no current pair."""
        stale = seen is not None and self._latest is not None and (
            self._latest[1] is None or seen > self._latest[1])
        if self._latest is None or stale:
            await self.refresh()
        return self._latest[1] if self._latest is not None else None

    async def refresh(self) -> None:
        """Read the round finished last again, for :meth:`current_number`."""
        latest = await self._read_latest()
        # Two reads can answer out of order; a later completion wins.
        if self._latest is None or latest[0] >= self._latest[0]:
            self._latest = latest

    def forget_cached(self) -> None:
        """Drop what :meth:`current_number` knows (the store was cleared)."""
        self._latest = None

    async def _read_latest(self) -> tuple[int, int | None]:
        """``(finished_seq, number)`` of the round finished last, ``(0, None)`` before any."""
        cursor = self._col.find({"state": "done"}, {"finished_seq": 1, "number": 1})
        done = [doc async for doc in cursor]
        if not done:
            return 0, None
        last = max(done, key=lambda d: d.get("finished_seq", 0))
        return last.get("finished_seq", 0), last["number"]

    async def last_finished_seq(self) -> int:
        """The completion sequence of the latest finished round, 0 when none."""
        cursor = self._col.find({"state": "done"}, {"finished_seq": 1})
        return max([doc.get("finished_seq", 0) async for doc in cursor], default=0)

    async def summaries(self) -> list[dict]:
        """The summaries of every finished round, the highest number first."""
        cursor = self._col.find({"state": "done"}, {"summary": 1, "number": 1})
        done = sorted([doc async for doc in cursor], key=lambda d: d["number"], reverse=True)
        return [doc["summary"] for doc in done if doc.get("summary")]


def _read(doc: dict | None) -> dict | None:
    """A round as the callers know it: ``plan`` as a list of member lists."""
    if doc is not None and doc.get("plan") is not None:
        doc["plan"] = [group["members"] for group in doc["plan"]]
    return doc
