"""Who is asking: logging in with a password, reading an access token, and
rotating or revoking refresh tokens (SimpleJWT's blacklist app)."""

import logging

from unimatch import validation
from unimatch.auth.passwords import PasswordHasher
from unimatch.auth.throttle import LoginThrottle
from unimatch.auth.tokens import ACCESS, REFRESH, TokenService
from unimatch.auth.tokens import INVALID as TOKEN_INVALID
from unimatch.errors import BadCredentials, InvalidToken, TokenBlacklisted
from unimatch.store import Store
from unimatch.store.users import email_key

logger = logging.getLogger(__name__)

INVALID = "Token is invalid or expired"
BLACKLISTED = "Token is blacklisted"


async def authenticate(store: Store, hasher: PasswordHasher, throttle: LoginThrottle,
                       data: dict, address: str) -> int:
    """The user id for a correct email and password from client ``address``;
    raises :class:`BadCredentials`, or :class:`Throttled` (before any
    password is checked) after too many failures, or :class:`HashingBusy`
    (before any store round trip) when the hasher's queue is full."""
    clean = validation.parse_login(data)
    hasher.refuse_when_full()
    account = email_key(clean["email"])
    await throttle.check(account, address)
    found = await store.users.credentials(clean["email"])
    hashed = found[1] if found else None
    # Verified even for an unknown email (against a dummy hash), so a wrong
    # email costs the same time as a wrong password.
    if not await hasher.verify(clean["password"], hashed) or found is None:
        await throttle.failed(account, address)
        raise BadCredentials()
    await throttle.succeeded(account, address)
    return found[0]


async def user_for_access_token(store: Store, tokens: TokenService, token: object) -> dict:
    """The user an access token belongs to; raises :class:`InvalidToken` for
    a bad, expired or wrong-type token or one whose user no longer exists.
    REST requests and sockets authenticate through this one check, on this
    process's copy of the user (a password reset made by another process
    counts here within about a second). Everything that issues tokens
    reads the user afresh, so a reset can never be outlived by a session."""
    claims = tokens.decode(token, ACCESS)
    user = await store.users.get(claims["user_id"])
    if user is None or not _current(claims, user):
        raise InvalidToken()
    return user


def _current(claims: dict, user: dict) -> bool:
    """Whether a token was issued after the user's sessions last ended (a
    password reset ends them all)."""
    return claims["iat"] >= user.get("tokens_after", 0)


async def rotate(store: Store, tokens: TokenService, data: dict) -> dict:
    """A new access and refresh token for a valid refresh token, which is
    blacklisted in the same step: a token can be rotated once only."""
    claims = await _valid_refresh(store, tokens, validation.parse_refresh(data))
    user = await store.users.get(claims["user_id"], fresh=True)
    if user is None or not _current(claims, user):
        raise InvalidToken(INVALID)
    await _revoke(store, claims)
    fresh = tokens.pair(claims["user_id"])
    return {"access": fresh["access"], "refresh": fresh["refresh"]}


async def revoke(store: Store, tokens: TokenService, data: dict) -> None:
    """Blacklist a refresh token (log out)."""
    claims = await _valid_refresh(store, tokens, validation.parse_refresh(data))
    await _revoke(store, claims)


async def _valid_refresh(store: Store, tokens: TokenService, token: str) -> dict:
    try:
        claims = tokens.decode(token, REFRESH)
    except InvalidToken:
        raise InvalidToken(INVALID) from None
    if await store.blacklist.contains(claims["jti"]):
        raise InvalidToken(BLACKLISTED)
    return claims


async def _revoke(store: Store, claims: dict) -> None:
    try:
        await store.blacklist.add(claims["jti"], int(claims["exp"]), claims["user_id"])
    except TokenBlacklisted:
        # Lost a race with a concurrent rotation of the same token.
        raise InvalidToken(BLACKLISTED) from None


# -- v2: the refresh token in a cookie ----------------------------------------


async def refresh_with_grace(store: Store, tokens: TokenService, token: object, now: float,
                             grace: float) -> dict:
    """v2's refresh: ``{"access", "refresh"}`` for the refresh token from
    the cookie, which is revoked in the same step (rotation).

    One page load sends several refreshes with one cookie, milliseconds
    apart. Within ``grace`` seconds of a rotation, the rotated token answers
    again with the same successor (and a new access token) instead of
    failing; after it, or once the successor itself is revoked (logout) or
    the user's sessions ended (password reset), it is refused. Raises
    :class:`InvalidToken`."""
    claims = tokens.decode(token, REFRESH)
    user = await store.users.get(claims["user_id"], fresh=True)
    if user is None or not _current(claims, user):
        raise InvalidToken(INVALID)
    successor = tokens.claims(user["_id"], REFRESH)
    try:
        await store.blacklist.add(claims["jti"], int(claims["exp"]), user["_id"],
                                  successor=successor, rotated_at=now)
    except TokenBlacklisted:
        successor = await _successor_in_grace(store, claims, user, now, grace)
    return {"access": tokens.issue(user["_id"], ACCESS), "refresh": tokens.encode(successor)}


async def _successor_in_grace(store: Store, claims: dict, user: dict, now: float,
                              grace: float) -> dict:
    revoked = await store.blacklist.get(claims["jti"]) or {}
    successor = revoked.get("successor")
    if (not successor or now - revoked.get("rotated_at", 0) > grace
            or not _current(successor, user) or await store.blacklist.contains(successor["jti"])):
        raise InvalidToken(BLACKLISTED)
    return successor


async def logout(store: Store, tokens: TokenService, token: object) -> None:
    """v2's logout: revoke the cookie's refresh token, and the successor a
    rotation gave it, which ends its grace at once. Raises
    :class:`InvalidToken` for a token that is bad or was revoked already."""
    claims = tokens.decode(token, REFRESH)
    try:
        await store.blacklist.add(claims["jti"], int(claims["exp"]), claims["user_id"])
    except TokenBlacklisted:
        revoked = await store.blacklist.get(claims["jti"])
        successor = (revoked or {}).get("successor")
        if successor:
            try:
                await store.blacklist.add(successor["jti"], successor["exp"], claims["user_id"])
            except TokenBlacklisted:
                pass
        raise InvalidToken(BLACKLISTED) from None


async def verify(store: Store, tokens: TokenService, token: object) -> dict:
    """Any token of this service that is valid now, access or refresh:
    its claims. Raises :class:`InvalidToken` ("Token is invalid" or "Token
    is expired") or :class:`TokenBlacklisted` for a revoked refresh token."""
    claims = tokens.verify(token)
    user = await store.users.get(claims["user_id"], fresh=True)
    # Tokens of a deleted account, or from before its sessions ended (a
    # password reset), are refused everywhere else, so here too.
    if user is None or not _current(claims, user):
        raise InvalidToken(TOKEN_INVALID)
    if claims["token_type"] == REFRESH and await store.blacklist.contains(claims["jti"]):
        raise TokenBlacklisted(claims["jti"])
    return claims
