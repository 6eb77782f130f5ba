"""This process's copy of what requests read about a user on every call
(the user document, their "did you meet?" answers), so that the token
check behind nearly every request costs no round trip.

Every process keeps its own copy. A change made here drops its entries at
once; other processes learn of it from :attr:`BUCKETS` small version
documents in ``user_versions``: a change writes a new random version into
its user's bucket (after the change itself), and :meth:`UserCache.refresh`
(the server runs it every second) makes every entry of a bucket whose
version moved stale (found so when next asked for). So another process's change shows within a second or so:
the same bound as hobby names and the latest round.

Why buckets of random versions rather than a log of changes: ids from
:class:`Counters` come in per-process blocks and FerretDB 1.x applies
``$inc`` as read and write back, so no sequence numbers are ordered across
processes; a bucket's version only has to differ from the one last seen.
One document per bucket, not an array in one: FerretDB would write back a
whole array and could undo a concurrent change to another bucket.

Limits on staleness, whatever goes wrong:

- A write drops this process's entries before and after it, and tells
  the others even when it failed (it may have landed); a version that
  could not be written is written again by the next refresh.
- When no refresh has succeeded for :data:`SILENCE` seconds (the store
  does not answer, or the refresh job stalls), kept entries are not used
  until one does: requests read the store as if nothing were kept.
- An entry lives at most :data:`LIFETIME` refreshes: a process that died
  between a change and its bucket's write leaves no copy stale for long.
- What decides a session (refreshing a token) or a permission (staff)
  does not use the copy at all (``fresh`` reads in :class:`Users`).

Entries are kept as BSON, as the store sent them: smaller than decoded
documents (a server with 10,000 students online keeps 10,000 users, and
bench-spike's RSS per socket stayed under 20 KiB), and decoded on each
read, which also hands every caller a copy of its own."""

import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

import bson
from pymongo.asynchronous.database import AsyncDatabase

from unimatch.store._guard import write_new_version

logger = logging.getLogger(__name__)

#: Version documents; a user's bucket is ``user_id % BUCKETS``.
BUCKETS = 64
#: Entries kept (each a user document or a user's answers), least recently used dropped.
DEFAULT_SIZE = 50_000
#: Refreshes (seconds, in the server) an entry is kept at most.
LIFETIME = 60
#: Seconds without a successful refresh after which kept entries are not used.
SILENCE = 3.0

#: What :meth:`UserCache.token` hands out: (generation, refreshes) when a load began.
Token = tuple[int, int]


class UserCache:
    """Documents kept by ``(kind, user_id)``; each read returns a new copy.

    A load that raced a change must not be kept: take :meth:`token` before
    reading the store and pass it to :meth:`keep`. A change made here
    moves the generation, and a kept document is stamped with the refresh
    its load began after: a refresh that finds a bucket moved makes every
    entry of that bucket stamped before it stale. Stale entries are
    dropped when next asked for, so a refresh costs no walk over the
    entries, however many there are."""

    def __init__(self, db: AsyncDatabase, size: int = DEFAULT_SIZE, silence: float = SILENCE):
        self._versions = db["user_versions"]
        self._size = size
        self._silence = silence
        # When the last refresh succeeded (monotonic seconds: how long this
        # process has been out of touch, not a time of the domain). None:
        # never refreshed, as in a command or a test without the refresh
        # job, where only this process's own changes count.
        self._refreshed_at: float | None = None
        self._unannounced: set[int] = set()  # buckets whose new version could not be written
        # (kind, user id) -> (the refresh its load began after, the document as BSON)
        self._entries: OrderedDict[tuple[str, int], tuple[int, bytes]] = OrderedDict()
        self._kinds: set[str] = set()
        self._seen: dict[int, str] | None = None  # bucket -> version, from the last refresh
        self._moved_at: dict[int, int] = {}  # bucket -> the refresh that last found it moved
        self._refreshes = 0
        self._generation = 0

    def get(self, kind: str, user_id: int) -> dict | None:
        """A copy of the document kept for ``user_id``, or None."""
        key = (kind, user_id)
        entry = self._entries.get(key)
        if entry is None or self._out_of_touch():
            return None
        stamp = entry[0]
        if (stamp < self._moved_at.get(user_id % BUCKETS, 0)
                or stamp <= self._refreshes - LIFETIME):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return bson.decode(entry[1])

    def token(self) -> Token:
        """What :meth:`keep` compares: taken before a load."""
        return self._generation, self._refreshes

    def keep(self, kind: str, user_id: int, doc: dict, token: Token) -> None:
        """Keep ``doc``, read from the store after :meth:`token` gave
        ``token``, unless this process changed something in between."""
        self.keep_bson(kind, user_id, bson.encode(doc), token)

    def keep_bson(self, kind: str, user_id: int, raw: bytes, token: Token) -> None:
        """:meth:`keep` for a document as the store sent it (BSON): no
        encoding, which a round's alerts would pay for thousands at once."""
        generation, stamp = token
        if generation != self._generation or self._size <= 0:
            return
        self._kinds.add(kind)
        self._entries[(kind, user_id)] = (stamp, raw)
        self._entries.move_to_end((kind, user_id))
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    @contextlib.asynccontextmanager
    async def changing(self, user_id: int) -> AsyncIterator[None]:
        """Around a write to ``user_id``'s data: this process's entries are
        dropped before it and after it (a load in flight may have read the
        document as it was), and the other processes are told, also when
        the write failed: it may have landed all the same."""
        self._forget(user_id)
        try:
            yield
        finally:
            self._forget(user_id)
            await self._announce(user_id % BUCKETS)

    def _forget(self, user_id: int) -> None:
        self._generation += 1
        for kind in self._kinds:
            self._entries.pop((kind, user_id), None)

    async def _announce(self, bucket: int) -> None:
        try:
            await write_new_version(self._versions, bucket)
        except Exception as exc:  # the store's own errors, whatever they are
            # The change itself is done: refresh() tries again.
            self._unannounced.add(bucket)
            logger.warning("could not tell other processes of a change to users "
                           "(bucket %d); will retry: %s", bucket, exc)

    async def refresh(self) -> None:
        """Learn which buckets moved since the last refresh (one small
        read): their entries from before it are stale from now on, as are
        entries past :data:`LIFETIME`."""
        for bucket in sorted(self._unannounced):
            await write_new_version(self._versions, bucket)
            self._unannounced.discard(bucket)
        versions = {doc["_id"]: doc["version"] async for doc in self._versions.find({})}
        self._refreshes += 1
        self._refreshed_at = time.monotonic()
        seen, self._seen = self._seen, versions
        if seen is None:
            # Nothing to compare with: what was kept before may be stale.
            self.forget_all()
            return
        # A bucket gone from the store (it was cleared) counts as moved too.
        for bucket in set(versions) | set(seen):
            if seen.get(bucket) != versions.get(bucket):
                self._moved_at[bucket] = self._refreshes

    def _out_of_touch(self) -> bool:
        return (self._refreshed_at is not None
                and time.monotonic() - self._refreshed_at > self._silence)

    def forget_all(self) -> None:
        """Drop every entry (the store was cleared behind this process's back)."""
        self._generation += 1
        self._entries.clear()
