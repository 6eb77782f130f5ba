"""The contract's conventions, true of every endpoint: JSON bodies and errors,
404/405/413, paths with and without the trailing slash, CORS, the schema."""

import asyncio
import re

import httpx
import pytest

from unimatch.handlers.base import MAX_BODY

JSON = "application/json; charset=utf-8"
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided."}


# -- request bodies ----------------------------------------------------------------

UNREADABLE = {
    "truncated": b'{"email": "ann@example.com", ',
    "single-quotes": b"{'email': 'ann@example.com'}",
    "text": b"not json",
    "bad-utf8": b'{"email": "\xff\xfe"}',
    "nan": b'{"email": NaN, "password": "x"}',
    "infinity": b'{"email": Infinity, "password": "x"}',
    "deep-arrays": b"[" * 100_000,
    "deep-objects": b"{" * 100_000,
    "deep-values": b'{"a": ' * 100_000,
}


@pytest.mark.gen_test
async def test_unreadable_body(api):
    for name, raw in UNREADABLE.items():
        status, body = await api.request("POST", "/api/token/", raw=raw,
                                         headers={"Content-Type": "application/json"})
        assert status == 400, name
        assert set(body) == {"detail"} and isinstance(body["detail"], str), name
        assert api.last.headers["Content-Type"] == JSON, name


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"telegram_bot_token": "1:token"}])
async def test_lone_surrogates_are_refused_everywhere(api, config_overrides):
    # Valid JSON ("\ud800" is a legal escape) but not encodable text: it would
    # fail later in bcrypt, PyJWT or BSON.
    token = (await api.register())["access"]
    for method, path, raw in (
            ("POST", "/users/api/register/",
             b'{"email": "b@example.com", "password": "pass\\ud800word"}'),
            ("POST", "/api/token/", b'{"email": "ann@example.com", "password": "x\\udfff"}'),
            ("POST", "/api/token/refresh/", b'{"refresh": "a\\ud800"}'),
            ("PATCH", "/auth/users/me/", b'{"first_name": "\\ud800"}'),
            ("POST", "/users/api/tg-auth/", b'{"id": 5, "auth_date": 1, "hash": "\\ud800"}'),
            ("POST", "/api/token/", b'{"\\ud800": 1}')):
        status, body = await api.request(method, path, raw=raw, token=token)
        assert status == 400 and set(body) == {"detail"}, (path, raw)
    # A proper surrogate pair is just a character.
    status, body = await api.patch("/auth/users/me/", raw=b'{"first_name": "\\ud83d\\ude00"}',
                                   token=token)
    assert (status, body["first_name"]) == (200, "\U0001F600")


@pytest.mark.gen_test
async def test_body_must_be_an_object(api):
    for raw, kind in ((b"[1, 2]", "list"), (b'"text"', "str"), (b"42", "int"),
                      (b"null", "NoneType")):
        status, body = await api.request("POST", "/users/api/register/", raw=raw)
        assert status == 400
        assert body == {"detail": f"Invalid data. Expected a dictionary, but got {kind}."}


@pytest.mark.gen_test
async def test_unreadable_body_on_an_authenticated_patch(api, store):
    registered = await api.register(first_name="Ann")
    status, body = await api.request("PATCH", "/auth/users/me/", raw=b"{bad",
                                     token=registered["access"])
    assert status == 400 and "detail" in body
    assert (await store.users.get(registered["user"]["id"]))["first_name"] == "Ann"


@pytest.mark.gen_test
async def test_body_over_the_limit(api):
    raw = b'{"email": "' + b"a" * MAX_BODY + b'"}'
    status, body = await api.request("POST", "/users/api/register/", raw=raw)
    assert status == 413
    assert set(body) == {"detail"}
    assert api.last.headers["Content-Type"] == JSON
    # The server keeps serving.
    status, _ = await api.get("/users/api/days-to-match/")
    assert status == 200


@pytest.mark.gen_test
async def test_declared_length_over_the_limit_is_refused_before_the_body(api, base_url):
    port = int(base_url.rpartition(":")[2])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /users/api/register/ HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % (MAX_BODY + 1))
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")  # answered without a body sent
    finally:
        writer.close()
        await writer.wait_closed()
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"Content-Type: application/json; charset=utf-8" in head


@pytest.mark.gen_test
async def test_chunked_body_over_the_limit(api, http_client, base_url):
    def chunks(write):
        async def produce():
            for _ in range(MAX_BODY // 65536 + 2):
                await write(b"a" * 65536)
        return produce()
    response = await http_client.fetch(base_url + "/users/api/register/", method="POST",
                                       body_producer=chunks, raise_error=False)
    assert response.code == 413
    assert response.headers["Content-Type"] == JSON
    status, _ = await api.get("/users/api/days-to-match/")
    assert status == 200


@pytest.mark.gen_test
async def test_body_at_the_limit_is_read(api):
    filler = b"a" * (MAX_BODY - len(b'{"email": "", "password": "x"}'))
    raw = b'{"email": "' + filler + b'", "password": "x"}'
    assert len(raw) == MAX_BODY
    status, body = await api.request("POST", "/api/token/", raw=raw)
    assert status == 400
    assert body == {"email": ["Ensure this field has no more than 254 characters."]}


# -- content types (DRF's JSONParser: a body is JSON or it is refused) ----------------

NOT_JSON = ("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x", "application/xml", "text/json",
            "application/jsonp", "application/json-seq")
JSON_TYPES = ("application/json", "application/json; charset=utf-8",
              "Application/JSON;Charset=UTF-8", "application/merge-patch+json",
              "application/vnd.api+json")


@pytest.mark.gen_test
async def test_a_body_that_is_not_declared_json_is_415(api, store):
    await api.register()
    login = b'{"email": "ann@example.com", "password": "correct-horse-7"}'
    for content_type in NOT_JSON:
        status, body = await api.request("POST", "/api/token/", raw=login,
                                         headers={"Content-Type": content_type})
        assert (status, body) == (
            415, {"detail": f'Unsupported media type "{content_type}" in request.'}), content_type
        assert api.last.headers["Content-Type"] == JSON
    for content_type in JSON_TYPES:
        status, body = await api.request("POST", "/api/token/", raw=login,
                                         headers={"Content-Type": content_type})
        assert status == 200, (content_type, body)


@pytest.mark.gen_test
async def test_a_form_cannot_change_a_profile(api):
    token = (await api.register(first_name="Ann"))["access"]
    status, _ = await api.request("PATCH", "/auth/users/me/", raw=b'{"first_name": "Eve"}',
                                  token=token, headers={"Content-Type": "text/plain"})
    assert status == 415
    status, me = await api.get("/auth/users/me/", token=token)
    assert me["first_name"] == "Ann"


@pytest.mark.gen_test
async def test_no_content_type(base_url, api, store):
    """An empty body needs no type (a bare POST, as clients send to
    create-pairs); a body without one is refused as DRF did."""
    registered = await api.register()
    await store.users.set_staff("ann@example.com")
    bearer = {"Authorization": "Bearer " + registered["access"]}
    async with httpx.AsyncClient(base_url=base_url) as client:
        for method, path, expected in (("POST", "/admin-api/create-pairs/", 201),
                                       ("POST", "/auth/users/me/", 200),
                                       ("PATCH", "/auth/users/me/", 200),
                                       ("POST", "/api/token/refresh/", 400)):
            answer = await client.request(method, path, headers=bearer)
            assert "content-type" not in answer.request.headers
            assert answer.status_code == expected, (method, path, answer.text)
        answer = await client.post("/api/token/refresh/", content=b'{"refresh": "x"}')
        assert "content-type" not in answer.request.headers
        assert (answer.status_code, answer.json()) == (
            415, {"detail": 'Unsupported media type "" in request.'})
        # Any type will do for an empty body.
        answer = await client.patch("/auth/users/me/", headers={**bearer, "Content-Type": "text/plain"})
        assert answer.status_code == 200


# -- unknown paths, wrong methods ---------------------------------------------------

@pytest.mark.gen_test
async def test_unknown_path(api):
    for path in ("/nope", "/users/api/", "/users/api/register/extra/", "/users/api/hobby/99/",
                 "/api/token//", "/API/TOKEN/"):
        for method in ("GET", "POST", "PATCH", "DELETE"):
            status, body = await api.request(method, path)
            assert (status, body) == (404, {"detail": "Not found."}), (method, path)
            assert api.last.headers["Content-Type"] == JSON


@pytest.mark.gen_test
async def test_unknown_static_file_is_a_json_404(api):
    status, body = await api.get("/static/no-such-file.js")
    assert (status, body) == (404, {"detail": "Not found."})


@pytest.mark.gen_test
async def test_wrong_method(api):
    for method, path in (
            ("DELETE", "/api/token/"), ("GET", "/api/token/"), ("GET", "/users/api/register/"),
            ("PUT", "/auth/users/me/"), ("DELETE", "/users/api/hobby/"),
            ("POST", "/users/api/pairs/"), ("POST", "/users/api/days-to-match/"),
            ("PATCH", "/users/api/hobby/all/"), ("GET", "/users/api/tg-auth/"),
            ("DELETE", "/api/token")):
        status, body = await api.request(method, path)
        assert status == 405, (method, path)
        assert body == {"detail": f'Method "{method}" not allowed.'}
        assert api.last.headers["Content-Type"] == JSON
        assert method not in api.last.headers["Allow"]


# -- trailing slash --------------------------------------------------------------

CONTRACT_PATHS = (
    "users/api/register/", "api/token/", "api/token/refresh/", "auth/users/me/",
    "api/token/blacklist/", "users/api/tg-auth/", "users/api/pairs/", "users/api/hobby/",
    "users/api/hobby/all/", "users/api/hobby/total/", "users/api/days-to-match/",
)


@pytest.mark.gen_test
@pytest.mark.parametrize("path", CONTRACT_PATHS)
async def test_every_path_works_without_its_slash(api, http_client, base_url, path):
    token = (await api.register())["access"]
    for method in ("GET", "POST", "PATCH"):
        answers = []
        for variant in ("/" + path, "/" + path.rstrip("/")):
            response = await http_client.fetch(
                base_url + variant, method=method, body=None if method == "GET" else b"{}",
                headers={"Authorization": f"Bearer {token}"}, follow_redirects=False,
                raise_error=False)
            assert response.code not in (301, 302, 307, 308, 404), (method, variant, response.code)
            answers.append((response.code, response.body))
        assert answers[0] == answers[1], method


# -- response format -------------------------------------------------------------

@pytest.mark.gen_test
async def test_json_utf8_unescaped(api):
    registered = await api.register(first_name="Анна", last_name="Ёлкина")
    status, _ = await api.get("/auth/users/me/", token=registered["access"])
    response = api.last
    assert response.headers["Content-Type"] == JSON
    assert "Анна".encode() in response.body and "Ёлкина".encode() in response.body
    assert b"\\u" not in response.body


@pytest.mark.gen_test
async def test_errors_are_json_too(api):
    for method, path in (("GET", "/auth/users/me/"), ("GET", "/nope"), ("DELETE", "/api/token/")):
        await api.request(method, path)
        assert api.last.headers["Content-Type"] == JSON
        assert b"<html" not in api.last.body.lower() and b"Traceback" not in api.last.body


NOT_VALID = {"detail": "Given token not valid for any token type", "code": "token_not_valid"}


@pytest.mark.gen_test
@pytest.mark.parametrize("header, expected", [
    ("Bearer", NOT_VALID), ("Bearer ", NOT_VALID), ("Bearer a b", NOT_VALID),
    ("bearer  ", NOT_VALID), ("Token abc", NO_CREDENTIALS), ("", NO_CREDENTIALS)])
async def test_malformed_bearer_header(api, header, expected):
    status, body = await api.get("/auth/users/me/", headers={"Authorization": header})
    assert (status, body) == (401, expected)


# -- CORS ----------------------------------------------------------------------------

ALLOWED = "http://app.example"


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"cors_origins": (ALLOWED,)}])
async def test_cors_preflight_from_an_allowed_origin(api, config_overrides):
    status, _ = await api.request("OPTIONS", "/auth/users/me/", headers={
        "Origin": ALLOWED, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type"})
    headers = api.last.headers
    assert status in (200, 204)
    assert headers["Access-Control-Allow-Origin"] == ALLOWED
    methods = {m.strip() for m in headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PATCH"} <= methods
    allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "Origin" in headers.get("Vary", "")


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"cors_origins": (ALLOWED,)}])
async def test_cors_headers_on_answers_and_errors(api, config_overrides):
    await api.get("/users/api/hobby/all/", headers={"Origin": ALLOWED})
    assert api.last.headers["Access-Control-Allow-Origin"] == ALLOWED
    status, _ = await api.get("/auth/users/me/", headers={"Origin": ALLOWED})
    assert status == 401
    assert api.last.headers["Access-Control-Allow-Origin"] == ALLOWED


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"cors_origins": (ALLOWED,)}])
async def test_cors_disallowed_origin(api, config_overrides):
    for origin in ("http://evil.example", "https://app.example", "http://app.example.evil",
                   "http://app.example:8080", "null"):
        await api.request("OPTIONS", "/auth/users/me/", headers={
            "Origin": origin, "Access-Control-Request-Method": "PATCH"})
        assert not any(name.lower().startswith("access-control-")
                       for name in api.last.headers), origin
        await api.get("/users/api/hobby/all/", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in api.last.headers, origin


@pytest.mark.gen_test
async def test_no_cross_origin_by_default(api):
    await api.get("/users/api/hobby/all/", headers={"Origin": ALLOWED})
    assert "Access-Control-Allow-Origin" not in api.last.headers


# -- schema --------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_schema(api):
    for path in ("/api/schema/", "/api/schema"):
        status, text = await api.get(path)
        assert status == 200
        assert re.match(r'openapi: "?3\.1', text)
        assert "/users/api/register/" in text
