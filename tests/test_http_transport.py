"""HTTP as clients speak it: every request the server starts ends, however
its connection dies (malformed framing, a client hanging up mid-body)."""

import asyncio
import gc

import pytest

from unimatch.handlers.base import BaseHandler

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
