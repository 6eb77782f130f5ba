"""Login throttling: failed logins are counted per account and per client
address, in the store, so every process sees the same counts.

Rules an operator can state in one breath: an address may fail 30 logins
in 15 minutes; an account may be failed 10 times in 15 minutes. Past
either, logins answer 429 with ``Retry-After`` until the window ends,
before any password is checked (so a flood costs no hashing). The account
limit does not apply from an address the account logged in from in the
last 30 days: its owner keeps getting in while strangers hammer it."""

import dataclasses
import logging
import math

from unimatch.clock import Clock
from unimatch.errors import StoreUnavailable, Throttled
from unimatch.store import Store


@dataclasses.dataclass(frozen=True)
class Limit:
    """At most ``failures`` in each window of ``window`` seconds."""

    failures: int
    window: int


logger = logging.getLogger(__name__)

PER_ACCOUNT = Limit(10, 15 * 60)
PER_ADDRESS = Limit(30, 15 * 60)
REMEMBER_ADDRESS = 30 * 24 * 3600


class LoginThrottle:
    def __init__(self, store: Store, clock: Clock, per_account: Limit = PER_ACCOUNT,
                 per_address: Limit = PER_ADDRESS):
        self.store = store
        self.clock = clock
        self.per_account = per_account
        self.per_address = per_address

    async def check(self, account: str, address: str) -> None:
        """Raise :class:`Throttled` when ``address`` used up its failures, or
        ``account`` did and ``address`` is not one its owner uses."""
        now = self.clock.timestamp()
        wait = await seconds_over(self.store, f"addr:{address}", self.per_address, now)
        if wait is None:
            wait = await seconds_over(self.store, f"acct:{account}", self.per_account, now)
            if wait is not None and await self.store.attempts.known(account, address, now):
                wait = None
        if wait is not None:
            raise Throttled(wait)

    async def failed(self, account: str, address: str) -> None:
        now = self.clock.timestamp()
        try:
            for key, limit in ((f"acct:{account}", self.per_account),
                               (f"addr:{address}", self.per_address)):
                await count(self.store, key, limit, now)
        except StoreUnavailable as exc:
            # The login's own answer does not depend on this write (a full
            # disk must not turn "wrong password" into 503).
            logger.warning("could not count a failed login: %s", exc)

    async def succeeded(self, account: str, address: str) -> None:
        try:
            await self.store.attempts.remember(account, address,
                                               self.clock.timestamp() + REMEMBER_ADDRESS)
        except StoreUnavailable as exc:
            logger.warning("could not remember a login's address: %s", exc)


async def seconds_over(store: Store, key: str, limit: Limit, now: float) -> int | None:
    """Seconds until ``key`` may try again, or None when it may now."""
    start, end = _window(now, limit)
    counted = (await store.attempts.counts([key], start))[key]
    return max(1, math.ceil(end - now)) if counted >= limit.failures else None


async def count(store: Store, key: str, limit: Limit, now: float) -> None:
    """Count one attempt of ``key`` in its current window of ``limit``."""
    start, end = _window(now, limit)
    await store.attempts.add([key], start, end)


def _window(now: float, limit: Limit) -> tuple[int, int]:
    start = int(now // limit.window) * limit.window
    return start, start + limit.window
