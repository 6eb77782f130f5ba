"""Domain errors. Domain and store code raise these; the handlers' base
class maps them to HTTP answers in one place."""


class UniMatchError(Exception):
    """Base of every error the service answers on purpose."""

    #: Seconds after which the client may try again, when that is the answer.
    retry_after: int | None = None


class FieldErrors(UniMatchError):
    """Client input failed validation: ``{field: [message, ...]}``."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__(fields)
        self.fields = fields


class BadRequest(UniMatchError):
    """A request that cannot be read at all (bad JSON, not an object)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class ErrorMessage(UniMatchError):
    """An answer in v2's ``{"error": text}`` shape: the one text its web
    client shows (Russian where the client shows it)."""

    def __init__(self, text: str, status: int = 400):
        super().__init__(text)
        self.text = text
        self.status = status


class NotAnObject(BadRequest):
    """A JSON body that is not an object."""


class ForeignOrigin(UniMatchError):
    """A browser request from an origin that may not use this endpoint."""


class NotAuthenticated(UniMatchError):
    """No credentials were sent."""


class InvalidToken(UniMatchError):
    """A token that is malformed, expired, of the wrong type or revoked."""

    def __init__(self, detail: str = "Given token not valid for any token type",
                 code: str = "token_not_valid"):
        super().__init__(detail)
        self.detail = detail
        self.code = code


class BadCredentials(UniMatchError):
    """Wrong email or password at login."""


class Throttled(UniMatchError):
    """Too many attempts: try again in ``retry_after`` seconds."""

    def __init__(self, wait: int):
        super().__init__(wait)
        self.retry_after = wait


class PermissionDenied(UniMatchError):
    """Authenticated, but not allowed to do this."""


class NotFound(UniMatchError):
    """A document the request relies on does not exist."""


class EmailTaken(UniMatchError):
    """Another account already uses this email (case-insensitively)."""


class HobbyExists(UniMatchError):
    """A hobby with this name (case-insensitively) already exists."""


class TokenBlacklisted(UniMatchError):
    """The refresh token was revoked (logout or rotation)."""


class TelegramAuthInvalid(UniMatchError):
    """The Telegram Login Widget payload failed verification."""


class TelegramNotConfigured(UniMatchError):
    """The server has no bot token, so it cannot verify Telegram logins."""


class TelegramEmailMismatch(UniMatchError):
    """The payload's ``email`` names another account than the caller's."""


class TelegramIdTaken(UniMatchError):
    """This Telegram account is linked to another user."""


class FeedbackClosed(UniMatchError):
    """Answers about this pair are no longer taken (its round is four weeks old)."""


class ServiceUnavailable(UniMatchError):
    """A part of the service this request needs is not running.
    ``retry_after``: seconds a client should wait before trying again
    (None: unknown)."""

    retry_after: int | None = None


class HashingBusy(ServiceUnavailable):
    """Every password hashing worker is busy and the queue for them is
    full (a login storm): refused at once rather than kept waiting."""

    retry_after = 1


class NoDatabase(UniMatchError):
    """There is no embedded database where one was expected (and creating
    one was not asked for)."""


class StoreUnavailable(ServiceUnavailable):
    """The database cannot be reached or cannot write right now (it is
    restarting, or its disk is full): worth a retry in a few seconds."""

    retry_after = 5


class MessageText(UniMatchError):
    """An answer in the ``{"message": text}`` shape (v2's mail to everyone)."""

    def __init__(self, text: str, status: int = 400):
        super().__init__(text)
        self.text = text
        self.status = status


class MailNotConfigured(ServiceUnavailable):
    """This server sends no mail (no SMTP settings), or does not know where
    a reset link may point (no web client URL, and a host it cannot vouch for)."""


class TelegramBotNotConfigured(ServiceUnavailable):
    """There is no Telegram bot to link a chat through: no bot token, or no
    bot username to build its deep link."""


class LinkCodeInvalid(UniMatchError):
    """A Telegram link code that was never issued (or is long forgotten)."""


class LinkCodeExpired(UniMatchError):
    """A Telegram link code past its lifetime."""


class LinkCodeUsed(UniMatchError):
    """A Telegram link code that has linked a chat already."""
