"""What the bot does with a command or a button press: the rules, apart
from python-telegram-bot (:mod:`unimatch.telegram.bot` adapts updates to
these calls). Every answer is a text to send back; a chat that is not
linked gets the explanation of how to link whatever it sends, but a
``/start`` with a valid code."""

import dataclasses
import datetime as dt
import logging

from unimatch import accounts, feedback
from unimatch.clock import Clock
from unimatch.dialects import V2
from unimatch.errors import (
    FeedbackClosed,
    LinkCodeExpired,
    LinkCodeInvalid,
    LinkCodeUsed,
    NotFound,
    TelegramIdTaken,
)
from unimatch.schedule import Schedule
from unimatch.store import Store
from unimatch.telegram import linking, replies
from unimatch.telegram.reminders import parse_button

logger = logging.getLogger(__name__)

PAUSE_WEEKS = range(1, 9)


@dataclasses.dataclass(frozen=True)
class ButtonAnswer:
    """What a press gets: ``notice`` (the short answer Telegram shows) and,
    when it was recorded, ``met`` (the reminder is then edited to say so)."""

    notice: str
    met: bool | None = None


class Conversation:
    def __init__(self, store: Store, clock: Clock, schedule: Schedule):
        self.store = store
        self.clock = clock
        self.schedule = schedule
        self._commands = {"status": self._status, "pause": self._pause, "resume": self._resume,
                          "stop": self._stop, "unlink": self._unlink, "help": self._help}

    def _today(self) -> dt.date:
        return self.clock.now().astimezone(self.schedule.tz).date()

    async def command(self, chat_id: int, name: str, args: list[str]) -> str:
        """The reply to ``/name args`` in ``chat_id`` (unknown commands and
        plain text: ``name`` is what was sent, and the reply is the help)."""
        if name == "start":
            return await self._start(chat_id, args)
        user = await self.store.users.by_chat(chat_id)
        if user is None:
            return replies.HOW_TO_LINK
        handle = self._commands.get(name, self._help)
        return await handle(user, chat_id, args)

    async def _start(self, chat_id: int, args: list[str]) -> str:
        if not args:
            return await self._explain(chat_id)
        try:
            user = await linking.redeem(self.store, args[0], chat_id, self.clock.timestamp())
        except LinkCodeInvalid:
            return replies.CODE_INVALID + "\n\n" + await self._explain(chat_id)
        except LinkCodeExpired:
            return replies.CODE_EXPIRED
        except LinkCodeUsed:
            return replies.CODE_USED
        except TelegramIdTaken:
            owner = await self.store.users.by_chat(chat_id)
            return replies.chat_taken(owner) if owner else replies.CODE_USED
        logger.info("chat %s linked to user %s by deep link", chat_id, user["_id"])
        return replies.linked(user)

    async def _explain(self, chat_id: int) -> str:
        """How to link, or whose the chat is when it is linked."""
        user = await self.store.users.by_chat(chat_id)
        return replies.HOW_TO_LINK if user is None else replies.already_linked(user)

    async def _help(self, user: dict, chat_id: int, args: list[str]) -> str:
        return replies.HELP

    async def _status(self, user: dict, chat_id: int, args: list[str]) -> str:
        now = self.clock.now()
        next_round = self.schedule.next(now)
        lines = [replies.countdown(self.schedule.countdown(now), next_round)]
        sitting_out = replies.participation(user, next_round.date())
        if sitting_out:
            lines.append(sitting_out)
        latest = await self.store.rounds.latest_number()
        pairs = [p for p in await self.store.pairs.for_user(user["_id"]) if p["round"] == latest]
        partner_ids = sorted({m for p in pairs for m in p["members"] if m != user["_id"]})
        found = await self.store.users.many(partner_ids)
        lines.append(replies.partners([found[p] for p in partner_ids if p in found]))
        return "\n\n".join(lines)

    async def _pause(self, user: dict, chat_id: int, args: list[str]) -> str:
        weeks = args[0] if len(args) == 1 else ""
        if not (weeks.isascii() and weeks.isdecimal() and int(weeks) in PAUSE_WEEKS):
            return replies.PAUSE_USAGE
        today = self._today()
        until = today + dt.timedelta(weeks=int(weeks))
        # Through the profile's own rule (a pause ends within a year).
        changed = await accounts.update_profile(self.store, user["_id"],
                                                {"paused_until": until.isoformat()}, today, V2)
        return replies.paused(changed["paused_until"])

    async def _resume(self, user: dict, chat_id: int, args: list[str]) -> str:
        await self.store.users.update(user["_id"], {"paused_until": None, "is_active_pair": True})
        return replies.resumed(self.schedule.next(self.clock.now()))

    async def _stop(self, user: dict, chat_id: int, args: list[str]) -> str:
        await self.store.users.update(user["_id"], {"is_active_pair": False})
        return replies.STOPPED

    async def _unlink(self, user: dict, chat_id: int, args: list[str]) -> str:
        await self.store.users.unlink_telegram(chat_id)
        # Nothing more goes to a chat its owner unlinked.
        await self.store.outbox.drop_chat(chat_id, "unlinked by its owner", self.clock.timestamp())
        logger.info("chat %s unlinked from user %s by /unlink", chat_id, user["_id"])
        return replies.unlinked(user)

    async def button(self, chat_id: int, data: str | None) -> ButtonAnswer:
        """A press on a reminder's button in ``chat_id``: recorded for the
        chat's owner when the pair is theirs, else only answered."""
        parsed = parse_button(data)
        if parsed is None:
            return ButtonAnswer(replies.BUTTON_UNKNOWN)
        pair_id, met = parsed
        user = await self.store.users.by_chat(chat_id)
        if user is None:
            return ButtonAnswer(replies.BUTTON_NOT_LINKED)
        try:
            pair = await feedback.own_pair(self.store, user["_id"], pair_id)
            await feedback.answer_round(self.store, pair, user["_id"], met, self._today(),
                                        self.clock.timestamp())
        except NotFound:
            logger.info("chat %s pressed a button for pair %s, not its owner's", chat_id, pair_id)
            return ButtonAnswer(replies.BUTTON_NOT_YOURS)
        except FeedbackClosed:
            return ButtonAnswer(replies.BUTTON_CLOSED)
        return ButtonAnswer(replies.BUTTON_COUNTED, met)
