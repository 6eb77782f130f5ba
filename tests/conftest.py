"""Fixtures: one wire-protocol server per engine and test session (or
MONGO_URL) with one database whose documents are cleared between tests,
and the app served over real HTTP by pytest-tornado.

Every test that uses the store runs once per engine lane (its id names
the lane: ``[nx-27017]``, ``[ferretdb]``); the lanes come from
``--engines`` or ``UNIMATCH_ENGINES`` (``make test`` sets it), else
nx-27017 plus FerretDB when ``make ferretdb`` has built it. A lane asked
for without its binary is a usage error, one whose server cannot start
fails its tests: neither is ever skipped.
``MONGO_URL`` replaces them all with one lane on that server."""

import asyncio
import dataclasses
import datetime as dt
import json
import os
import pathlib
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from commands import CommandLog
from fake_telegram import FakeTelegram
from harness import JWT_SECRET, ServerProcess, clean_env
from pymongo import AsyncMongoClient
from smtp_mailbox import Mailbox

from unimatch.app import make_app
from unimatch.clock import Clock
from unimatch.config import Config
from unimatch.matching.pool import matcher_pool as _matcher_pool
from unimatch.store import Store, ferretdb
from unimatch.store.engines import ENGINES, available
from unimatch.telegram.notifier import TelegramNotifier, make_bot
from unimatch.wiring import build_realtime, build_services

# browser_support: the browser tests' fixtures (Chromium, pages, servers, SMTP).
pytest_plugins = ["offline", "browser_support"]

TEST_BOT_TOKEN = "123456:TEST-token"
#: The operator commands, installed beside this interpreter.
CLI = pathlib.Path(sys.executable).parent / "unimatch"
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


MONGO_URL_LANE = "MONGO_URL"
_LANES = pytest.StashKey[list[str]]()


def pytest_addoption(parser):
    parser.addoption("--engines", default=None,
                     help="comma-separated engine lanes for the store's tests: "
                          f"{', '.join(ENGINES)} (default: $UNIMATCH_ENGINES, else nx-27017 "
                          "and ferretdb when built); MONGO_URL overrides them with one lane")


def pytest_configure(config):
    config.stash[_LANES] = _lanes(config)


def _lanes(config) -> list[str]:
    if os.environ.get("MONGO_URL"):
        return [MONGO_URL_LANE]
    asked = config.getoption("--engines") or os.environ.get("UNIMATCH_ENGINES")
    if not asked:
        return available()
    lanes = [name.strip() for name in asked.split(",") if name.strip()]
    unknown = [name for name in lanes if name not in ENGINES]
    if unknown or not lanes:
        raise pytest.UsageError(f"unknown engine lanes {unknown or asked!r}: choose from "
                                f"{', '.join(ENGINES)}")
    if "ferretdb" in lanes and "ferretdb" not in available():
        raise pytest.UsageError(f"the ferretdb lane was asked for, but {ferretdb.BINARY} does "
                                "not run: build it with make ferretdb")
    return lanes


def pytest_report_header(config):
    lanes = config.stash[_LANES]
    described = [f"ferretdb {ferretdb.version()}" if lane == "ferretdb" else lane for lane in lanes]
    return [f"engine lanes: {', '.join(described)}"]


def pytest_generate_tests(metafunc):
    if "engine" in metafunc.fixturenames:
        lanes = metafunc.config.stash[_LANES]
        if metafunc.definition.get_closest_marker("first_lane"):
            lanes = lanes[:1]
        metafunc.parametrize("engine", lanes, indirect=True, scope="session")


@dataclasses.dataclass(frozen=True)
class Lane:
    """An engine lane: ``name`` (the test ids' word), ``url``, and ``kind``:
    what the server says it is (``nx-27017``, ``ferretdb`` or ``mongodb``),
    for the tests that pin a difference between engines."""

    name: str
    url: str
    kind: str


@pytest.fixture(scope="session")
def engine(request, tmp_path_factory):
    """The lane; its server runs from the first test that needs it to the
    end of the session."""
    name = request.param
    if name == MONGO_URL_LANE:
        url = os.environ["MONGO_URL"]
        yield Lane(name, url, _run(_engine_kind(url)))
        return
    server = ENGINES[name](str(tmp_path_factory.mktemp(name)))
    url = _run(server.start())
    try:
        kind = _run(_engine_kind(url))
        assert kind == name, f"the {name} lane's server says it is {kind}"
        yield Lane(name, url, kind)
    finally:
        server.stop()


async def _engine_kind(url):
    client = AsyncMongoClient(url, serverSelectionTimeoutMS=5000)
    try:
        info = await client.admin.command("buildInfo")
    finally:
        await client.close()
    if "ferretdbVersion" in info:
        return "ferretdb"
    return "nx-27017" if info.get("process") == "nx_27017" else "mongodb"


@pytest.fixture(scope="session")
def mongo_url(engine):
    """The URL of the lane's server."""
    return engine.url


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
def commands():
    """Every command the test's ``store`` sends, from its first use by the
    test (``commands.clear()`` starts over): for counting round trips."""
    return CommandLog()


@pytest.fixture
def store(io_loop, mongo_url, shared_db, request):
    """A Store on the session's database, empty but for the default hobbies,
    bound to the test's loop; its commands go to ``commands`` when the test
    uses that fixture."""
    log = request.getfixturevalue("commands") if "commands" in request.fixturenames else None

    async def open_store():
        store = await Store.connect(mongo_url, shared_db, prepare=False,
                                    listeners=[log] if log else [])
        await store.clear()
        await store.hobbies.seed_defaults()
        if log:
            log.clear()
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


@pytest.fixture
def http_server(app, http_server):
    """pytest-tornado's server, naming ``app`` where pytest can see it: the
    plugin looks the app up only at run time, which would hide the store
    (and so the engine lanes) from its tests' parametrisation."""
    return http_server


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


class _Servers:
    """``server.py`` processes started by one test, all stopped after it."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.started = []

    def start(self, url, args, env=None, data_dir=None, jwt_secret=JWT_SECRET):
        data_dir = data_dir or self.tmp_path / "data"
        data_dir.mkdir(exist_ok=True)
        server = ServerProcess(data_dir, self.tmp_path / f"server-{len(self.started)}.log",
                               mongo_url=url, args=args, env=env, jwt_secret=jwt_secret)
        self.started.append(server)
        return server.start()

    def kill_all(self):
        for server in self.started:
            server.kill()


@pytest.fixture
def _servers(tmp_path):
    servers = _Servers(tmp_path)
    yield servers
    servers.kill_all()


@pytest.fixture
def start_server(_servers, mongo_url, db_name):
    """``start_server(*args, env=None, data_dir=None, jwt_secret=...)``:
    ``server.py`` in a subprocess on the lane's server (a database of its
    own). Whatever a test leaves running is stopped afterwards."""
    url = f"{mongo_url.rstrip('/')}/{db_name}"
    return lambda *args, **kw: _servers.start(url, args, **kw)


@pytest.fixture
def start_embedded(_servers):
    """``server.py`` on its own embedded nx-27017 with a generated secret,
    as ``make run`` starts it: no engine lane, so it runs once."""
    return lambda *args, **kw: _servers.start(None, args, jwt_secret=None, **kw)


@pytest.fixture
def cli(mongo_url, shared_db, tmp_path):
    """``cli(*args, stdin=None)``: run ``unimatch ...`` against the test's
    database; the completed process."""
    parts = urlsplit(mongo_url)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + shared_db, parts.query, ""))

    def run(*args, stdin=None):
        return subprocess.run([str(CLI), *args, "--mongo-url", url, "--data-dir", str(tmp_path)],
                              capture_output=True, text=True, env=clean_env(), timeout=60,
                              check=False, cwd=tmp_path, input=stdin)
    return run


@pytest.fixture
def fake_telegram(io_loop, clock):
    """A fake Telegram Bot API on loopback, in the test's loop
    (``fake_telegram.py``); give its ``url`` as the Bot API's."""
    fake = FakeTelegram(clock)
    fake.start()
    yield fake
    io_loop.run_sync(fake.stop)


@pytest.fixture
def new_notifier(store, clock, fake_telegram, io_loop):
    """``new_notifier()``: another Telegram notifier on the same outbox and
    the fake Bot API, as after a restart; all are closed afterwards."""
    made = []

    def new():
        made.append(TelegramNotifier(store, clock, make_bot(TEST_BOT_TOKEN, fake_telegram.url)))
        return made[-1]
    yield new
    for notifier in made:
        io_loop.run_sync(notifier.close)


@pytest.fixture
def mailbox(io_loop):
    """A real SMTP server on loopback, in the test's loop (``smtp_mailbox.py``):
    plain, no login."""
    box = Mailbox()
    io_loop.run_sync(box.start)
    yield box
    io_loop.run_sync(box.stop)
