"""Hobbies (the contract's tags): id and name."""

from collections.abc import Iterable, Sequence

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from unimatch.errors import HobbyExists
from unimatch.store._guard import insert_new, translate_errors, write_new_version
from unimatch.store.counters import Counters

DEFAULT_HOBBIES = (
    "Программирование", "Спорт", "Музыка", "Рисование", "Литература", "История",
    "Кино", "Путешествия", "Настольные игры", "Фотография", "Танцы", "Кулинария",
    "Иностранные языки", "Волонтёрство", "Театр", "Наука",
)


#: The ``meta`` document whose ``version`` changes with every change of the hobbies.
_VERSION = "hobbies_version"


@translate_errors
class Hobbies:
    """Names are unique case-insensitively (``name_key`` carries a unique index).

    Requests name hobbies from a copy kept in this process (:meth:`current`,
    :meth:`names`), not from the store. Every change here writes a new
    random ``version`` into ``meta`` after the hobbies themselves, and
    :meth:`refresh` (the server runs it every second) reloads the copy
    when the version moved: what this process adds shows at once, what
    another process adds (``unimatch hobbies add``) after the next refresh."""

    def __init__(self, db: AsyncDatabase, counters: Counters):
        self._col = db["hobbies"]
        self._meta = db["meta"]
        self._counters = counters
        self._cached: tuple[str | None, list[dict]] | None = None  # (version, hobbies)
        # Moved by every change here: a load that raced one is not kept.
        self._generation = 0

    async def ensure_indexes(self) -> None:
        await self._col.create_index("name_key", unique=True)

    async def all(self) -> list[dict]:
        """Every hobby as ``{"id", "name"}``, ordered by id."""
        return _by_id([_public(doc) async for doc in self._col.find({})])

    async def current(self) -> list[dict]:
        """Every hobby as ``{"id", "name"}``, ordered by id, as this process
        last saw them (see the class): no round trip but the first."""
        hobbies = self._cached[1] if self._cached is not None else await self._load()
        return [dict(h) for h in hobbies]

    async def names(self) -> dict[int, str]:
        """Every hobby's name by id, as :meth:`current` has them."""
        return {h["id"]: h["name"] for h in await self.current()}

    async def refresh(self) -> None:
        """Bring :meth:`current` up to date: one small read when nothing
        changed, the hobbies again when something did."""
        if self._cached is None or await self._version() != self._cached[0]:
            await self._load()

    def forget_cached(self) -> None:
        """Drop the copy (the store was cleared behind this process's back)."""
        self._generation += 1
        self._cached = None

    async def _load(self) -> list[dict]:
        generation = self._generation
        version = await self._version()  # before the hobbies: a change in between reloads again
        hobbies = await self.all()
        if generation == self._generation:
            self._cached = (version, hobbies)
        return hobbies

    async def _version(self) -> str | None:
        doc = await self._meta.find_one({"_id": _VERSION})
        return None if doc is None else doc["version"]

    async def _changed(self) -> None:
        """After a change: drop this process's copy, then tell the others."""
        self.forget_cached()
        await write_new_version(self._meta, _VERSION)

    async def by_ids(self, ids: Iterable[int]) -> list[dict]:
        """The hobbies among ``ids`` that exist, as ``{"id", "name"}`` by id."""
        cursor = self._col.find({"_id": {"$in": list(ids)}})
        return _by_id([_public(doc) async for doc in cursor])

    async def missing(self, ids: Iterable[int]) -> list[int]:
        """Those of ``ids`` that name no hobby, in the order given: exact,
        asking the store about the ids this process's copy does not know."""
        known = {h["id"] for h in (self._cached[1] if self._cached is not None else [])}
        wanted = [i for i in dict.fromkeys(ids) if i not in known]
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
        await self._changed()
        return {"id": hobby_id, "name": name}

    async def seed_defaults(self, names: Sequence[str] = DEFAULT_HOBBIES) -> int:
        """On an empty collection, add the default list in one write;
        returns how many were added (names taken concurrently are skipped)."""
        if await self._col.find_one({}, {"_id": 1}) is not None:
            return 0
        ids = await self._counters.allocate("hobbies", len(names))
        rows = [{"_id": hobby_id, "name": name, "name_key": name.casefold()}
                for hobby_id, name in zip(ids, names, strict=True)]
        added = await insert_new(self._col, rows)
        if added:
            await self._changed()
        return added


def _public(doc: dict) -> dict:
    return {"id": doc["_id"], "name": doc["name"]}


def _by_id(hobbies: list[dict]) -> list[dict]:
    # Sorted here, not by the server: nx-27017 sorts _id as text (10 < 2).
    return sorted(hobbies, key=lambda h: h["id"])
