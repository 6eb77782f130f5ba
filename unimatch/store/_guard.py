"""Helpers shared by the store modules; pymongo's exceptions stay in here."""

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect, BulkWriteError, ConnectionFailure, ServerSelectionTimeoutError

from unimatch.errors import StoreUnavailable

logger = logging.getLogger(__name__)

_DUPLICATE_KEY = 11000
T = TypeVar("T")
_UNREACHABLE = (ConnectionFailure, ServerSelectionTimeoutError, AutoReconnect)


def translate_errors(cls: type[T]) -> type[T]:
    """Class decorator: every public coroutine method of ``cls`` raises
    :class:`StoreUnavailable` instead of pymongo's connection errors, so no
    caller outside the store has to know pymongo."""
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
    return wrapper


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
