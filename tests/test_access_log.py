"""The access log: one line per request, never a credential."""

import logging

import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from unimatch.handlers.access_log import redacted_uri


@pytest.fixture
def ws_url(base_url, http_server, realtime):
    return base_url.replace("http://", "ws://") + "/ws/"


@pytest.mark.gen_test
async def test_a_socket_token_in_the_query_never_reaches_the_access_log(api, ws_url, caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")
    user = await api.register("ann@example.com")
    conn = await websocket_connect(HTTPRequest(f"{ws_url}?lang=ru&token={user['access']}"))
    assert await conn.read_message() is not None
    conn.close()
    await api.get("/users/api/days-to-match/?token=" + user["access"])
    lines = [record.getMessage() for record in caplog.records if record.name == "tornado.access"]
    socket_lines = [line for line in lines if " /ws/" in line]
    assert socket_lines, lines
    assert all("GET /ws/?lang=ru&token=[redacted] (127.0.0.1)" in line for line in socket_lines)
    assert any("GET /users/api/days-to-match/?token=[redacted]" in line for line in lines), lines
    assert not any(user["access"] in record.getMessage() for record in caplog.records)


def test_only_secret_values_are_redacted():
    assert redacted_uri("/ws/") == "/ws/"
    assert redacted_uri("/ws/?token=a.b.c") == "/ws/?token=[redacted]"
    assert redacted_uri("/x?a=1&Token=s&b=%20&refresh=r&access") == \
        "/x?a=1&Token=[redacted]&b=%20&refresh=[redacted]&access=[redacted]"
    assert redacted_uri("/x?%74oken=s&tokens=kept") == "/x?%74oken=[redacted]&tokens=kept"


@pytest.mark.gen_test
async def test_health_checks_and_scrapes_log_their_successes_at_debug(api, caplog):
    caplog.set_level(logging.DEBUG, logger="tornado.access")
    assert (await api.get("/healthz"))[0] == 200
    assert (await api.get("/metrics"))[0] == 200
    assert (await api.post("/healthz", {}))[0] == 405
    levels = {record.getMessage().split(" (")[0]: record.levelname
              for record in caplog.records if record.name == "tornado.access"}
    assert levels == {"200 GET /healthz": "DEBUG", "200 GET /metrics": "DEBUG",
                      "405 POST /healthz": "WARNING"}
