"""Domain errors mapped to HTTP answers, on their own."""

import pytest
import tornado.web

from unimatch import errors
from unimatch.handlers.http_errors import (
    BodyTooLarge,
    HeadersTooLarge,
    UnsupportedMediaType,
    error_response,
)


@pytest.mark.parametrize("exc, expected", [
    (errors.FieldErrors({"email": ["bad"]}), (400, {"email": ["bad"]})),
    (errors.BadRequest("JSON parse error - x"), (400, {"detail": "JSON parse error - x"})),
    (errors.NotAuthenticated(), (401, {"detail": "Authentication credentials were not provided."})),
    (errors.InvalidToken("Token is blacklisted"),
     (401, {"detail": "Token is blacklisted", "code": "token_not_valid"})),
    (errors.BadCredentials(),
     (401, {"detail": "No active account found with the given credentials"})),
    (errors.PermissionDenied(),
     (403, {"detail": "You do not have permission to perform this action."})),
    (errors.NotFound(), (404, {"detail": "Not found."})),
    (errors.TelegramAuthInvalid(), (400, {"error": "Invalid tg auth"})),
    (errors.TelegramIdTaken(5),
     (409, {"error": "This Telegram account is already linked to another user"})),
    (errors.StoreUnavailable("down"),
     (503, {"detail": "Service temporarily unavailable, try again later."})),
    (BodyTooLarge(10), (413, {"detail": "Request body is too large (limit 10 bytes)."})),
    (HeadersTooLarge(10),
     (431, {"detail": "Request header fields are too large (limit 10 bytes)."})),
    (UnsupportedMediaType("text/plain"),
     (415, {"detail": 'Unsupported media type "text/plain" in request.'})),
])
def test_each_error_has_its_answer(exc, expected):
    assert error_response(exc, 500, "POST") == expected


def test_bare_statuses():
    assert error_response(None, 405, "DELETE") == (405, {"detail": 'Method "DELETE" not allowed.'})
    assert error_response(tornado.web.HTTPError(404), 500, "GET") == (404, {"detail": "Not found."})
    assert error_response(ValueError("secret detail"), 500, "GET") == (
        500, {"detail": "A server error occurred."})
    assert error_response(None, 418, "GET") == (418, {"detail": "Request failed."})
