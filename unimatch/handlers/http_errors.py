"""Every error the service answers on purpose, mapped to its HTTP status
and body in one place (DRF's wording, so existing clients parse them)."""

import tornado.web

from unimatch import errors

NOT_AUTHENTICATED = "Authentication credentials were not provided."
TOKEN_NOT_VALID = "token_not_valid"

_FIXED: dict[type[errors.UniMatchError], tuple[int, dict]] = {
    errors.NotAuthenticated: (401, {"detail": NOT_AUTHENTICATED}),
    errors.BadCredentials: (401, {"detail": "No active account found with the given credentials"}),
    errors.PermissionDenied: (403, {"detail": "You do not have permission to perform this action."}),
    errors.ForeignOrigin: (403, {"detail": "Requests from this origin are not allowed here."}),
    errors.NotFound: (404, {"detail": "Not found."}),
    errors.TelegramAuthInvalid: (400, {"error": "Invalid tg auth"}),
    errors.TelegramEmailMismatch: (403, {"error": "The email belongs to another account"}),
    errors.TelegramIdTaken: (409, {"error": "This Telegram account is already linked to another user"}),
    errors.TelegramNotConfigured: (503, {"error": "Telegram login is not configured on this server"}),
    errors.TelegramBotNotConfigured: (503, {"detail": "No Telegram bot is configured on this server."}),
    errors.FeedbackClosed: (400, {"detail": "Answers about this pair closed when its round "
                                            "turned four weeks old."}),
    errors.MailNotConfigured: (503, {"detail": "This server is not set up to send mail."}),
    # Before ServiceUnavailable, its base: the first match answers.
    errors.HashingBusy: (503, {"detail": "Too many sign-ins at once, try again in a moment."}),
    errors.ServiceUnavailable: (503, {"detail": "Service temporarily unavailable, try again later."}),
    errors.HobbyExists: (400, {"name": ["hobby with this name already exists."]}),
}

_STATUS_DETAIL = {
    400: "Bad request.",
    401: NOT_AUTHENTICATED,
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    413: "Request body is too large (limit %d bytes).",
    415: 'Unsupported media type "%s" in request.',
    431: "Request header fields are too large (limit %d bytes).",
    503: "Service temporarily unavailable, try again later.",
}


class TooLarge(Exception):
    """A part of the request over ``limit`` bytes."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.limit = limit


class BodyTooLarge(TooLarge):
    """The body."""


class HeadersTooLarge(TooLarge):
    """The header fields, all together."""


class UnsupportedMediaType(Exception):
    """A body whose ``Content-Type`` is not JSON (``""`` when none was sent)."""

    def __init__(self, media_type: str):
        super().__init__(media_type)
        self.media_type = media_type


def error_response(exc: BaseException | None, status: int, method: str) -> tuple[int, dict]:
    """The status and JSON body for ``exc`` (or for a bare ``status``)."""
    if isinstance(exc, errors.FieldErrors):
        return 400, exc.fields
    if isinstance(exc, errors.ErrorMessage):
        return exc.status, {"error": exc.text}
    if isinstance(exc, errors.MessageText):
        return exc.status, {"message": exc.text}
    if isinstance(exc, errors.BadRequest):
        return 400, {"detail": exc.detail}
    if isinstance(exc, errors.InvalidToken):
        return 401, {"detail": exc.detail, "code": exc.code}
    if isinstance(exc, errors.Throttled):
        return 429, {"detail": f"Request was throttled. Expected available in {exc.retry_after} seconds."}
    if isinstance(exc, HeadersTooLarge):
        return 431, {"detail": _STATUS_DETAIL[431] % exc.limit}
    if isinstance(exc, BodyTooLarge):
        return 413, {"detail": _STATUS_DETAIL[413] % exc.limit}
    if isinstance(exc, UnsupportedMediaType):
        return 415, {"detail": _STATUS_DETAIL[415] % exc.media_type}
    for kind, answer in _FIXED.items():
        if isinstance(exc, kind):
            return answer
    if isinstance(exc, tornado.web.HTTPError):
        status = exc.status_code
    if status == 405:
        return 405, {"detail": f'Method "{method}" not allowed.'}
    if status >= 500:
        return status, {"detail": "A server error occurred."}
    return status, {"detail": _STATUS_DETAIL.get(status, "Request failed.")}
