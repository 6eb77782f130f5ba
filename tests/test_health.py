"""``GET /healthz`` (issue 12, section 8): 200 while the store answers a
ping within a second, 503 once it stops answering; JSON either way, with
the pid of the process that answered."""

import os
import signal

import pytest


@pytest.mark.gen_test(timeout=30)
async def test_healthy_with_the_answering_process(api):
    status, body = await api.get("/healthz")
    assert (status, body) == (200, {"status": "ok", "pid": os.getpid(), "store": "ok"})
    assert api.last.headers["Cache-Control"] == "no-store"
    status, _ = await api.get("/healthz/")
    assert status == 200


@pytest.mark.gen_test(timeout=30)
async def test_only_get(api):
    status, body = await api.post("/healthz", {})
    assert status == 405 and "detail" in body


def test_unavailable_while_the_store_does_not_answer(start_embedded):
    server = start_embedded()
    assert server.request("GET", "/healthz") == (
        200, {"status": "ok", "pid": server.process.pid, "store": "ok"})
    # The database process stops: its socket still accepts, nothing answers.
    os.kill(server.child_pid, signal.SIGSTOP)
    try:
        status, body = server.request("GET", "/healthz")
    finally:
        os.kill(server.child_pid, signal.SIGCONT)
    assert (status, body) == (503, {"status": "unavailable", "pid": server.process.pid,
                                    "store": "the database did not answer within 1 s"})
    status, body = server.request("GET", "/healthz")
    assert (status, body["status"]) == (200, "ok")
