"""Keeps pymongo's exceptions inside the store."""

import functools
import inspect
import logging

from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError

from unimatch.errors import StoreUnavailable

logger = logging.getLogger(__name__)

_UNREACHABLE = (ConnectionFailure, ServerSelectionTimeoutError, AutoReconnect)


def translate_errors(cls):
    """Class decorator: every public coroutine method of ``cls`` raises
    :class:`StoreUnavailable` instead of pymongo's connection errors, so no
    caller outside the store has to know pymongo."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.iscoroutinefunction(member):
            continue
        setattr(cls, name, _guarded(member))
    return cls


def _guarded(method):
    @functools.wraps(method)
    async def wrapper(*args, **kwargs):
        try:
            return await method(*args, **kwargs)
        except _UNREACHABLE as exc:
            logger.error("database unreachable in %s: %s", method.__qualname__, exc)
            raise StoreUnavailable(str(exc)) from exc
    return wrapper
