"""v2's session cookies: the refresh token (and, after Telegram sign-in,
the access token) in HttpOnly cookies that only v2's paths receive."""

import datetime as dt
from http.cookies import SimpleCookie

import tornado.httputil
import tornado.web

from unimatch.config import Config

REFRESH_COOKIE = "refresh_token"
ACCESS_COOKIE = "access_token"
_LONG_AGO = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def set_token_cookie(handler: tornado.web.RequestHandler, config: Config, name: str, token: str,
                     lifetime: int, now: dt.datetime) -> None:
    """``name=token`` for ``lifetime`` seconds (``Max-Age`` and a matching
    ``Expires``), HttpOnly, on v2's path, Secure unless switched off."""
    _add(handler, config, name, token, lifetime, now + dt.timedelta(seconds=lifetime))


def clear_token_cookie(handler: tornado.web.RequestHandler, config: Config, name: str) -> None:
    """Expire the cookie with the same path and flags it was set with
    (browsers keep a cookie cleared with other ones)."""
    _add(handler, config, name, "", 0, _LONG_AGO)


def _add(handler: tornado.web.RequestHandler, config: Config, name: str, value: str,
         max_age: int, expires: dt.datetime) -> None:
    # Built here rather than by set_cookie, which leaves out "Max-Age=0".
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = config.v2_cookie_path
    morsel["max-age"] = str(max_age)
    morsel["expires"] = tornado.httputil.format_timestamp(expires)
    morsel["httponly"] = True
    morsel["samesite"] = config.cookie_samesite
    if config.secure_cookies:
        morsel["secure"] = True
    handler.add_header("Set-Cookie", morsel.OutputString())
