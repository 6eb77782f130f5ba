"""Hobbies (the contract's tags): id and name."""

from collections.abc import Iterable, Sequence

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.errors import HobbyExists
from unimatch.store._guard import insert_new, translate_errors
from unimatch.store.counters import Counters

DEFAULT_HOBBIES = (
    "Программирование", "Спорт", "Музыка", "Рисование", "Литература", "История",
    "Кино", "Путешествия", "Настольные игры", "Фотография", "Танцы", "Кулинария",
    "Иностранные языки", "Волонтёрство", "Театр", "Наука",
)


@translate_errors
class Hobbies:
    """Names are unique case-insensitively (``name_key`` carries a unique index)."""

    def __init__(self, db: AsyncDatabase, counters: Counters):
        self._col = db["hobbies"]
        self._counters = counters

    async def ensure_indexes(self) -> None:
        await self._col.create_index("name_key", unique=True)

    async def all(self) -> list[dict]:
        """Every hobby as ``{"id", "name"}``, ordered by id."""
        return _by_id([_public(doc) async for doc in self._col.find({})])

    async def names(self) -> dict[int, str]:
        """Every hobby's name by id."""
        return {h["id"]: h["name"] for h in await self.all()}

    async def by_ids(self, ids: Iterable[int]) -> list[dict]:
        """The hobbies among ``ids`` that exist, as ``{"id", "name"}`` by id."""
        cursor = self._col.find({"_id": {"$in": list(ids)}})
        return _by_id([_public(doc) async for doc in cursor])

    async def missing(self, ids: Iterable[int]) -> list[int]:
        """Those of ``ids`` that name no hobby, in the order given."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        found = {h["id"] for h in await self.by_ids(wanted)}
        return [i for i in wanted if i not in found]

    async def add(self, name: str) -> dict:
        """Create a hobby; raises :class:`HobbyExists` for a taken name."""
        name = " ".join(name.split())
        hobby_id = await self._counters.next("hobbies")
        try:
            await self._col.insert_one({"_id": hobby_id, "name": name, "name_key": name.casefold()})
        except DuplicateKeyError as exc:
            raise HobbyExists(name) from exc
        return {"id": hobby_id, "name": name}

    async def seed_defaults(self, names: Sequence[str] = DEFAULT_HOBBIES) -> int:
        """On an empty collection, add the default list in one write;
        returns how many were added (names taken concurrently are skipped)."""
        if await self._col.find_one({}, {"_id": 1}) is not None:
            return 0
        ids = await self._counters.allocate("hobbies", len(names))
        rows = [{"_id": hobby_id, "name": name, "name_key": name.casefold()}
                for hobby_id, name in zip(ids, names, strict=True)]
        return await insert_new(self._col, rows)


def _public(doc: dict) -> dict:
    return {"id": doc["_id"], "name": doc["name"]}


def _by_id(hobbies: list[dict]) -> list[dict]:
    # Sorted here, not by the server: nx-27017 sorts _id as text (10 < 2).
    return sorted(hobbies, key=lambda h: h["id"])
