"""Delivers the Telegram outbox with python-telegram-bot.

At most ``rate`` messages a second overall and one a second per chat;
``RetryAfter`` pauses sending for as long as Telegram asks; network errors
retry with exponential backoff; ``Forbidden`` (the user blocked the bot)
unlinks the chat and drops its messages. Telegram's limits are per bot, so
one process at a time holds the sender role (a lease in the store).

Each message is claimed in the store before it is sent and marked sent
right after. A graceful stop finishes the message in hand, so restarts
never send twice. Only a hard crash in the instant between Telegram's
answer and that write leaves a message whose fate is unknown; it is sent
again once its claim expires, because losing a match notice is the worse
failure."""

import asyncio
import logging
import os
import random
import uuid
import warnings

import telegram
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from unimatch.clock import Clock
from unimatch.errors import StoreUnavailable
from unimatch.store import Store

logger = logging.getLogger(__name__)

# Unexplained API errors give up after this many tries; network errors
# never do (an outage must not lose notices), they only back off.
MAX_ATTEMPTS = 12
MAX_BACKOFF = 300.0
CLAIM_LEASE = 60.0
SENDER_LEASE = 30.0  # a sender that stops renewing hands over after this


def make_bot(token: str, api_url: str) -> telegram.Bot:
    """A Bot whose requests go to ``{api_url}/bot{token}/{method}``."""
    return telegram.Bot(token, base_url=f"{api_url.rstrip('/')}/bot")


class _Reachability:
    """Whether Telegram answers. While it does not, tries are spaced out
    exponentially (to ``MAX_BACKOFF``), and the log says when that changes,
    not at every try: an outage of an hour is two lines, not thousands."""

    def __init__(self) -> None:
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
            logger.warning("Telegram unreachable (%s); retrying with backoff up to %.0f s",
                           exc, MAX_BACKOFF)
        else:
            logger.debug("Telegram still unreachable (%s); next try in %.0f s", exc, wait)
        return wait

    def succeeded(self) -> None:
        if self.failures:
            logger.info("Telegram reachable again after %d failed tries", self.failures)
        self.failures = 0
        self.retry_at = 0.0


class TelegramNotifier:
    def __init__(self, store: Store, clock: Clock, bot: telegram.Bot, *, rate: float = 25.0,
                 per_chat_interval: float = 1.0):
        self.store = store
        self.clock = clock
        self.bot = bot
        self.min_gap = 1.0 / rate
        self.per_chat_interval = per_chat_interval
        # Pacing state, in the injected clock's seconds.
        self._next_send = 0.0      # the next send allowed by the global pace
        self._paused_until = 0.0   # until when Telegram asked us to wait
        self._last_by_chat: dict[int, float] = {}
        self._ready = False
        self._stopping = False
        self._reachability = _Reachability()
        # One delivery at a time: the pace above is shared state, and close()
        # must wait for the message in hand instead of cutting its request.
        self._delivering = asyncio.Lock()
        self.owner = f"{os.getpid()}:{uuid.uuid4().hex[:8]}"

    async def deliver_due(self, limit: int = 500) -> int:
        """Send due messages (up to ``limit``); returns how many were sent."""
        async with self._delivering:
            return await self._deliver(limit)

    async def _deliver(self, limit: int) -> int:
        now = self.clock.timestamp()
        if self._stopping or now < self._paused_until or not self._reachability.may_try(now):
            return 0
        # One sender across processes, so the limits above hold for the bot.
        if not await self.store.outbox.hold_sender(self.owner, self.clock.timestamp(),
                                                   SENDER_LEASE):
            return 0
        if not await self._ensure_ready():
            return 0
        sent = 0
        deferred: list[str] = []
        while sent < limit and not self._stopping:
            message = await self.store.outbox.claim_due(self.clock.timestamp(), CLAIM_LEASE,
                                                        skip=deferred)
            if message is None:
                break
            if not await self._chat_ready(message):
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
            logger.exception("Telegram delivery failed; will retry")

    async def close(self) -> None:
        """Stop after the message in hand (its result is recorded), then
        shut the bot down."""
        self._stopping = True
        async with self._delivering:
            try:
                await self.store.outbox.release_sender(self.owner)
            except StoreUnavailable:
                logger.warning("could not hand over the sender role; it lapses in %.0f s",
                               SENDER_LEASE)
            if self._ready:
                self._ready = False
                await self.bot.shutdown()

    async def _ensure_ready(self) -> bool:
        if not self._ready:
            try:
                await self.bot.initialize()
            except TelegramError as exc:
                self._reachability.failed(self.clock.timestamp(), exc)
                return False
            self._reachability.succeeded()
            self._ready = True
            logger.info("Telegram notifications on as @%s", self.bot.username)
        return True

    async def _chat_ready(self, message: dict) -> bool:
        """Wait for the global pace; put the message back when its chat got
        a message less than ``per_chat_interval`` ago."""
        now = self.clock.timestamp()
        last = self._last_by_chat.get(message["chat_id"])
        if last is not None and now - last < self.per_chat_interval:
            await self.store.outbox.retry_later(
                message["_id"], self.clock.timestamp() + self.per_chat_interval,
                "per-chat rate limit", count_attempt=False)
            return False
        delay = self._next_send - now
        if delay > 0:
            await self.clock.sleep(delay)
        return True

    async def _send(self, message: dict) -> str:
        chat_id = message["chat_id"]
        self._next_send = self.clock.timestamp() + self.min_gap
        try:
            await self.bot.send_message(chat_id=chat_id, text=message["text"])
        except RetryAfter as exc:
            wait = _seconds(exc)
            logger.warning("Telegram asks to wait %.0f s", wait)
            self._paused_until = self.clock.timestamp() + wait
            await self.store.outbox.retry_later(message["_id"], self.clock.timestamp() + wait,
                                                str(exc), count_attempt=False)
            return "stop"
        except Forbidden as exc:
            user_id = await self.store.users.unlink_telegram(chat_id)
            await self.store.outbox.drop_chat(chat_id, str(exc))
            logger.info("chat %s blocked the bot; unlinked user %s", chat_id, user_id)
            return "dropped"
        except BadRequest as exc:
            await self.store.outbox.drop(message["_id"], str(exc))
            logger.warning("Telegram refused message %s: %s", message["_id"], exc)
            return "dropped"
        except (NetworkError, TelegramError) as exc:
            return await self._retry(message, exc)
        self._reachability.succeeded()
        self._last_by_chat[chat_id] = self.clock.timestamp()
        await self.store.outbox.mark_sent(message["_id"], self.clock.timestamp())
        return "sent"

    async def _retry(self, message: dict, exc: Exception) -> str:
        now = self.clock.timestamp()
        if isinstance(exc, NetworkError):
            # Telegram is likely down for every message: all of them wait,
            # and the outage is logged once by the reachability tracker.
            backoff = self._reachability.failed(now, exc)
            await self.store.outbox.retry_later(message["_id"], now + backoff, str(exc))
            return "stop"
        attempts = message.get("attempts", 0) + 1
        if attempts >= MAX_ATTEMPTS:
            await self.store.outbox.drop(message["_id"], f"gave up: {exc}")
            logger.error("giving up on message %s after %d attempts: %s",
                         message["_id"], attempts, exc)
            return "dropped"
        backoff = min(MAX_BACKOFF, 2.0 ** attempts) * random.uniform(0.8, 1.2)
        await self.store.outbox.retry_later(message["_id"], now + backoff, str(exc))
        logger.warning("sending message %s failed (%s); retry in %.0f s",
                       message["_id"], exc, backoff)
        return "stop"


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept both.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
