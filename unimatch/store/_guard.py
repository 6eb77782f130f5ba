"""Helpers shared by the store modules; pymongo's exceptions stay in here."""

import asyncio
import contextlib
import functools
import inspect
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    ServerSelectionTimeoutError,
)

from unimatch.errors import StoreUnavailable

logger = logging.getLogger(__name__)

_DUPLICATE_KEY = 11000
# What FerretDB answers for an option it does not have (MongoDB's code for it).
_NOT_IMPLEMENTED = 238
T = TypeVar("T")
_UNREACHABLE = (ConnectionFailure, ServerSelectionTimeoutError, AutoReconnect)
# Storage that cannot take a write now: MongoDB's OutOfDiskSpace, and
# SQLite's own words, which nx-27017 passes on (with code 8, or none).
_OUT_OF_DISK_SPACE = 14031
_CANNOT_WRITE = ("database or disk is full", "attempt to write a readonly database",
                 "disk I/O error")


def translate_errors(cls: type[T]) -> type[T]:
    """Class decorator: every public coroutine method of ``cls`` raises
    :class:`StoreUnavailable` instead of pymongo's connection errors and
    the errors of a full or read-only disk, so no caller outside the store
    has to know pymongo, and such a failure answers 503, not 500."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.iscoroutinefunction(member):
            continue
        setattr(cls, name, _guarded(member))
    return cls


def _guarded(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except _UNREACHABLE as exc:
            logger.error("database unreachable in %s: %s", method.__qualname__, exc)
            raise StoreUnavailable(str(exc)) from exc
        except OperationFailure as exc:
            if not _cannot_write(exc):
                raise
            logger.error("database cannot write in %s: %s", method.__qualname__, exc)
            raise StoreUnavailable(str(exc)) from exc
    return wrapper


def _cannot_write(exc: OperationFailure) -> bool:
    """Whether ``exc`` (or any write in a bulk one) failed for want of
    storage rather than for what was written."""
    details = exc.details or {}
    failures = details.get("writeErrors") or [details]
    return any(failure.get("code") == _OUT_OF_DISK_SPACE
               or any(text in str(failure.get("errmsg", "")) for text in _CANNOT_WRITE)
               for failure in failures)


async def insert_new(collection: AsyncCollection, rows: list[dict]) -> int:
    """Insert ``rows``, skipping those whose unique keys already exist (an
    earlier attempt or another process wrote them); returns how many were
    inserted. Any other write error is raised."""
    if not rows:
        return 0
    try:
        return len((await collection.insert_many(rows, ordered=False)).inserted_ids)
    except BulkWriteError as exc:
        if any(e.get("code") != _DUPLICATE_KEY for e in exc.details.get("writeErrors", [])):
            raise
        return exc.details.get("nInserted", 0)


async def write_new_version(collection: AsyncCollection, key: object) -> None:
    """Give the document ``key`` a new random ``version`` (made if missing),
    which other processes compare with the one they last read to learn of
    a change. Random rather than counted: FerretDB 1.x applies ``$inc`` as
    read and write back, so two processes could write the same number."""
    update = {"$set": {"version": uuid.uuid4().hex}}
    try:
        await collection.update_one({"_id": key}, update, upsert=True)
    except DuplicateKeyError:
        # Two first-ever upserts raced (FerretDB); the document is there now.
        await collection.update_one({"_id": key}, update)


async def create_optional_index(collection: AsyncCollection, key: str, *, instead: str,
                                **options: Any) -> bool:
    """Create an index with options the engine may not implement (FerretDB
    1.x has no TTL indexes). False when the engine answers
    ``NotImplemented``, with one log line saying what does the index's
    work ``instead``; any other refusal is raised."""
    try:
        await collection.create_index(key, **options)
        return True
    except OperationFailure as exc:
        if exc.code != _NOT_IMPLEMENTED:
            raise
        logger.info("%s: the engine refused the index on %s (%s); %s", collection.name, key,
                    (exc.details or {}).get("errmsg", exc), instead)
        return False


class DocumentLocks:
    """Serialises this process's writes to one document.

    MongoDB applies each update atomically, so two ``$set`` of different
    fields of one document both land. FerretDB 1.x does not: it reads the
    document, changes it and writes all of it back, without a transaction,
    so of two concurrent updates the later write drops the earlier one's
    fields. Holding the document's lock around a write makes updates from
    one process land one after the other on every engine; writes from two
    processes to the same document can still race on FerretDB (README,
    Known limits)."""

    def __init__(self) -> None:
        self._held: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._held.get(key, (asyncio.Lock(), 0))
        self._held[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._held[key]
            if users == 1:
                del self._held[key]  # nobody else holds or waits for it
            else:
                self._held[key] = (lock, users - 1)
