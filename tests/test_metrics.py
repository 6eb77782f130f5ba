"""``GET /metrics`` (issue 12, section 8): scraped over HTTP after real
requests, sockets, a round, a login storm, a stalled loop and mail that
cannot go, and parsed as Prometheus parses it."""

import asyncio
import pathlib
import subprocess
import sys
import time
import urllib.request

import pytest
from cohorts import register_cohort
from harness import REPO, clean_env
from prometheus_client.parser import text_string_to_metric_families
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from unimatch.config import parse_config
from unimatch.metrics import MULTIPROC_ENV

PASSWORD = "correct-horse-7"
# bcrypt at cost 13: checking against it keeps a hashing thread busy for a
# second or so, and matches nothing (as in test_hashing).
SLOW_HASH = "$2b$13$" + "a" * 21 + "e" + "a" * 31
NO_SMTP = "smtp://127.0.0.1:9"  # nothing listens: mail waits, as in an outage
TOKEN = "metrics-token-" + "m" * 20


@pytest.fixture
def config_overrides():
    # No hashing queue: a hash beyond the one running is shed at once.
    return {"hash_queue": 0, "smtp_url": NO_SMTP, "mail_from": "noreply@unimatch.test"}


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of an exposition: ``(name, labels) -> value``."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples, name, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def scrape(api, **kw) -> dict:
    status, text = await api.get("/metrics", **kw)
    assert status == 200, text
    assert api.last.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(text)


@pytest.mark.gen_test(timeout=30)
async def test_requests_are_counted_and_timed_by_route_and_status(api):
    for _ in range(3):
        assert (await api.get("/users/api/days-to-match/"))[0] == 200
    assert (await api.request("DELETE", "/users/api/blocks/12345/"))[0] == 401
    assert (await api.request("DELETE", "/users/api/blocks/67890/"))[0] == 401
    assert (await api.get("/no/such/path/"))[0] == 404
    samples = await scrape(api)
    countdown = {"route": "/users/api/days-to-match/", "method": "GET"}
    assert value(samples, "unimatch_http_requests_total", **countdown, status="200") == 3
    assert value(samples, "unimatch_http_request_duration_seconds_count", **countdown) == 3
    assert value(samples, "unimatch_http_request_duration_seconds_bucket", **countdown,
                 le="+Inf") == 3
    # One series per route, whatever the id in the path.
    assert value(samples, "unimatch_http_requests_total", route="/users/api/blocks/*/",
                 method="DELETE", status="401") == 2
    assert value(samples, "unimatch_http_requests_total", route="unmatched", method="GET",
                 status="404") == 1
    assert not any("12345" in str(labels) for _, labels in samples)


@pytest.mark.gen_test(timeout=60)
async def test_a_round_shows_its_size_and_duration(api, store):
    users = await register_cohort(api, 5)
    before = await scrape(api)
    assert value(before, "unimatch_rounds_total") == 0
    await store.users.set_staff(users[0]["user"]["email"])
    status, summary = await api.post("/admin-api/create-pairs/", token=users[0]["access"])
    assert status == 201, summary
    samples = await scrape(api)
    assert value(samples, "unimatch_rounds_total") == 1
    assert value(samples, "unimatch_round_participants") == 5
    assert value(samples, "unimatch_round_groups") == summary["groups"] == 2
    assert value(samples, "unimatch_round_duration_seconds_count") == 1
    assert value(samples, "unimatch_round_duration_seconds_sum") > 0


@pytest.mark.gen_test(timeout=30)
async def test_open_sockets_and_ticks(api, base_url, http_server, realtime):
    url = base_url.replace("http://", "ws://") + "/ws/"
    sockets = [await websocket_connect(HTTPRequest(url)) for _ in range(3)]
    assert value(await scrape(api), "unimatch_websockets_open") == 3
    for _ in range(2):
        sent = realtime.ticker.tick()
        assert sent is not None
        await sent
    samples = await scrape(api)
    assert value(samples, "unimatch_tick_spread_seconds_count") == 2
    # The second tick came right after the first, not an interval later: no lag.
    assert value(samples, "unimatch_tick_lag_seconds_count") == 1
    assert value(samples, "unimatch_tick_lag_seconds_bucket", le="0.001") == 1
    sockets[0].close()
    while value(await scrape(api), "unimatch_websockets_open") != 2:
        await asyncio.sleep(0.05)  # the server hears of the close a moment later
    for conn in sockets[1:]:
        conn.close()


@pytest.mark.gen_test(timeout=30)
async def test_a_stalled_loop_shows_as_lag(api, realtime):
    realtime.monitor.start()
    try:
        await asyncio.sleep(0.3)  # a few calm wakes
        time.sleep(0.3)  # hold the loop, as a long computation on it would
        await asyncio.sleep(0.15)
    finally:
        realtime.monitor.stop()
    samples = await scrape(api)
    wakes = value(samples, "unimatch_event_loop_lag_seconds_count")
    stalls = wakes - value(samples, "unimatch_event_loop_lag_seconds_bucket", le="0.1")
    # The timer due during the stall ran after it: over 0.1 s late.
    assert stalls >= 1 and wakes >= 2


@pytest.mark.gen_test(timeout=60)
async def test_login_queue_depth_and_sheds(api, services):
    await api.register("ann@example.com", PASSWORD)
    hasher = services.hasher
    storm = [asyncio.ensure_future(hasher.verify(PASSWORD, SLOW_HASH))
             for _ in range(hasher.capacity)]
    await asyncio.sleep(0)
    busy = await scrape(api)
    assert value(busy, "unimatch_login_queue_depth") == hasher.capacity
    status, _ = await api.post("/api/token/", {"email": "ann@example.com", "password": PASSWORD})
    assert status == 503
    await asyncio.gather(*storm)
    samples = await scrape(api)
    assert value(samples, "unimatch_login_sheds_total") == 1
    assert value(samples, "unimatch_login_queue_depth") == 0
    assert value(samples, "unimatch_http_requests_total", route="/api/token/", method="POST",
                 status="503") == 1


@pytest.mark.gen_test(timeout=30)
async def test_outbox_depth_and_failures(api, realtime):
    samples = await scrape(api)
    assert value(samples, "unimatch_outbox_depth", channel="mail") == 0
    assert value(samples, "unimatch_outbox_depth", channel="telegram") == 0
    await api.register("ann@example.com", PASSWORD)
    status, _ = await api.post("/v2/api/auth/users/reset_password/", {"email": "ann@example.com"})
    assert status == 200
    assert value(await scrape(api), "unimatch_outbox_depth", channel="mail") == 1
    # The mail server cannot be reached: the mail waits, the failure counts.
    assert await realtime.mail_sender.deliver_due() == 0
    samples = await scrape(api)
    assert value(samples, "unimatch_outbox_depth", channel="mail") == 1
    assert value(samples, "unimatch_outbox_failures_total", channel="mail",
                 outcome="unreachable") == 1


@pytest.mark.gen_test(timeout=30)
@pytest.mark.parametrize("config_overrides", [{"metrics_token": TOKEN}], ids=["token"])
async def test_a_metrics_token_keeps_strangers_out(api):
    status, body = await api.get("/metrics")
    assert status == 401 and "detail" in body
    status, _ = await api.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert status == 401
    samples = await scrape(api, headers={"Authorization": f"Bearer {TOKEN}"})
    assert value(samples, "unimatch_http_requests_total", route="/metrics", method="GET",
                 status="401") == 2


def test_the_token_comes_from_the_environment_only(monkeypatch):
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    config = parse_config([])
    assert config.metrics_token == TOKEN and TOKEN not in repr(config)


def _get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        assert answer.headers["Content-Type"].startswith("text/plain")
        return answer.read().decode()


def test_worker_processes_share_their_figures_through_a_directory(start_server, tmp_path):
    shared = tmp_path / "metrics"
    shared.mkdir()
    server = start_server(env={MULTIPROC_ENV: str(shared)})
    for _ in range(4):
        assert server.request("GET", "/healthz")[0] == 200
    samples = parse(_get_text(server.url + "/metrics"))
    files = sorted(path.name for path in pathlib.Path(shared).iterdir())
    pid = server.process.pid
    # Each kind of series in files named for the worker that wrote them.
    assert f"counter_{pid}.db" in files and f"histogram_{pid}.db" in files
    assert f"gauge_livesum_{pid}.db" in files
    assert value(samples, "unimatch_http_requests_total", route="/healthz", method="GET",
                 status="200") == 4
    assert value(samples, "unimatch_websockets_open") == 0
    # A series of one process only would carry prometheus_client's
    # "_created" samples; the sum over the directory's files has none.
    assert not any(name.endswith("_created") for name, _ in samples)


# A worker forked from a parent that imported prometheus_client before it
# set the directory: the library chose in-memory values at that import.
_LATE_DIRECTORY = """
import os, sys
from unimatch.metrics import Metrics
os.environ["PROMETHEUS_MULTIPROC_DIR"] = sys.argv[1]
metrics = Metrics()
metrics.request_finished("/healthz", "GET", 200, 0.01)
sys.stdout.write(metrics.exposition().decode())
"""


def test_a_directory_set_after_the_import_still_takes_the_figures(tmp_path):
    shared = tmp_path / "metrics"
    shared.mkdir()
    done = subprocess.run([sys.executable, "-c", _LATE_DIRECTORY, str(shared)], cwd=REPO,
                          env=clean_env(), capture_output=True, text=True, timeout=60, check=True)
    assert any(path.name.startswith("counter_") for path in shared.iterdir())
    samples = parse(done.stdout)
    assert value(samples, "unimatch_http_requests_total", route="/healthz", method="GET",
                 status="200") == 1
    assert not any(name.endswith("_created") for name, _ in samples)
