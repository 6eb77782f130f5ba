"""Fixtures: one wire-protocol store per test session (or MONGO_URL), a
fresh database per test, and the app served over real HTTP by pytest-tornado."""

import asyncio
import json
import os
import uuid

import pytest

from unimatch.app import make_app
from unimatch.clock import Clock
from unimatch.config import Config
from unimatch import runtime
from unimatch.realtime import build_realtime
from unimatch.runtime import build_services
from unimatch.store import Store
from unimatch.store.embedded import EmbeddedMongo

TEST_BOT_TOKEN = "123456:TEST-token"


@pytest.fixture(scope="session")
def mongo_url(tmp_path_factory):
    """MONGO_URL when set; otherwise an nx-27017 server for the session."""
    if os.environ.get("MONGO_URL"):
        yield os.environ["MONGO_URL"]
        return
    embedded = EmbeddedMongo(str(tmp_path_factory.mktemp("nx")))
    # A private loop: asyncio.run() would also reset the thread's current
    # loop, which pytest-tornado's per-test IOLoop relies on.
    loop = asyncio.new_event_loop()
    try:
        url = loop.run_until_complete(embedded.start())
    finally:
        loop.close()
    yield url
    embedded.stop()


@pytest.fixture
def db_name():
    return "t_" + uuid.uuid4().hex[:16]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def config_overrides():
    """Override in a test module to change the configuration."""
    return {}


@pytest.fixture
def config(tmp_path, config_overrides):
    defaults = dict(data_dir=str(tmp_path), jwt_secret="test-secret-" + "x" * 32, bcrypt_rounds=4,
                    telegram_bot_token=TEST_BOT_TOKEN)
    return Config(**{**defaults, **config_overrides})


@pytest.fixture
def store(io_loop, mongo_url, db_name):
    """A Store on a fresh database with the default hobbies, bound to the test's loop."""
    async def open_store():
        store = await Store.connect(mongo_url, db_name)
        await store.hobbies.seed_defaults()
        return store
    store = io_loop.run_sync(open_store)
    yield store

    async def close():
        await store.drop()
        await store.close()
    io_loop.run_sync(close)


@pytest.fixture
def services(config, store, clock):
    return build_services(config, store, clock)


@pytest.fixture(scope="session")
def matcher_pool():
    """The server's kind of matcher pool (a spawned process), shared by the session."""
    with runtime.matcher_pool() as pool:
        yield pool


@pytest.fixture
def realtime(config, services, matcher_pool, io_loop):
    realtime = build_realtime(config, services, matcher_pool)
    yield realtime
    io_loop.run_sync(realtime.stop)


@pytest.fixture
def app(services, realtime):
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
