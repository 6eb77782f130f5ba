"""v2's session cookies: the refresh token (and, after Telegram sign-in,
the access token) in HttpOnly cookies that only v2's paths receive."""

import datetime as dt

import tornado.web

from unimatch.config import Config

REFRESH_COOKIE = "refresh_token"
ACCESS_COOKIE = "access_token"


def set_token_cookie(handler: tornado.web.RequestHandler, config: Config, name: str, token: str,
                     lifetime: int, now: dt.datetime) -> None:
    """``name=token`` for ``lifetime`` seconds (``Max-Age`` and a matching
    ``Expires``), HttpOnly, on v2's path, Secure unless switched off."""
    handler.set_cookie(name, token, path=config.v2_cookie_path, max_age=lifetime,
                       expires=now + dt.timedelta(seconds=lifetime), httponly=True,
                       secure=config.secure_cookies, samesite=config.cookie_samesite)


def clear_token_cookie(handler: tornado.web.RequestHandler, config: Config, name: str) -> None:
    """Expire the cookie with the same path and flags it was set with
    (browsers keep a cookie cleared with other ones)."""
    handler.set_cookie(name, "", path=config.v2_cookie_path, max_age=0,
                       expires=dt.datetime(1970, 1, 1, tzinfo=dt.UTC), httponly=True,
                       secure=config.secure_cookies, samesite=config.cookie_samesite)
