"""What every sender of a durable outbox does, whatever it sends through
(Telegram's Bot API, an SMTP server).

One process at a time holds the sender role (a lease in the store), so a
service's limits hold however many server processes run. Each message is
claimed in the store before it is sent and marked after; a graceful stop
finishes the message in hand, so restarts never send twice. Only a hard
crash in the instant between the service's answer and that write leaves a
message whose fate is unknown; it is sent again once its claim expires,
because losing a message is the worse failure. While the service cannot be
reached, tries are spaced out exponentially and nothing is dropped."""

import asyncio
import logging
import os
import random
import uuid

from unimatch.clock import Clock
from unimatch.errors import StoreUnavailable
from unimatch.metrics import Channel, Metrics
from unimatch.store.outbox import Outbox

logger = logging.getLogger(__name__)

# Errors the service explains as temporary give up after this many tries;
# an unreachable service never makes a message give up, it only backs off.
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300.0
CLAIM_LEASE = 60.0
SENDER_LEASE = 30.0  # a sender that stops renewing hands over after this


class Reachability:
    """Whether a service answers. While it does not, tries are spaced out
    exponentially (to ``MAX_BACKOFF``), and the log says when that changes,
    not at every try: an outage of an hour is two lines, not thousands."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.failures = 0
        self.retry_at = 0.0

    def may_try(self, now: float) -> bool:
        return now >= self.retry_at

    def failed(self, now: float, exc: Exception) -> float:
        """Record a failed try; returns the seconds until the next."""
        self.failures += 1
        wait = min(MAX_BACKOFF, 2.0 ** self.failures)
        self.retry_at = now + wait
        if self.failures == 1:
            logger.warning("%s unreachable (%s); retrying with backoff up to %.0f s",
                           self.service, exc, MAX_BACKOFF)
        else:
            logger.debug("%s still unreachable (%s); next try in %.0f s", self.service, exc, wait)
        return wait

    def succeeded(self) -> None:
        if self.failures:
            logger.info("%s reachable again after %d failed tries", self.service, self.failures)
        self.failures = 0
        self.retry_at = 0.0


class OutboxSender:
    """Delivers one outbox. Subclasses send a claimed message in
    :meth:`_send` (answering ``"sent"``, ``"dropped"`` or ``"stop"``: end
    this batch); they may get ready for a batch in :meth:`_begin`, put a
    message off in :meth:`_may_send`, tidy up after a batch in
    :meth:`_end_batch` and let go of the service in :meth:`_shutdown`.
    ``channel`` names the outbox in ``metrics``, which count failures."""

    channel: Channel

    def __init__(self, outbox: Outbox, clock: Clock, service: str,
                 metrics: Metrics | None = None):
        self.outbox = outbox
        self.clock = clock
        self.service = service
        self.metrics = metrics if metrics is not None else Metrics()
        self.reachability = Reachability(service)
        self._stopping = False
        # One delivery at a time: close() must wait for the message in hand
        # instead of cutting its request.
        self._delivering = asyncio.Lock()
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def deliver_due(self, limit: int = 500) -> int:
        """Send due messages (up to ``limit``); returns how many were sent."""
        async with self._delivering:
            if self._stopping or not self._may_try(self.clock.timestamp()):
                return 0
            if not await self.hold_role():
                return 0
            if not await self._begin():
                return 0
            try:
                return await self._deliver(limit)
            finally:
                await self._end_batch()

    async def hold_role(self) -> bool:
        """Take or keep the sender role; False while stopping or while
        another process holds it. Whatever else must run in one process
        at a time for this service (the Telegram bot's polling) asks here."""
        if self._stopping:
            return False
        return await self.outbox.hold_sender(self.owner, self.clock.timestamp(), SENDER_LEASE)

    async def _deliver(self, limit: int) -> int:
        sent = 0
        deferred: list[str] = []
        held_at = self.clock.timestamp()
        while sent < limit and not self._stopping:
            if self.clock.timestamp() - held_at > SENDER_LEASE / 3:
                # A long batch (a slow mail server) keeps the role it holds.
                held_at = self.clock.timestamp()
                if not await self.outbox.hold_sender(self.owner, held_at, SENDER_LEASE):
                    break
            message = await self.claim(deferred)
            if message is None:
                break
            if not await self._may_send(message):
                deferred.append(message["_id"])
                continue
            outcome = await self._send(message)
            if outcome == "sent":
                sent += 1
            elif outcome == "stop":
                break
        return sent

    async def check(self) -> None:
        """The periodic entry point: log, never raise."""
        try:
            await self.deliver_due()
        except Exception:
            logger.exception("%s delivery failed; will retry", self.service)

    async def close(self) -> None:
        """Stop after the message in hand (its result is recorded), hand
        the sender role over, then let go of the service."""
        self._stopping = True
        async with self._delivering:
            try:
                await self.outbox.release_sender(self.owner)
            except StoreUnavailable:
                logger.warning("could not hand over the %s sender role; it lapses in %.0f s",
                               self.service, SENDER_LEASE)
            await self._shutdown()

    async def claim(self, skip: list[str]) -> dict | None:
        """The next due message but those in ``skip``, claimed for this
        sender (None: none)."""
        return await self.outbox.claim_due(self.clock.timestamp(), CLAIM_LEASE, skip)

    async def delivered(self, message: dict) -> str:
        """Record that the service took ``message``; returns ``"sent"``."""
        self.reachability.succeeded()
        await self.outbox.mark_sent(message["_id"], self.clock.timestamp())
        return "sent"

    async def refused(self, message: dict, error: Exception) -> str:
        """The service will never take ``message``: drop it, with a log
        line; returns ``"dropped"``."""
        await self.outbox.drop(message["_id"], str(error), self.clock.timestamp())
        self.metrics.delivery_failed(self.channel, "refused")
        logger.warning("%s refused message %s for good: %s", self.service, message["_id"], error)
        return "dropped"

    async def retry_or_give_up(self, message: dict, error: Exception) -> str:
        """A try that the service called temporary: due again after a
        backoff growing with the message's tries, dropped after
        ``MAX_ATTEMPTS``. Returns the outcome, ``"stop"`` or ``"dropped"``."""
        attempts = message.get("attempts", 0) + 1
        if attempts >= MAX_ATTEMPTS:
            await self.outbox.drop(message["_id"], f"gave up: {error}", self.clock.timestamp())
            self.metrics.delivery_failed(self.channel, "gave_up")
            logger.error("giving up on %s message %s after %d attempts: %s",
                         self.service, message["_id"], attempts, error)
            return "dropped"
        backoff = min(MAX_BACKOFF, 2.0 ** attempts) * random.uniform(0.8, 1.2)
        await self.outbox.retry_later(message["_id"], self.clock.timestamp() + backoff,
                                      str(error))
        self.metrics.delivery_failed(self.channel, "retried")
        logger.warning("sending %s message %s failed (%s); retry in %.0f s",
                       self.service, message["_id"], error, backoff)
        return "stop"

    async def wait_for_service(self, message: dict, error: Exception) -> str:
        """The service could not be reached: this message and every other
        wait for the backoff (the outage is logged once). Never drops."""
        now = self.clock.timestamp()
        backoff = self.unreachable(now, error)
        await self.outbox.retry_later(message["_id"], now + backoff, str(error))
        return "stop"

    def unreachable(self, now: float, error: Exception) -> float:
        """The service could not be reached: counted, and the seconds until
        the next try."""
        self.metrics.delivery_failed(self.channel, "unreachable")
        return self.reachability.failed(now, error)

    def _may_try(self, now: float) -> bool:
        return self.reachability.may_try(now)

    async def _begin(self) -> bool:
        """Get ready to send a batch; False: not now."""
        return True

    async def _may_send(self, message: dict) -> bool:
        """Whether ``message`` goes now; one put off (back in the outbox
        for later) is not claimed again in this batch."""
        return True

    async def _send(self, message: dict) -> str:
        raise NotImplementedError

    async def _end_batch(self) -> None:
        """After each batch, whatever its end."""

    async def _shutdown(self) -> None:
        """Release what talking to the service holds (a session, a connection)."""
