"""Delivers the Telegram outbox with python-telegram-bot.

At most ``rate`` messages a second overall and one a second per chat;
``RetryAfter`` pauses sending for as long as Telegram asks; network errors
retry with exponential backoff; ``Forbidden`` (the user blocked the bot)
unlinks the chat and drops its messages. A message with ``buttons`` goes
with them as an inline keyboard; a reminder whose member has unlinked the
chat or answered already is dropped unsent. Telegram's limits are per bot, so
one process at a time holds the sender role; claims, leases and graceful
stops are :mod:`unimatch.delivery`'s."""

import logging
import warnings

import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from unimatch.clock import Clock
from unimatch.delivery import CLAIM_LEASE, OutboxSender
from unimatch.metrics import Metrics
from unimatch.store import Store
from unimatch.telegram import reminders

__all__ = ["CLAIM_LEASE", "TelegramNotifier", "make_bot"]

logger = logging.getLogger(__name__)


def make_bot(token: str, api_url: str) -> telegram.Bot:
    """A Bot whose requests go to ``{api_url}/bot{token}/{method}``."""
    return telegram.Bot(token, base_url=f"{api_url.rstrip('/')}/bot")


class TelegramNotifier(OutboxSender):
    channel = "telegram"

    def __init__(self, store: Store, clock: Clock, bot: telegram.Bot, *, rate: float = 25.0,
                 per_chat_interval: float = 1.0, metrics: Metrics | None = None):
        super().__init__(store.outbox, clock, "Telegram", metrics)
        self.store = store
        self.bot = bot
        self.min_gap = 1.0 / rate
        self.per_chat_interval = per_chat_interval
        # Pacing state, in the injected clock's seconds; shared by the one
        # delivery at a time.
        self._next_send = 0.0      # the next send allowed by the global pace
        self._paused_until = 0.0   # until when Telegram asked us to wait
        self._last_by_chat: dict[int, float] = {}
        self._ready = False

    def _may_try(self, now: float) -> bool:
        return now >= self._paused_until and super()._may_try(now)

    async def _shutdown(self) -> None:
        if self._ready:
            self._ready = False
            await self.bot.shutdown()

    async def _begin(self) -> bool:
        if not self._ready:
            try:
                await self.bot.initialize()
            except TelegramError as exc:
                self.unreachable(self.clock.timestamp(), exc)
                return False
            self.reachability.succeeded()
            self._ready = True
            logger.info("Telegram notifications on as @%s", self.bot.username)
        return True

    async def _may_send(self, message: dict) -> bool:
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
        if message.get("kind") == reminders.KIND:
            reason = await reminders.unwanted(self.store, message)
            if reason is not None:
                await self.store.outbox.drop(message["_id"], reason, self.clock.timestamp())
                logger.info("reminder %s not sent: %s", message["_id"], reason)
                return "dropped"
        self._next_send = self.clock.timestamp() + self.min_gap
        try:
            await self.bot.send_message(chat_id=chat_id, text=message["text"],
                                        reply_markup=_keyboard(message.get("buttons")))
        except RetryAfter as exc:
            wait = _seconds(exc)
            logger.warning("Telegram asks to wait %.0f s", wait)
            self._paused_until = self.clock.timestamp() + wait
            await self.store.outbox.retry_later(message["_id"], self.clock.timestamp() + wait,
                                                str(exc), count_attempt=False)
            return "stop"
        except Forbidden as exc:
            user_id = await self.store.users.unlink_telegram(chat_id)
            await self.store.outbox.drop_chat(chat_id, str(exc), self.clock.timestamp())
            logger.info("chat %s blocked the bot; unlinked user %s", chat_id, user_id)
            return "dropped"
        except BadRequest as exc:
            return await self.refused(message, exc)
        except NetworkError as exc:
            # Telegram is likely down for every message: all of them wait.
            return await self.wait_for_service(message, exc)
        except TelegramError as exc:
            return await self.retry_or_give_up(message, exc)
        self._last_by_chat[chat_id] = self.clock.timestamp()
        return await self.delivered(message)


def _keyboard(buttons: list[dict] | None) -> InlineKeyboardMarkup | None:
    """A message's one row of inline buttons, if it has any."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["data"])
                                  for b in buttons]])


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; accept both.
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
