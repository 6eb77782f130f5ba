"""The WebSocket endpoint, end to end with Tornado's websocket client."""

import asyncio
import gc
import json

import jwt
import pytest
from crashes import Stall
from socket_frames import next_frame as _next
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from unimatch import alerts as alerts_module
from unimatch.rounds import CLAIMED, RoundService


@pytest.fixture
def ws_url(base_url, http_server, realtime):
    return base_url.replace("http://", "ws://") + "/ws/"


async def _connect(url, origin=None):
    headers = {"Origin": origin} if origin else {}
    return await websocket_connect(HTTPRequest(url, headers=headers))


@pytest.mark.gen_test
async def test_anonymous_socket_gets_a_tick_agreeing_with_the_countdown(api, ws_url, realtime):
    conn = await _connect(ws_url)
    tick = await _next(conn, "tick")
    status, countdown = await api.get("/users/api/days-to-match/")
    assert status == 200
    for key in ("days_left", "hours_left", "minutes_left", "next_match_at"):
        assert tick[key] == countdown[key]
    assert set(tick) == {"type", "days_left", "hours_left", "minutes_left", "seconds_left",
                         "next_match_at", "server_time"}
    realtime.ticker.tick()  # the periodic callback's work, once
    assert (await _next(conn, "tick"))["next_match_at"] == countdown["next_match_at"]
    conn.close()


@pytest.mark.gen_test
async def test_path_without_slash_and_ping(base_url, http_server, realtime):
    conn = await _connect(base_url.replace("http://", "ws://") + "/ws")
    conn.write_message(json.dumps({"type": "ping"}))
    assert await _next(conn, "pong") == {"type": "pong"}
    conn.write_message("not json")
    assert (await _next(conn, "error"))["detail"]
    conn.close()


@pytest.mark.gen_test
async def test_auth_by_query_and_by_message(api, ws_url):
    user = await api.register("ann@example.com")
    conn = await _connect(ws_url + "?token=" + user["access"])
    assert (await _next(conn, "auth_ok"))["user_id"] == user["user"]["id"]
    conn.close()
    conn = await _connect(ws_url)
    conn.write_message(json.dumps({"type": "auth", "token": user["access"]}))
    assert (await _next(conn, "auth_ok"))["user_id"] == user["user"]["id"]
    conn.close()


@pytest.mark.gen_test
@pytest.mark.parametrize("token", ["garbage", "", "refresh"])
async def test_bad_token_closes_with_4401(api, ws_url, token):
    user = await api.register("ann@example.com")
    if token == "refresh":
        token = user["refresh"]  # the wrong type of token
    conn = await _connect(ws_url)
    conn.write_message(json.dumps({"type": "auth", "token": token}))
    while await conn.read_message() is not None:
        pass
    conn.close()
    assert conn.close_code == 4401
    assert conn.close_reason


@pytest.mark.gen_test
async def test_expired_token_closes_with_4401(api, ws_url, clock):
    user = await api.register("ann@example.com")
    clock.advance(16 * 60)
    conn = await _connect(ws_url + "?token=" + user["access"])
    while await conn.read_message() is not None:
        pass
    conn.close()
    assert conn.close_code == 4401


@pytest.mark.gen_test
async def test_foreign_origin_is_refused_same_origin_allowed(ws_url, base_url):
    with pytest.raises(HTTPClientError) as refused:
        await _connect(ws_url, origin="http://evil.example")
    assert refused.value.code == 403
    conn = await _connect(ws_url, origin=base_url)
    assert (await _next(conn, "tick"))
    conn.close()


@pytest.mark.gen_test(timeout=30)
async def test_match_alert_reaches_each_member(api, ws_url, realtime):
    users = [await api.register(f"s{i}@example.com", first_name=f"Имя{i}", hobby=[1, 2])
             for i in range(2)]
    outsider = await api.register("late@example.com")
    conns = []
    for user in users:
        conn = await _connect(ws_url + "?token=" + user["access"])
        await _next(conn, "auth_ok")
        conns.append(conn)
    anonymous = await _connect(ws_url)
    await realtime.alerts.start()
    await api.patch("/auth/users/me/", {"is_active_pair": False}, token=outsider["access"])
    summary = await realtime.rounds.run_now()
    assert summary["pairs"] == 1
    assert await realtime.alerts.poll() == 2
    for me, other, conn in ((users[0], users[1], conns[0]), (users[1], users[0], conns[1])):
        alert = await _next(conn, "match")
        [item] = alert["pairs"]
        assert item["partner"] == {"id": other["user"]["id"], "first_name": other["user"]["first_name"],
                                   "last_name": "", "email": other["user"]["email"]}
        assert item["created_at"] == summary["created_at"]
        assert set(item["common_hobbies"]) == {"Программирование", "Спорт"}
        status, listed = await api.get("/users/api/pairs/", token=me["access"])
        # The REST item also has the user's "did you meet?" answer; an alert's has not.
        assert listed[0] == {**item, "my_feedback": None}
    assert await realtime.alerts.poll() == 0, "a round is announced once"
    realtime.ticker.tick()
    # Anonymous sockets only tick: the tick sent on opening, then the one
    # after the alerts went out, and nothing between them.
    frames = [json.loads(await asyncio.wait_for(anonymous.read_message(), 5)) for _ in range(2)]
    assert [frame["type"] for frame in frames] == ["tick", "tick"]
    for conn in (*conns, anonymous):
        conn.close()


@pytest.mark.gen_test(timeout=30)
async def test_alerts_looked_up_in_batches_reach_everyone_once(api, ws_url, realtime, monkeypatch):
    """Partners are fetched a few users at a time; a pair split across two
    batches still reaches both members, each once, as GET pairs shows it."""
    monkeypatch.setattr(alerts_module, "LOOKUP_BATCH", 2)
    users = [await api.register(f"s{i}@example.com", hobby=[1]) for i in range(5)]  # one trio
    conns = []
    try:
        for user in users:
            conns.append(await _connect(ws_url + "?token=" + user["access"]))
            await _next(conns[-1], "auth_ok")
        await realtime.alerts.start()
        for collector_on in (True, False):
            if not collector_on:
                gc.disable()
            try:
                await realtime.rounds.run_now()
                assert await realtime.alerts.poll() == 5
                assert gc.isenabled() == collector_on, "the collector is left as it was found"
            finally:
                gc.enable()
            for user, conn in zip(users, conns, strict=True):
                alert = await _next(conn, "match")
                status, listed = await api.get("/users/api/pairs/", token=user["access"])
                latest = [item for item in listed if item["round"] == alert["pairs"][0]["round"]]
                # The REST item also has the user's "did you meet?" answer; an alert's has not.
                assert [{**item, "my_feedback": None} for item in alert["pairs"]] == latest and latest
    finally:
        for conn in conns:
            conn.close()


@pytest.mark.gen_test(timeout=30)
async def test_round_from_another_process_is_announced_by_the_periodic_poll(
        api, ws_url, realtime, config, services, store, clock):
    users = [await api.register(f"s{i}@example.com") for i in range(2)]
    conn = await _connect(ws_url + "?token=" + users[0]["access"])
    await _next(conn, "auth_ok")
    await realtime.start()
    # Another server process on the same database runs the round.
    other = RoundService(store, services.schedule, clock, owner="other-process")
    await other.run_now()
    alert = await _next(conn, "match", timeout=2.5)
    assert alert["pairs"][0]["partner"]["id"] == users[1]["user"]["id"]
    conn.close()


@pytest.mark.gen_test
async def test_shutdown_closes_sockets_cleanly(ws_url, realtime):
    conn = await _connect(ws_url)
    await _next(conn, "tick")
    await realtime.stop()
    assert await conn.read_message() is None
    conn.close()
    assert conn.close_code == 1001
    late = await _connect(ws_url)  # a socket opened during shutdown is turned away
    assert await late.read_message() is None
    late.close()
    assert late.close_code == 1001


@pytest.mark.gen_test
async def test_a_vanished_client_does_not_disturb_the_others(ws_url, realtime):
    gone = await _connect(ws_url)
    await _next(gone, "tick")
    stays = await _connect(ws_url)
    await _next(stays, "tick")
    gone.close()
    for _ in range(3):
        realtime.ticker.tick()
        assert (await _next(stays, "tick"))
    stays.close()


@pytest.mark.gen_test(timeout=30)
async def test_a_round_finishing_late_is_still_announced(api, ws_url, realtime, store, services,
                                                         clock):
    """Round numbers are given at claim time: a round claimed first can
    finish after a higher-numbered one and must still be announced."""
    users = [await api.register(f"s{i}@example.com") for i in range(2)]
    conn = await _connect(ws_url + "?token=" + users[0]["access"])
    await _next(conn, "auth_ok")
    await realtime.alerts.start()
    stall = Stall(CLAIMED)
    slow = RoundService(store, services.schedule, clock, owner="slow", checkpoint=stall)
    early = asyncio.ensure_future(slow.run_now())
    await stall.reached.wait()                         # claimed first, then held up
    late = await realtime.rounds.run_now()             # a later number finishes first
    assert await realtime.alerts.poll() == 1
    assert (await _next(conn, "match"))["pairs"][0]["round"] == late["round"]
    stall.resume()
    summary = await early
    assert summary["round"] < late["round"]
    assert await realtime.alerts.poll() == 1
    assert (await _next(conn, "match"))["pairs"][0]["round"] == summary["round"]
    conn.close()


@pytest.mark.gen_test(timeout=30)
async def test_a_completion_written_after_a_later_one_is_still_announced(api, ws_url, realtime,
                                                                         store):
    """Two processes finishing rounds at once: the round that took its
    completion number first can write it second. The watcher waits for the
    missing number rather than passing it by."""
    users = [await api.register(f"s{i}@example.com") for i in range(2)]
    conn = await _connect(ws_url + "?token=" + users[0]["access"])
    await _next(conn, "auth_ok")
    await realtime.alerts.start()
    # A round finishing elsewhere took this number; its write has not landed.
    taken = await store.counters.next("rounds_finished")
    overtaking = await realtime.rounds.run_now()
    assert await realtime.alerts.poll() == 1
    assert (await _next(conn, "match"))["pairs"][0]["round"] == overtaking["round"]
    # Now it lands (written here by hand: the round itself is finished by
    # this process, which takes a number of its own).
    landing = await realtime.rounds.run_now()
    await store.db["rounds"].update_one({"number": landing["round"]},
                                        {"$set": {"finished_seq": taken}})
    assert await realtime.alerts.poll() == 1
    assert (await _next(conn, "match"))["pairs"][0]["round"] == landing["round"]
    assert await realtime.alerts.poll() == 0, "each round is announced once"
    conn.close()


@pytest.mark.gen_test
async def test_deeply_nested_message_is_an_error_frame_not_a_crash(ws_url):
    conn = await _connect(ws_url)
    conn.write_message("[" * 60000)  # deep enough to exhaust the parser, under the size cap
    assert (await _next(conn, "error"))["detail"]
    conn.write_message(json.dumps({"type": "ping"}))
    assert await _next(conn, "pong")
    conn.close()


@pytest.mark.gen_test
async def test_oversized_message_closes_with_1009(ws_url):
    conn = await _connect(ws_url)
    conn.write_message("x" * (65 * 1024))
    while await conn.read_message() is not None:
        pass
    conn.close()
    assert conn.close_code == 1009


async def _closed_with(conn):
    while await conn.read_message() is not None:
        pass
    conn.close()
    return conn.close_code


@pytest.mark.gen_test
@pytest.mark.parametrize("message", [
    '{"type": "auth", "token": "\\ud800"}',
    '{"type": "auth", "token": "a.\\udfff.b"}',
    '{"type": "auth", "token": {"$ne": null}}',
    '{"type": "auth"}',
])
async def test_unusable_token_in_an_auth_message_closes_with_4401(ws_url, message):
    conn = await _connect(ws_url)
    await _next(conn, "tick")
    conn.write_message(message)
    assert await _closed_with(conn) == 4401


@pytest.mark.gen_test
@pytest.mark.parametrize("query", ["%ED%A0%80", "%FF", "%00"])
async def test_unusable_token_in_the_query_closes_with_4401(ws_url, query):
    conn = await _connect(ws_url + "?token=" + query)
    assert await _closed_with(conn) == 4401


@pytest.mark.gen_test
@pytest.mark.parametrize("user_id", [2**63, 2**64 + 1, -1, 0, 10**100])
async def test_signed_token_for_an_impossible_user_closes_with_4401(api, ws_url, config, clock,
                                                                   user_id):
    await api.register()  # a store with users in it
    now = int(clock.timestamp())
    token = jwt.encode({"token_type": "access", "exp": now + 900, "iat": now, "jti": "a" * 32,
                        "user_id": user_id}, config.jwt_secret, algorithm="HS256")
    conn = await _connect(ws_url + "?token=" + token)
    assert await _closed_with(conn) == 4401
    conn = await _connect(ws_url)
    conn.write_message(json.dumps({"type": "auth", "token": token}))
    assert await _closed_with(conn) == 4401


@pytest.mark.gen_test
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_plain_http_on_the_socket_path_is_answered_in_json(api, ws_url, method):
    status, body = await api.request(method, "/ws/")
    assert status in (400, 405)
    assert api.last.headers["Content-Type"] == "application/json; charset=utf-8"
    assert isinstance(body["detail"], str)


@pytest.mark.gen_test
async def test_foreign_origin_refusal_is_json(api, ws_url):
    status, body = await api.get("/ws/", headers={
        "Origin": "http://evil.example", "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert status == 403
    assert api.last.headers["Content-Type"] == "application/json; charset=utf-8"
    assert isinstance(body["detail"], str)
