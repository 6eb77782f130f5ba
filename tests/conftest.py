"""Fixtures: one wire-protocol store per test session (or MONGO_URL) with
one database whose documents are cleared between tests, and the app served
over real HTTP by pytest-tornado."""

import asyncio
import datetime as dt
import json
import os
import uuid

import pytest
from harness import JWT_SECRET, ServerProcess

from unimatch.app import make_app
from unimatch.clock import Clock
from unimatch.config import Config
from unimatch.matching.pool import matcher_pool as _matcher_pool
from unimatch.store import Store
from unimatch.store.embedded import EmbeddedMongo
from unimatch.wiring import build_realtime, build_services

pytest_plugins = ["offline"]

TEST_BOT_TOKEN = "123456:TEST-token"
# Where Telegram is when a test sets a token but starts no fake: a loopback
# port nothing listens on, so a stray call fails at once and stays local.
NO_TELEGRAM = "http://127.0.0.1:9"


class ManualClock(Clock):
    """A Clock that stands still until a test moves it (``advance``, ``set``)
    or the service waits on it (``sleep`` moves it at once): what is timed
    on it is exact and instant."""

    def __init__(self) -> None:
        super().__init__()
        self._now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta | float) -> None:
        if not isinstance(delta, dt.timedelta):
            delta = dt.timedelta(seconds=delta)
        self._now += delta

    def set(self, moment: dt.datetime) -> None:
        self._now = moment

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


def _run(coro):
    # A private loop: asyncio.run() would also reset the thread's current
    # loop, which pytest-tornado's per-test IOLoop relies on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory):
    """MONGO_URL when set; otherwise an nx-27017 server for the session."""
    if os.environ.get("MONGO_URL"):
        yield os.environ["MONGO_URL"]
        return
    embedded = EmbeddedMongo(str(tmp_path_factory.mktemp("nx")))
    url = _run(embedded.start())
    yield url
    embedded.stop()


@pytest.fixture(scope="session")
def shared_db(mongo_url):
    """The session's database, its indexes made once."""
    name = "t_" + uuid.uuid4().hex[:16]

    async def prepare():
        store = await Store.connect(mongo_url, name)
        await store.close()

    async def drop():
        store = await Store.connect(mongo_url, name, prepare=False)
        await store.drop()
        await store.close()
    _run(prepare())
    yield name
    _run(drop())


@pytest.fixture
def db_name():
    """A database of its own, for a server process started by the test."""
    return "t_" + uuid.uuid4().hex[:16]


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def config_overrides():
    """Override in a test module to change the configuration."""
    return {}


@pytest.fixture
def config(tmp_path, config_overrides):
    defaults = dict(data_dir=str(tmp_path), jwt_secret="test-secret-" + "x" * 32, bcrypt_rounds=4,
                    telegram_api_url=NO_TELEGRAM)
    return Config(**{**defaults, **config_overrides})


@pytest.fixture
def store(io_loop, mongo_url, shared_db):
    """A Store on the session's database, empty but for the default hobbies,
    bound to the test's loop."""
    async def open_store():
        store = await Store.connect(mongo_url, shared_db, prepare=False)
        await store.clear()
        await store.hobbies.seed_defaults()
        return store
    store = io_loop.run_sync(open_store)
    yield store
    io_loop.run_sync(store.close)


@pytest.fixture(scope="session")
def matcher_pool():
    """The server's kind of matcher pool (a spawned process), shared by the session."""
    with _matcher_pool() as pool:
        yield pool


@pytest.fixture
def services(config, store, clock, matcher_pool):
    return build_services(config, store, clock, matcher_pool)


@pytest.fixture
def realtime(config, services, io_loop):
    realtime = build_realtime(config, services)
    yield realtime
    io_loop.run_sync(realtime.stop)


@pytest.fixture
def app(services, request):
    """The app under test; with its realtime parts (sockets, alerts, rounds
    on schedule, Telegram delivery) only for tests that use ``realtime``."""
    realtime = request.getfixturevalue("realtime") if "realtime" in request.fixturenames else None
    return make_app(services, realtime)


class Api:
    """A JSON client for the app under test: ``await api.post(path, body)``
    returns ``(status, decoded body)`` and never raises on 4xx/5xx."""

    def __init__(self, http_client, base_url):
        self._client = http_client
        self.base_url = base_url

    async def request(self, method, path, body=None, token=None, raw=None, headers=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if raw is None and body is not None:
            raw = json.dumps(body).encode()
        if raw:
            # Tornado's client would label a POST body as a form.
            headers.setdefault("Content-Type", "application/json")
        if raw is None and method in ("POST", "PATCH", "PUT"):
            raw = b""
        response = await self._client.fetch(
            self.base_url + path, method=method, body=raw, headers=headers,
            raise_error=False, allow_nonstandard_methods=True)
        self.last = response
        text = response.body.decode("utf-8") if response.body else ""
        payload = json.loads(text) if text and "json" in response.headers.get("Content-Type", "") else text
        return response.code, payload

    async def get(self, path, **kw):
        return await self.request("GET", path, **kw)

    async def post(self, path, body=None, **kw):
        return await self.request("POST", path, body, **kw)

    async def patch(self, path, body=None, **kw):
        return await self.request("PATCH", path, body, **kw)

    async def login(self, email, password="correct-horse-7"):
        """A fresh access token (e.g. after the test moved the clock)."""
        status, body = await self.post("/api/token/", {"email": email, "password": password})
        assert status == 200, body
        return body["access"]

    async def register(self, email="ann@example.com", password="correct-horse-7", **fields):
        """Register a user; returns the 201 body (user, refresh, access)."""
        status, body = await self.post("/users/api/register/",
                                       {"email": email, "password": password, **fields})
        assert status == 201, body
        return body


@pytest.fixture
def api(http_client, base_url):
    return Api(http_client, base_url)


@pytest.fixture
def start_server(tmp_path, mongo_url, db_name):
    """``start_server(*args, embedded=False, env=None, data_dir=None)``:
    ``server.py`` in a subprocess, on the session's store (a database of its
    own) or, with ``embedded``, on its own embedded nx-27017. Whatever a test
    leaves running is stopped afterwards."""
    started = []

    def start(*args, embedded=False, env=None, data_dir=None, jwt_secret=JWT_SECRET):
        data_dir = data_dir or tmp_path / "data"
        data_dir.mkdir(exist_ok=True)
        url = None if embedded else f"{mongo_url.rstrip('/')}/{db_name}"
        server = ServerProcess(data_dir, tmp_path / f"server-{len(started)}.log",
                               mongo_url=url, args=args, env=env, jwt_secret=jwt_secret)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()
