"""HTTP as clients speak it, against ``server.py`` itself (its HTTPServer
settings included): every error answer leaves a keep-alive connection
usable or says ``Connection: close``; pipelined requests are answered in
order; oversized headers get a JSON 431; malformed framing ends every
request the server started."""

import asyncio
import gc
import uuid

import httpx
import pytest
from harness import ServerProcess
from raw_http import Connection, request

from unimatch.handlers.base import MAX_BODY, BaseHandler

JSON = "application/json; charset=utf-8"
PASSWORD = "correct-horse-7"
LOGIN = b'{"email": "ann@example.com", "password": "correct-horse-7"}'
JSON_TYPE = {"Content-Type": "application/json"}
HEADER_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory, mongo_url):
    """One ``server.py`` for the module, with a user and a staff member."""
    root = tmp_path_factory.mktemp("transport")
    (root / "data").mkdir()
    url = f"{mongo_url.rstrip('/')}/t_{uuid.uuid4().hex[:16]}"
    process = ServerProcess(root / "data", root / "server.log", mongo_url=url)
    process.start()
    process.tokens = {
        "user": process.register("ann@example.com", PASSWORD)["access"],
        "staff": process.register("boss@example.com", PASSWORD)["access"]}
    assert process.cli("create-admin", "boss@example.com").returncode == 0
    yield process
    process.kill()


# name: (method, path, body, headers, expected status); "TOKEN" is the user's access token.
ERRORS = {
    "400 malformed JSON": ("POST", "/api/token/", b"{bad", JSON_TYPE, 400),
    "401 no credentials": ("GET", "/auth/users/me/", b"", {}, 401),
    "401 no credentials, with a body": (
        "PATCH", "/auth/users/me/", b'{"first_name": "Ann"}', JSON_TYPE, 401),
    "401 bad token": ("GET", "/users/api/pairs/", b"", {"Authorization": "Bearer nope"}, 401),
    "401 wrong password": (
        "POST", "/api/token/", b'{"email": "ann@example.com", "password": "wrong-horse-1"}',
        JSON_TYPE, 401),
    "403 not staff": ("POST", "/admin-api/create-pairs/", b"",
                      {"Authorization": "Bearer TOKEN"}, 403),
    "404 unknown path": ("GET", "/nope", b"", {}, 404),
    "404 unknown path, with a body": ("POST", "/nope/", b'{"a": 1}', JSON_TYPE, 404),
    "404 static file": ("GET", "/static/no-such-file.js", b"", {}, 404),
    "404 static file with a NUL": ("GET", "/static/x%00.png", b"", {}, 404),
    "405 wrong method": ("DELETE", "/api/token/", b"", {}, 405),
    "405 unknown method": ("BREW", "/api/token/", b"", {}, 405),
    "413 judged from Content-Length": (
        "POST", "/users/api/register/", b"",
        {**JSON_TYPE, "Content-Length": str(MAX_BODY + 1)}, 413),
    "415 text/plain": ("POST", "/api/token/", LOGIN, {"Content-Type": "text/plain"}, 415),
    "431 Authorization over 64 KiB": (
        "GET", "/auth/users/me/", b"", {"Authorization": "Bearer " + "a" * HEADER_LIMIT}, 431),
    "400 socket path without an upgrade": ("GET", "/ws/", b"", {}, 400),
}


def _error_request(server, case):
    method, path, body, headers, status = ERRORS[case]
    headers = {name: value.replace("TOKEN", server.tokens["user"]) for name, value in headers.items()}
    return method, path, body, headers, status


def _check_error_answer(answer, status):
    assert answer.status == status, answer
    assert answer.headers["content-type"] == JSON, answer
    assert isinstance(answer.json()["detail"], str), answer


def _login():
    return request("POST", "/api/token/", LOGIN, JSON_TYPE)


@pytest.mark.parametrize("case", ERRORS)
def test_after_an_error_the_connection_serves_a_post_or_says_close(server, case):
    method, path, body, headers, status = _error_request(server, case)
    with Connection(server.port) as conn:
        answer = conn.exchange(request(method, path, body, headers))
        _check_error_answer(answer, status)
        if answer.closes:
            assert conn.closed_by_server()
        else:
            follow_up = conn.exchange(_login())
            assert follow_up.status == 200, follow_up


@pytest.mark.parametrize("case", [case for case in ERRORS if ERRORS[case][-1] != 413])
def test_pipelined_requests_are_answered_in_order(server, case):
    # (A request announcing a body it never sends cannot be followed by another.)
    method, path, body, headers, status = _error_request(server, case)
    with Connection(server.port) as conn:
        conn.send(request(method, path, body, headers) + _login())
        answer = conn.read()
        _check_error_answer(answer, status)
        if answer.closes:
            assert conn.closed_by_server()  # the client retries the second request
        else:
            follow_up = conn.read()
            assert follow_up.status == 200, follow_up


def test_a_keep_alive_client_never_fails_after_an_error(server):
    """httpx keeps one connection and reuses it; a server that closes
    without saying so makes the next request fail (a POST is not retried)."""
    failures = []
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for case in ERRORS:
            method, path, body, headers, status = _error_request(server, case)
            if method == "BREW" or status == 413:
                continue  # raw-socket only: httpx would send the announced body
            for attempt in range(15):
                answer = client.request(method, path, content=body, headers=headers)
                assert answer.status_code == status, (case, answer.text)
                try:
                    login = client.post("/api/token/", content=LOGIN, headers=JSON_TYPE)
                    assert login.status_code == 200, login.text
                except httpx.TransportError as exc:
                    failures.append((case, attempt, repr(exc)))
    assert not failures


def test_headers_under_the_limit_are_read(server):
    with Connection(server.port) as conn:
        filler = "x" * (HEADER_LIMIT - 1024)
        answer = conn.exchange(request("GET", "/users/api/hobby/all/", headers={"X-Filler": filler}))
        assert answer.status == 200


def test_headers_over_the_limit_in_many_fields(server):
    headers = {f"X-Filler-{i}": "x" * 1000 for i in range(70)}
    with Connection(server.port) as conn:
        answer = conn.exchange(request("GET", "/users/api/days-to-match/", headers=headers))
        _check_error_answer(answer, 431)
        assert answer.closes


def test_an_oversized_header_on_the_socket_path_is_a_json_431(server):
    headers = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Cookie": "c=" + "a" * HEADER_LIMIT}
    with Connection(server.port) as conn:
        _check_error_answer(conn.exchange(request("GET", "/ws/", headers=headers)), 431)


# -- every request the server starts ends ------------------------------------------------

MALFORMED = {
    "Content-Length and chunked": (
        b"POST /users/api/register/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "two different lengths": (
        b"POST /users/api/register/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
    "a length that is not a number": (
        b"POST /api/token/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello"),
    "a bad chunk size": (
        b"POST /users/api/register/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nhello\r\n0\r\n\r\n"),
    "an unknown transfer coding": (
        b"POST /api/token/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
}


def _live_handlers():
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, BaseHandler)]


async def _send_and_hang_up(port, data, wait_for_answer=True):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await reader.read() if wait_for_answer else b""
    writer.close()
    await writer.wait_closed()
    return answer


async def _settle(services, before):
    for _ in range(50):
        await asyncio.sleep(0.01)
        if services.inflight.count == 0 and not _new_handlers(before):
            return


def _new_handlers(before):
    return [h for h in _live_handlers() if id(h) not in before]


@pytest.mark.gen_test
async def test_malformed_framing_ends_the_request(http_server, base_url, services):
    port = int(base_url.rpartition(":")[2])
    before = {id(h) for h in _live_handlers()}
    for name, data in MALFORMED.items():
        for _ in range(3):
            answer = await _send_and_hang_up(port, data)
            assert answer.startswith(b"HTTP/1.1 400 "), (name, answer)
    await _settle(services, before)
    assert services.inflight.count == 0
    assert _new_handlers(before) == []


@pytest.mark.gen_test
async def test_a_client_hanging_up_mid_body_ends_the_request(http_server, base_url, services):
    port = int(base_url.rpartition(":")[2])
    before = {id(h) for h in _live_handlers()}
    for _ in range(3):
        await _send_and_hang_up(port, b"POST /users/api/register/ HTTP/1.1\r\nHost: x\r\n"
                                      b"Content-Type: application/json\r\nContent-Length: 100\r\n"
                                      b"\r\n{\"email\": ", wait_for_answer=False)
        await _send_and_hang_up(port, b"POST /api/token/ HTTP/1.1\r\nHost: x\r\n"
                                      b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                                wait_for_answer=False)
    await _settle(services, before)
    assert services.inflight.count == 0
    assert _new_handlers(before) == []
