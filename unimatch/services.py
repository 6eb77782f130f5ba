"""What request handlers and sockets may use, built once by ``wiring``."""

import asyncio
import dataclasses

from unimatch.auth.passwords import PasswordHasher
from unimatch.auth.reset import PasswordReset
from unimatch.auth.throttle import LoginThrottle
from unimatch.auth.tokens import TokenService
from unimatch.clock import Clock
from unimatch.config import Config
from unimatch.mail.queue import MailQueue
from unimatch.metrics import Metrics
from unimatch.origins import Origins
from unimatch.rounds import RoundService
from unimatch.schedule import Schedule
from unimatch.store import Store


class InFlight:
    """Counts requests being handled, so shutdown can wait for them."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def started(self) -> None:
        self.count += 1
        self._idle.clear()

    def finished(self) -> None:
        self.count -= 1
        if self.count <= 0:
            self.count = 0
            self._idle.set()

    async def drain(self, timeout: float) -> bool:
        """Wait until no request is in flight; False if ``timeout`` ran out."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False


@dataclasses.dataclass(frozen=True)
class Services:
    config: Config
    store: Store
    clock: Clock
    schedule: Schedule
    tokens: TokenService
    hasher: PasswordHasher
    rounds: RoundService
    login_throttle: LoginThrottle
    origins: Origins
    inflight: InFlight
    reset: PasswordReset
    mail: MailQueue | None  # None: this server sends no mail
    metrics: Metrics
