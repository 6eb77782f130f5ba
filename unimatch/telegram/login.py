"""Telegram Login Widget verification, as Telegram documents it:
https://core.telegram.org/widgets/login#checking-authorization"""

import dataclasses
import hashlib
import hmac

from unimatch.errors import TelegramAuthInvalid

MAX_AGE = 24 * 3600
# Not part of Telegram's signed data: our own addition to the payload.
_UNSIGNED = frozenset({"hash", "email"})


@dataclasses.dataclass(frozen=True)
class WidgetLogin:
    """A verified Login Widget payload: who, its signature (what makes it
    single-use) and until when it may be used."""

    telegram_id: int
    signature: str
    valid_until: float


def verify_login(payload: dict, bot_token: str, now: float) -> WidgetLogin:
    """A genuine payload under a day old.

    The data-check string is every received field except ``hash`` (and our
    ``email``), as ``key=value`` lines sorted by key; its HMAC-SHA-256 keyed
    with SHA-256(bot token) must equal ``hash``. Raises
    :class:`TelegramAuthInvalid` otherwise."""
    telegram_id = payload.get("id")
    auth_date = payload.get("auth_date")
    received = payload.get("hash")
    # compare_digest raises on non-ASCII strings, so the hash is checked first.
    if not (_is_int(telegram_id) and _is_int(auth_date) and isinstance(received, str)
            and received.isascii()):
        raise TelegramAuthInvalid()
    fields = {k: v for k, v in payload.items() if k not in _UNSIGNED and v is not None}
    if any(not isinstance(v, (str, int)) or isinstance(v, bool) for v in fields.values()):
        raise TelegramAuthInvalid()
    if not hmac.compare_digest(_signature(fields, bot_token), received.lower()):
        raise TelegramAuthInvalid()
    signed_at = int(auth_date)  # type: ignore[arg-type]  # _is_int checked it
    age = now - signed_at
    if age > MAX_AGE or age < -300:  # a little leeway for clock skew
        raise TelegramAuthInvalid()
    return WidgetLogin(int(telegram_id), received.lower(),  # type: ignore[arg-type]
                       signed_at + MAX_AGE)


def _is_int(value: object) -> bool:
    if isinstance(value, str):
        if not value.isdecimal():  # not isdigit: "²" is a digit that int() refuses
            return False
        try:
            value = int(value)
        except ValueError:  # more digits than int() converts
            return False
    # Bounded to MongoDB's int64: the id becomes a stored chat id.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def sign_login(fields: dict, bot_token: str) -> dict:
    """A payload signed as Telegram signs it (tests use it)."""
    return {**fields, "hash": _signature(fields, bot_token)}


def _signature(fields: dict, bot_token: str) -> str:
    check_string = "\n".join(f"{k}={fields[k]}" for k in sorted(fields))
    secret = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
