"""Blocks: who asked never to be matched with whom again."""

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.store._guard import translate_errors


@translate_errors
class Blocks:
    """A block document: ``_id`` (``"<blocker>:<blocked>"``), ``blocker``
    and ``blocked`` (user ids), ``created_at`` (epoch s).

    The ``_id`` makes a block unique per direction on every engine. Blocking
    is one insert and unblocking one delete, never an update, so both are
    atomic on FerretDB 1.x too (whose updates are not), and two requests
    racing to block the same person write one document."""

    def __init__(self, db: AsyncDatabase):
        self._col = db["blocks"]

    async def ensure_indexes(self) -> None:
        await self._col.create_index("blocker")

    async def add(self, blocker: int, blocked: int, now: float) -> bool:
        """Record that ``blocker`` blocked ``blocked``: True, or False when
        that block existed already (it is left as it was)."""
        try:
            await self._col.insert_one({"_id": _key(blocker, blocked), "blocker": blocker,
                                        "blocked": blocked, "created_at": now})
        except DuplicateKeyError:
            return False
        return True

    async def remove(self, blocker: int, blocked: int) -> bool:
        """Lift the block; False when there was none."""
        return (await self._col.delete_one({"_id": _key(blocker, blocked)})).deleted_count == 1

    async def blocked_by(self, blocker: int) -> list[int]:
        """The ids ``blocker`` blocked, the latest block first."""
        # Ordered here: nx-27017 sorts by its own rules; a student blocks few.
        cursor = self._col.find({"blocker": blocker}, {"blocked": 1, "created_at": 1})
        docs = sorted([doc async for doc in cursor],
                      key=lambda doc: (doc["created_at"], doc["blocked"]), reverse=True)
        return [doc["blocked"] for doc in docs]

    async def forbidden_pairs(self) -> frozenset[tuple[int, int]]:
        """Every blocked pair as ``(a, b)``, ``a < b``, whoever blocked whom:
        the pairs a round must never group."""
        cursor = self._col.find({}, {"blocker": 1, "blocked": 1})
        return frozenset([(min(doc["blocker"], doc["blocked"]), max(doc["blocker"], doc["blocked"]))
                          async for doc in cursor])


def _key(blocker: int, blocked: int) -> str:
    return f"{blocker}:{blocked}"
