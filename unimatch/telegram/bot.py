"""The two-way bot: python-telegram-bot's ``Application``, fed by long
polling from the Bot API (``TELEGRAM_API_URL``), on Tornado's event loop.

Telegram answers only one poller per bot, and the bot's replies count
against the same per-bot limits as the notices, so the bot polls in the
one process that holds the Telegram sender role: it starts polling when
the role is held and stops when it is lost. It never uses ``run_polling``
(which would own the event loop): ``async with application``, then
``application.start()`` and ``application.updater.start_polling()``."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from unimatch.clock import Clock
from unimatch.delivery import OutboxSender, Reachability
from unimatch.errors import StoreUnavailable
from unimatch.telegram import replies
from unimatch.telegram.conversation import Conversation
from unimatch.telegram.messages import counted_message

logger = logging.getLogger(__name__)

#: Seconds Telegram may hold an empty ``getUpdates`` (long polling).
POLL_TIMEOUT = 30
COMMANDS = ("start", "status", "pause", "resume", "stop", "unlink", "help")
ALLOWED_UPDATES = ["message", "callback_query"]
_WARN_EVERY = 300.0  # polling errors: one warning per this many seconds


def build_application(token: str, api_url: str, conversation: Conversation) -> Application:
    """The bot's Application: each command of :data:`COMMANDS`, anything
    else a person writes (answered with the help), and reminder buttons.
    Private chats only: a chat is one person's."""
    base = api_url.rstrip("/")
    application = (ApplicationBuilder().token(token).base_url(f"{base}/bot")
                   .base_file_url(f"{base}/file/bot").build())
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for name in COMMANDS:
        application.add_handler(CommandHandler(name, _on_command(conversation, name),
                                               filters=private))
    application.add_handler(MessageHandler(private & (filters.COMMAND | filters.TEXT),
                                           _on_command(conversation, "")))
    application.add_handler(CallbackQueryHandler(_on_button(conversation)))
    application.add_error_handler(_on_error)
    return application


Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def _on_command(conversation: Conversation, name: str) -> Callback:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return
        try:
            text = await conversation.command(chat.id, name, list(context.args or []))
        except StoreUnavailable:
            text = replies.TRY_LATER
        await message.reply_text(text)
    return handle


def _on_button(conversation: Conversation) -> Callback:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        shown = query.message
        chat_id = shown.chat.id if shown is not None else query.from_user.id
        try:
            answer = await conversation.button(chat_id, query.data)
        except StoreUnavailable:
            await query.answer(replies.TRY_LATER)
            return
        await query.answer(answer.notice)
        if answer.met is None or not isinstance(shown, Message) or not shown.text:
            return
        try:
            await query.edit_message_text(counted_message(shown.text, answer.met))
        except BadRequest as exc:  # the same answer twice ("not modified"), or gone
            logger.info("reminder in chat %s left as it was: %s", chat_id, exc)
    return handle


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error("handling Telegram update %s failed", update_id, exc_info=context.error)


class TelegramBot:
    """Runs the bot while ``role`` (the Telegram notifier: the same sender
    role) is held here. :meth:`check` is the periodic entry point;
    ``make_application`` builds a fresh Application for each start."""

    def __init__(self, make_application: Callable[[], Application], role: OutboxSender,
                 clock: Clock, poll_timeout: float = POLL_TIMEOUT):
        self.make_application = make_application
        self.role = role
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.reachability = Reachability("Telegram updates")
        self.polling = False  # between start_polling and stop
        self._task: asyncio.Future | None = None
        self._stop = asyncio.Event()
        self._closed = False
        self._warned_at: float | None = None

    async def check(self) -> None:
        """Poll while the role is held here, stop when it is not. Logs,
        never raises."""
        if self._closed:
            return
        try:
            held = await self.role.hold_role()
        except Exception:
            logger.exception("could not check the Telegram sender role")
            held = False
        if held:
            self._launch()
        elif self._task is not None:
            logger.info("the Telegram sender role is held elsewhere: the bot stops polling here")
            await self._halt()

    async def close(self) -> None:
        """Stop polling for good, after the updates in hand are answered."""
        self._closed = True
        await self._halt()

    def _launch(self) -> None:
        if self._task is not None and not self._task.done():
            return
        if not self.reachability.may_try(self.clock.timestamp()):
            return
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._run(self._stop))

    async def _halt(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            self._stop.set()
            await task

    async def _run(self, stop: asyncio.Event) -> None:
        application = self.make_application()
        try:
            async with application:
                await application.start()
                try:
                    await self._poll(application, stop)
                finally:
                    await application.stop()
        except TelegramError as exc:
            self.reachability.failed(self.clock.timestamp(), exc)
        except Exception as exc:
            logger.exception("the Telegram bot stopped")
            self.reachability.failed(self.clock.timestamp(), exc)

    async def _poll(self, application: Application, stop: asyncio.Event) -> None:
        updater = application.updater
        if updater is None:  # built without one: cannot happen with ApplicationBuilder's default
            raise RuntimeError("the Telegram application has no updater")
        await updater.start_polling(timeout=int(self.poll_timeout), allowed_updates=ALLOWED_UPDATES,
                                    error_callback=self._polling_failed)
        self.polling = True
        self.reachability.succeeded()
        logger.info("Telegram bot @%s answers here", application.bot.username)
        try:
            await stop.wait()
        finally:
            self.polling = False
            # Confirms what was fetched, so the next poller does not get it again.
            await updater.stop()

    def _polling_failed(self, exc: TelegramError) -> None:
        """PTB retries failed polls by itself (backing off to 30 s); an
        outage is a warning now and then, not a line a second."""
        now = self.clock.timestamp()
        if self._warned_at is None or now - self._warned_at >= _WARN_EVERY:
            self._warned_at = now
            logger.warning("fetching Telegram updates failed (%s); retrying", exc)
        else:
            logger.debug("fetching Telegram updates failed again: %s", exc)
