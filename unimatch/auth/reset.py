"""Password reset by email: the link's ``uid`` and token, asking for a link,
and setting a new password with one.

The token is ``<issued>-<mac>``: the time it was made (seconds, base 36)
and an HMAC over the user id, the account's current password hash, its
email and that time, keyed by a key derived from the server's JWT secret.
It is refused once the password changes (so it is spent by its own use),
once ``lifetime`` has passed since it was made, and when it was spent
before (two confirmations racing with one token: one wins)."""

import base64
import binascii
import hashlib
import hmac
import logging
import math
import string
from urllib.parse import urlsplit

from unimatch import validation
from unimatch.auth.passwords import PasswordHasher, password_problems
from unimatch.auth.throttle import Limit, count, seconds_over
from unimatch.clock import Clock
from unimatch.errors import FieldErrors, MailNotConfigured, Throttled
from unimatch.mail.queue import MailQueue
from unimatch.origins import is_loopback_host
from unimatch.store import Store
from unimatch.store.users import email_key

logger = logging.getLogger(__name__)

BAD_UID = "Неверный идентификатор пользователя или пользователь не существует."
BAD_TOKEN = "Неверный токен для данного пользователя."
# Reset mails asked for one address, and reset requests from one client.
PER_EMAIL = Limit(3, 3600)
PER_CLIENT = Limit(10, 3600)
_KEY_PURPOSE = b"unimatch password reset link"
_MAC_DIGITS = 32  # 128 bits, in hex
_BASE36 = string.digits + string.ascii_lowercase
_MAX_UID = 24  # base64 of more digits than any id has


def encode_uid(user_id: int) -> str:
    """The id's decimal digits in unpadded base64url (id 2 is ``Mg``)."""
    return base64.urlsafe_b64encode(str(user_id).encode("ascii")).decode("ascii").rstrip("=")


def decode_uid(uid: str) -> int | None:
    """The user id ``uid`` spells, in the one form :func:`encode_uid`
    writes; None for anything else."""
    if not uid or len(uid) > _MAX_UID:
        return None
    try:
        digits = base64.urlsafe_b64decode(uid + "=" * (-len(uid) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    if not digits.isdigit() or not digits.isascii():
        return None
    user_id = int(digits)
    if not 1 <= user_id < validation.MAX_ID or encode_uid(user_id) != uid:
        return None
    return user_id


def reset_link(base: str, user_id: int, token: str) -> str:
    """The page where the web client asks for the new password."""
    return f"{base.rstrip('/')}/password-reset/{encode_uid(user_id)}/{token}"


class ResetTokens:
    """Makes and checks reset tokens. It holds a key derived from the JWT
    secret for this purpose alone, never the secret itself."""

    def __init__(self, key: bytes, clock: Clock, lifetime: int):
        self._key = key
        self._clock = clock
        self.lifetime = lifetime

    @classmethod
    def from_secret(cls, secret: str, clock: Clock, lifetime: int) -> "ResetTokens":
        key = hmac.new(secret.encode("utf-8"), _KEY_PURPOSE, hashlib.sha256).digest()
        return cls(key, clock, lifetime)

    def make(self, user_id: int, password_hash: str, email: str) -> str:
        """A token for the account as it is now (path-safe: ``[0-9a-z-]``)."""
        issued = int(self._clock.timestamp())
        return f"{_base36(issued)}-{self._mac(user_id, password_hash, email, issued)}"

    def issued_at(self, token: str, user_id: int, password_hash: str, email: str) -> int | None:
        """When a valid, unexpired token for this account was made; None
        for any other token."""
        stamp, _, mac = token.partition("-")
        if not 1 <= len(stamp) <= 8 or set(stamp) - set(_BASE36) or len(mac) != _MAC_DIGITS:
            return None
        issued = int(stamp, 36)
        if not hmac.compare_digest(mac, self._mac(user_id, password_hash, email, issued)):
            return None
        if self._clock.timestamp() - issued > self.lifetime:
            return None
        return issued

    def _mac(self, user_id: int, password_hash: str, email: str, issued: int) -> str:
        message = "\x00".join((str(user_id), password_hash, email_key(email), str(issued)))
        digest = hmac.new(self._key, message.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:_MAC_DIGITS]


class PasswordReset:
    """Asking for a reset link (queued: the mail sender looks the address
    up, so the answer and its timing say nothing about accounts) and
    setting a new password with one.

    ``queue`` None: this server sends no mail, so links cannot be asked
    for; links already sent still work. Links point at ``web_client_url``,
    else at the server's own origin when the request's host is one the
    server can vouch for: a loopback name, or an origin in ``trusted``
    (``--cors-origins``). Any other host could be a forged ``Host`` header
    that would send the victim's token to a stranger's site."""

    def __init__(self, store: Store, clock: Clock, hasher: PasswordHasher, tokens: ResetTokens,
                 queue: MailQueue | None, web_client_url: str | None = None,
                 trusted: tuple[str, ...] = ()):
        self.store = store
        self.clock = clock
        self.hasher = hasher
        self.tokens = tokens
        self.queue = queue
        self.web_client_url = web_client_url
        self.trusted = frozenset(o for o in trusted if o != "*")

    async def request(self, data: dict, client: str, own_origin: str) -> None:
        """Queue a reset mail for the address in ``data`` (sent only if an
        account has it) asked for by ``client``; raises
        :class:`MailNotConfigured`, :class:`FieldErrors` or :class:`Throttled`."""
        if self.queue is None:
            raise MailNotConfigured()
        address = validation.parse_reset_request(data)
        base = self._link_base(own_origin)
        now = self.clock.timestamp()
        limits = ((f"reset-client:{client}", PER_CLIENT),
                  (f"reset-email:{email_key(address)}", PER_EMAIL))
        for key, limit in limits:
            wait = await seconds_over(self.store, key, limit, now)
            if wait is not None:
                raise Throttled(wait)
        for key, limit in limits:
            await count(self.store, key, limit, now)
        await self.queue.reset_request(address, base)

    async def confirm(self, data: dict) -> None:
        """Set the new password if the link is valid, ending every session
        of the account; raises :class:`FieldErrors` for the first check that
        fails: the password's rules, the uid, the token."""
        clean = validation.parse_reset_confirm(data)
        user_id = decode_uid(clean["uid"])
        found = await self.store.users.for_reset_by_id(user_id) if user_id else None
        problems = password_problems(clean["new_password"], found[0] if found else {})
        if problems:
            raise FieldErrors({"new_password": problems})
        if found is None or user_id is None:
            raise FieldErrors({"uid": [BAD_UID]})
        user, password_hash = found
        issued = self.tokens.issued_at(clean["token"], user_id, password_hash, user["email"])
        if issued is None or not await self.store.spent.spend(
                "reset", f"{user_id}:{clean['token']}", issued + self.tokens.lifetime):
            raise FieldErrors({"token": [BAD_TOKEN]})
        hashed = await self.hasher.hash(clean["new_password"])
        # Tokens carry whole seconds (iat): every token of the reset's own
        # second is refused too, or one made by whoever else holds a session
        # would outlive the reset. The answer waits for the next second, so
        # the user's own log-in after it gets tokens that work.
        ended = math.ceil(self.clock.timestamp())
        await self.store.users.set_password(user_id, hashed, ended)
        while (left := ended - self.clock.timestamp()) > 0:
            await self.clock.sleep(left)
        logger.info("user %d set a new password with a reset link", user_id)

    def _link_base(self, own_origin: str) -> str:
        if self.web_client_url:
            return self.web_client_url
        if own_origin in self.trusted or is_loopback_host(urlsplit(own_origin).hostname or ""):
            return own_origin
        logger.warning("refused a reset link to %r, a host the server cannot vouch for: "
                       "set --web-client-url", own_origin)
        raise MailNotConfigured()


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, digit = divmod(number, 36)
        digits = _BASE36[digit] + digits
        if not number:
            return digits
