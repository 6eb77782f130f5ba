"""Linking a chat by deep link: the site hands a signed-in user a one-time
code inside a ``https://t.me/<bot>?start=<code>`` link; the bot's ``/start
<code>`` links the chat that sends it to that user's account. No Login
Widget (and no bot domain) is needed."""

import dataclasses
import hashlib
import secrets

from unimatch.errors import LinkCodeExpired, LinkCodeInvalid, LinkCodeUsed, TelegramIdTaken
from unimatch.store import Store

#: How long a code may be used, in seconds.
CODE_LIFETIME = 600.0
_SPENT_KIND = "telegram-link-code"


@dataclasses.dataclass(frozen=True)
class LinkCode:
    code: str
    url: str
    expires_at: float  # epoch s


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


async def issue(store: Store, user_id: int, bot_username: str, now: float) -> LinkCode:
    """A new code for ``user_id``, valid for :data:`CODE_LIFETIME`; earlier
    codes stay valid until they expire. Only the code's digest is stored."""
    # 128 bits in URL-safe base64: the characters a start parameter allows.
    code = secrets.token_urlsafe(16)
    until = now + CODE_LIFETIME
    await store.link_codes.add(_digest(code), user_id, until)
    return LinkCode(code, deep_link(bot_username, code), until)


async def redeem(store: Store, code: str, chat_id: int, now: float) -> dict:
    """Link ``chat_id`` to the account that asked for ``code``; returns that
    user. The code is spent by the first chat that links with it.

    Raises, changing nothing: :class:`LinkCodeInvalid` (no such code),
    :class:`LinkCodeExpired`, :class:`TelegramIdTaken` (the chat belongs to
    another account: a chat has one account, as with the Login Widget),
    :class:`LinkCodeUsed`."""
    digest = _digest(code)
    issued = await store.link_codes.get(digest)
    if issued is None:
        raise LinkCodeInvalid()
    if issued["until"] <= now:
        raise LinkCodeExpired()
    owner = await store.users.by_chat(chat_id)
    if owner is not None and owner["_id"] != issued["user_id"]:
        # Checked before the code is spent, so it still works elsewhere.
        raise TelegramIdTaken(chat_id)
    if not await store.spent.spend(_SPENT_KIND, digest, issued["until"]):
        raise LinkCodeUsed()
    return await store.users.link_telegram(issued["user_id"], chat_id)
