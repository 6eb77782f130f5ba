"""Endpoints 2, 3 and 5: obtaining, refreshing and blacklisting JWTs, and
how the access token guards the protected paths."""

import asyncio
import json

import jwt
import pytest

from unimatch.auth.tokens import TokenService
from unimatch.errors import InvalidToken
from unimatch.jobs import ExpiredPurge

ME = "/auth/users/me/"
INVALID_OR_EXPIRED = {"detail": "Token is invalid or expired", "code": "token_not_valid"}
BLACKLISTED = {"detail": "Token is blacklisted", "code": "token_not_valid"}
NOT_VALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}
NO_ACCOUNT = {"detail": "No active account found with the given credentials"}


# -- api/token/ ----------------------------------------------------------------

@pytest.mark.gen_test
async def test_token_for_correct_credentials(api):
    registered = await api.register("ann@example.com", "correct-horse-7")
    status, body = await api.post("/api/token/", {"email": "ann@example.com",
                                                  "password": "correct-horse-7"})
    assert status == 200
    assert set(body) == {"refresh", "access"}
    status, me = await api.get(ME, token=body["access"])
    assert status == 200 and me["id"] == registered["user"]["id"]


@pytest.mark.gen_test
async def test_token_email_is_case_insensitive(api):
    await api.register("ann@example.com", "correct-horse-7")
    status, _ = await api.post("/api/token/", {"email": " ANN@Example.com ",
                                               "password": "correct-horse-7"})
    assert status == 200


@pytest.mark.gen_test
async def test_token_refused_for_bad_credentials(api):
    await api.register("ann@example.com", "correct-horse-7")
    for email, password in (("ann@example.com", "wrong-horse-7"),
                            ("nobody@example.com", "correct-horse-7"),
                            ("ann@example.com", "Correct-horse-7"),
                            ("ann@example.com", " correct-horse-7")):
        status, body = await api.post("/api/token/", {"email": email, "password": password})
        assert (status, body) == (401, NO_ACCOUNT), (email, password)


@pytest.mark.gen_test
async def test_token_missing_fields(api):
    for body, errors in (
            ({}, {"email": ["This field is required."], "password": ["This field is required."]}),
            ({"email": "ann@example.com"}, {"password": ["This field is required."]}),
            ({"password": "x"}, {"email": ["This field is required."]}),
            ({"email": "", "password": ""}, {"email": ["This field may not be blank."],
                                             "password": ["This field may not be blank."]}),
            ({"email": None, "password": "x"}, {"email": ["This field may not be null."]})):
        status, answer = await api.post("/api/token/", body)
        assert (status, answer) == (400, errors), body


# -- claims --------------------------------------------------------------------

@pytest.mark.gen_test
async def test_token_claims(api, config, clock):
    body = await api.register()
    user_id = body["user"]["id"]
    access = jwt.decode(body["access"], config.jwt_secret, algorithms=["HS256"],
                        options={"verify_exp": False})
    refresh = jwt.decode(body["refresh"], config.jwt_secret, algorithms=["HS256"],
                         options={"verify_exp": False})
    for claims, kind, lifetime in ((access, "access", 15 * 60),
                                   (refresh, "refresh", 7 * 24 * 3600)):
        assert set(claims) == {"token_type", "exp", "iat", "jti", "user_id"}
        assert claims["token_type"] == kind
        assert claims["user_id"] == user_id
        assert claims["exp"] - claims["iat"] == lifetime
        assert abs(claims["iat"] - clock.timestamp()) < 60
    assert access["jti"] != refresh["jti"]
    assert jwt.get_unverified_header(body["access"])["alg"] == "HS256"


@pytest.mark.gen_test
async def test_token_signed_with_another_secret_is_refused(api, config, clock):
    user_id = (await api.register())["user"]["id"]
    now = int(clock.timestamp())
    claims = {"token_type": "access", "exp": now + 900, "iat": now, "jti": "f" * 32,
              "user_id": user_id}
    forged = jwt.encode(claims, "another-secret-" + "y" * 32, algorithm="HS256")
    status, body = await api.get(ME, token=forged)
    assert (status, body) == (401, NOT_VALID)
    genuine = jwt.encode(claims, config.jwt_secret, algorithm="HS256")
    status, _ = await api.get(ME, token=genuine)
    assert status == 200


@pytest.mark.gen_test
async def test_unsigned_token_is_refused(api, clock):
    user_id = (await api.register())["user"]["id"]
    now = int(clock.timestamp())
    claims = {"token_type": "access", "exp": now + 900, "iat": now, "jti": "a" * 32,
              "user_id": user_id}
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    status, body = await api.get(ME, token=f"{header}.{payload}.")
    assert (status, body) == (401, NOT_VALID)


async def _answers_for_signed_tokens(api, config, clock, claims):
    """What each token path answers for a token signed with the server's
    secret whose claims are ``claims`` over sound defaults."""
    now = int(clock.timestamp())
    answers = []
    for token_type, path in (("access", ME), ("refresh", "/api/token/refresh/"),
                             ("refresh", "/api/token/blacklist/")):
        token = jwt.encode({"token_type": token_type, "exp": now + 900, "iat": now,
                            "jti": "b" * 32, **claims}, config.jwt_secret, algorithm="HS256")
        if token_type == "access":
            answers.append(await api.get(path, token=token))
        else:
            answers.append(await api.post(path, {"refresh": token}))
    return answers


@pytest.mark.gen_test
@pytest.mark.parametrize("user_id", [2**63, 2**64 + 1, -1, 0, 10**100, 1.5, "1", None])
async def test_signed_token_for_an_impossible_user_is_refused(api, config, clock, user_id):
    # Only the server can sign one, yet it must never reach the store as is:
    # BSON has no integer past int64 (that was a 500).
    await api.register()
    answers = await _answers_for_signed_tokens(api, config, clock, {"user_id": user_id})
    assert answers == [(401, NOT_VALID), (401, INVALID_OR_EXPIRED), (401, INVALID_OR_EXPIRED)]


@pytest.mark.gen_test
@pytest.mark.parametrize("claims", [{"exp": 10**400}, {"exp": float("nan")}, {"exp": 1e300},
                                    {"jti": {"$ne": None}}, {"jti": 5}])
async def test_signed_token_with_impossible_claims_is_refused(api, config, clock, claims):
    user_id = (await api.register())["user"]["id"]
    answers = await _answers_for_signed_tokens(api, config, clock, {"user_id": user_id, **claims})
    assert answers == [(401, NOT_VALID), (401, INVALID_OR_EXPIRED), (401, INVALID_OR_EXPIRED)]


# -- access tokens on protected paths --------------------------------------------

@pytest.mark.gen_test
async def test_access_token_expires_after_15_minutes(api, clock):
    access = (await api.register())["access"]
    clock.advance(899)
    status, _ = await api.get(ME, token=access)
    assert status == 200
    clock.advance(2)
    status, body = await api.get(ME, token=access)
    assert (status, body) == (401, NOT_VALID)
    assert api.last.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_checked_once_is_judged_again_on_every_use(clock):
    tokens = TokenService("service-secret-" + "s" * 32, clock)
    token = tokens.issue(7, "access")
    claims = tokens.decode(token, "access")
    claims["user_id"] = 8  # the caller's copy
    assert tokens.decode(token, "access")["user_id"] == 7
    with pytest.raises(InvalidToken):
        tokens.decode(token, "refresh")
    header, _, signature = token.split(".")
    forged = tokens.issue(8, "access").split(".")[1]  # another user's claims, this signature
    with pytest.raises(InvalidToken):
        tokens.decode(f"{header}.{forged}.{signature}", "access")
    clock.advance(900)
    with pytest.raises(InvalidToken) as expired:
        tokens.verify(token)
    assert expired.value.detail == "Token is expired"


@pytest.mark.gen_test
async def test_refresh_token_is_not_an_access_token(api):
    refresh = (await api.register())["refresh"]
    status, body = await api.get(ME, token=refresh)
    assert (status, body) == (401, NOT_VALID)


@pytest.mark.gen_test
async def test_garbage_bearer_token(api):
    for token in ("garbage", "a.b.c", "x" * 5000):
        status, body = await api.get(ME, token=token)
        assert (status, body) == (401, NOT_VALID), token[:20]


@pytest.mark.gen_test
async def test_no_credentials(api):
    status, body = await api.get(ME)
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.gen_test
async def test_other_authorization_scheme_is_no_credentials(api):
    status, body = await api.get(ME, headers={"Authorization": "Basic YW5uOng="})
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.gen_test
async def test_token_of_a_deleted_user_is_refused(api, store):
    body = await api.register()
    await store.db["users"].delete_one({"_id": body["user"]["id"]})
    status, answer = await api.get(ME, token=body["access"])
    assert (status, answer) == (401, NOT_VALID)
    status, answer = await api.post("/api/token/refresh/", {"refresh": body["refresh"]})
    assert (status, answer) == (401, INVALID_OR_EXPIRED)


# -- api/token/refresh/ -----------------------------------------------------------

@pytest.mark.gen_test
async def test_refresh_rotates(api):
    first = await api.register()
    status, body = await api.post("/api/token/refresh/", {"refresh": first["refresh"]})
    assert status == 200
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != first["refresh"]
    status, me = await api.get(ME, token=body["access"])
    assert status == 200 and me["id"] == first["user"]["id"]

    status, answer = await api.post("/api/token/refresh/", {"refresh": first["refresh"]})
    assert (status, answer) == (401, BLACKLISTED)
    # The new refresh token is good for exactly one more rotation.
    status, _ = await api.post("/api/token/refresh/", {"refresh": body["refresh"]})
    assert status == 200


@pytest.mark.gen_test
async def test_concurrent_refreshes_with_one_token(api):
    refresh = (await api.register())["refresh"]
    results = await asyncio.gather(*(api.post("/api/token/refresh/", {"refresh": refresh})
                                     for _ in range(8)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * 7
    for status, body in results:
        if status == 401:
            assert body == BLACKLISTED


@pytest.mark.gen_test
async def test_refresh_with_access_token(api):
    access = (await api.register())["access"]
    status, body = await api.post("/api/token/refresh/", {"refresh": access})
    assert (status, body) == (401, INVALID_OR_EXPIRED)


@pytest.mark.gen_test
async def test_refresh_with_garbage(api):
    for token in ("garbage", "a.b.c", 42):
        status, body = await api.post("/api/token/refresh/", {"refresh": token})
        assert (status, body) == (401, INVALID_OR_EXPIRED), token


@pytest.mark.gen_test
async def test_refresh_missing_field(api):
    status, body = await api.post("/api/token/refresh/", {})
    assert (status, body) == (400, {"refresh": ["This field is required."]})


@pytest.mark.gen_test
async def test_refresh_token_expires_after_7_days(api, clock):
    first = await api.register()
    clock.advance(7 * 24 * 3600 - 60)
    status, second = await api.post("/api/token/refresh/", {"refresh": first["refresh"]})
    assert status == 200
    clock.advance(7 * 24 * 3600 + 1)
    status, body = await api.post("/api/token/refresh/", {"refresh": second["refresh"]})
    assert (status, body) == (401, INVALID_OR_EXPIRED)


# -- api/token/blacklist/ -------------------------------------------------------

@pytest.mark.gen_test
async def test_blacklist(api):
    first = await api.register()
    status, body = await api.post("/api/token/blacklist/", {"refresh": first["refresh"]})
    assert (status, body) == (200, {})
    status, body = await api.post("/api/token/refresh/", {"refresh": first["refresh"]})
    assert (status, body) == (401, BLACKLISTED)
    status, body = await api.post("/api/token/blacklist/", {"refresh": first["refresh"]})
    assert (status, body) == (401, BLACKLISTED)


@pytest.mark.gen_test
async def test_blacklist_leaves_other_sessions_alone(api):
    first = await api.register("ann@example.com", "correct-horse-7")
    status, second = await api.post("/api/token/", {"email": "ann@example.com",
                                                    "password": "correct-horse-7"})
    assert status == 200
    await api.post("/api/token/blacklist/", {"refresh": first["refresh"]})
    status, _ = await api.post("/api/token/refresh/", {"refresh": second["refresh"]})
    assert status == 200


@pytest.mark.gen_test
async def test_blacklist_bad_token(api):
    access = (await api.register())["access"]
    for token in ("garbage", access):
        status, body = await api.post("/api/token/blacklist/", {"refresh": token})
        assert (status, body) == (401, INVALID_OR_EXPIRED)


@pytest.mark.gen_test
async def test_blacklist_expired_token(api, clock):
    refresh = (await api.register())["refresh"]
    clock.advance(7 * 24 * 3600 + 1)
    status, body = await api.post("/api/token/blacklist/", {"refresh": refresh})
    assert (status, body) == (401, INVALID_OR_EXPIRED)


@pytest.mark.gen_test
async def test_revoked_tokens_are_forgotten_once_expired(api, store, clock, realtime):
    # The service's own periodic purge: FerretDB has no TTL index to do it.
    purge = next(every.job for every in realtime.jobs.schedule
                 if isinstance(getattr(every.job, "__self__", None), ExpiredPurge))
    refresh = (await api.register())["refresh"]
    await api.post("/api/token/blacklist/", {"refresh": refresh})
    await purge()
    assert await store.blacklist.contains(jwt.decode(refresh, options={"verify_signature": False})["jti"])
    clock.advance(7 * 24 * 3600 + 1)
    await purge()
    assert await store.db["token_blacklist"].count_documents({}) == 0
    status, body = await api.post("/api/token/refresh/", {"refresh": refresh})
    assert (status, body) == (401, INVALID_OR_EXPIRED)
