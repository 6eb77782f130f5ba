"""Refresh-token rotation and revocation (SimpleJWT's blacklist app)."""

from unimatch import validation
from unimatch.auth.tokens import REFRESH
from unimatch.errors import InvalidToken, TokenBlacklisted

INVALID = "Token is invalid or expired"
BLACKLISTED = "Token is blacklisted"


async def _valid_refresh(store, tokens, token: str) -> dict:
    try:
        claims = tokens.decode(token, REFRESH)
    except InvalidToken:
        raise InvalidToken(INVALID) from None
    if await store.blacklist.contains(claims["jti"]):
        raise InvalidToken(BLACKLISTED)
    return claims


async def rotate(store, tokens, data: dict) -> dict:
    """A new access and refresh token for a valid refresh token, which is
    blacklisted in the same step: a token can be rotated once only."""
    claims = await _valid_refresh(store, tokens, validation.parse_refresh(data))
    if await store.users.get(claims["user_id"]) is None:
        raise InvalidToken(INVALID)
    await _revoke(store, claims)
    fresh = tokens.pair(claims["user_id"])
    return {"access": fresh["access"], "refresh": fresh["refresh"]}


async def revoke(store, tokens, data: dict) -> None:
    """Blacklist a refresh token (log out)."""
    claims = await _valid_refresh(store, tokens, validation.parse_refresh(data))
    await _revoke(store, claims)


async def _revoke(store, claims: dict) -> None:
    try:
        await store.blacklist.add(claims["jti"], int(claims["exp"]), claims["user_id"])
    except TokenBlacklisted:
        # Lost a race with a concurrent rotation of the same token.
        raise InvalidToken(BLACKLISTED) from None


