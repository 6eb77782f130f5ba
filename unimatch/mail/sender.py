"""Delivers the mail outbox through the SMTP server, off the event loop.

A reset request names an address; only here is it looked up, and a mail
composed with a fresh link when an account has it (else the request is
dropped without a word). A permanent refusal (5xx) drops the message with
a log line; a temporary one (4xx) tries it again after a backoff; while
the server cannot be used (network, TLS, login) every message waits and
none is dropped. Claims, the one sender role and graceful stops are
:mod:`unimatch.delivery`'s."""

import asyncio
import logging
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any, TypeVar

from unimatch.auth.reset import ResetTokens, reset_link
from unimatch.clock import Clock
from unimatch.delivery import OutboxSender
from unimatch.mail.messages import announcement, ascii_address, is_placeholder, reset_mail
from unimatch.mail.queue import ANNOUNCEMENT, RESET
from unimatch.mail.smtp import Deferred, Refused, SmtpConnection, Unreachable
from unimatch.metrics import Metrics
from unimatch.store import Store

logger = logging.getLogger(__name__)

T = TypeVar("T")


class MailSender(OutboxSender):
    """``sender``: the From address (also the envelope's); ``site_name``
    signs the mail; ``tokens`` make reset links."""

    channel = "mail"

    def __init__(self, store: Store, clock: Clock, connection: SmtpConnection, *,
                 sender: str, site_name: str, tokens: ResetTokens, metrics: Metrics | None = None):
        super().__init__(store.mail, clock, "mail server", metrics)
        self.store = store
        self.connection = connection
        self.sender = sender
        self._envelope_sender = ascii_address(sender)
        self.site_name = site_name
        self.tokens = tokens
        self._contents: dict[str, dict | None] = {}

    async def _end_batch(self) -> None:
        # A session per batch: servers drop idle ones anyway.
        await self._shutdown()
        self._contents.clear()

    async def _shutdown(self) -> None:
        if self.connection.is_open:
            await _off_loop(self.connection.close)

    async def _send(self, message: dict) -> str:
        composed = await self._compose(message)
        if composed is None:
            await self.outbox.drop(message["_id"], "nobody to send it to", self.clock.timestamp())
            return "dropped"
        mail, recipient = composed
        try:
            await _off_loop(self.connection.send, mail, self._envelope_sender, recipient)
        except Refused as exc:
            return await self.refused(message, exc)
        except Deferred as exc:
            return await self.retry_or_give_up(message, exc)
        except Unreachable as exc:
            return await self.wait_for_service(message, exc)
        return await self.delivered(message)

    async def _compose(self, message: dict) -> tuple[EmailMessage, str] | None:
        """The mail and its envelope recipient; None when there is none to
        send (no such account, a placeholder address, content gone)."""
        now = self.clock.now()
        if message.get("kind") == RESET:
            found = await self.store.users.for_reset(message["to"])
            if found is None or is_placeholder(found[0]["email"]):
                return None
            user, password_hash = found
            token = self.tokens.make(user["_id"], password_hash, user["email"])
            link = reset_link(message["link_base"], user["_id"], token)
            mail = reset_mail(to=user["email"], link=link, site_name=self.site_name,
                              sender=self.sender, now=now)
            return mail, ascii_address(user["email"])
        if message.get("kind") == ANNOUNCEMENT:
            content = await self._content(message["content"])
            if content is None:
                return None
            mail = announcement(to=message["to"], subject=content["subject"],
                                markup=content["html"], site_name=self.site_name,
                                sender=self.sender, now=now)
            return mail, ascii_address(message["to"])
        logger.warning("mail message %s is of no kind this server sends", message["_id"])
        return None

    async def _content(self, content_id: str) -> dict | None:
        if content_id not in self._contents:
            self._contents[content_id] = await self.outbox.content(content_id)
        return self._contents[content_id]


async def _off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking SMTP work in the loop's thread pool."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
