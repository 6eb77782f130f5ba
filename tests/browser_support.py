"""The browser tests' fixtures and helpers (a plugin: conftest.py loads it):
Debian's Chromium for Playwright (never a downloaded one), pages
that cannot leave loopback, ``server.py`` processes, a real SMTP server,
the fake Telegram Bot API, and what a failed test leaves behind."""

import asyncio
import contextlib
import os
import pathlib
import re
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

import pytest
from fake_telegram import Call, FakeTelegram
from harness import ServerProcess
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright
from smtp_mailbox import Mailbox, Received

from unimatch.clock import Clock

REPO = pathlib.Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT = 10_000  # ms; generous: these wait for things to happen, they do not time them
MAIL_TIMEOUT = 20.0  # s; the server's mail sender polls its outbox every second
BOT_TIMEOUT = 30.0  # s; the server's bot takes up polling within seconds of its start
# Any URL that leaves this machine (matched at its start).
EXTERNAL = re.compile(r"^(?!https?://127\.0\.0\.1[:/]|wss?://127\.0\.0\.1[:/]|data:)")
NOWHERE = 9  # a loopback port nothing listens on (discard)
# A phone's screen, for new_page(**PHONE); the default is a desktop's.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def save_failure_artifacts(test_name: str, pages: list[Page], servers: list[ServerProcess]) -> None:
    """Screenshots of every open page and the servers' logs, for a failed test."""
    ARTIFACTS.mkdir(exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in test_name)
    for index, page in enumerate(pages):
        if page.is_closed():
            continue
        try:
            page.screenshot(path=str(ARTIFACTS / f"{safe}-page{index}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the real failure
            print(f"could not screenshot page {index}: {exc}", file=sys.stderr)
    for index, server in enumerate(servers):
        (ARTIFACTS / f"{safe}-server{index}.log").write_text(server.log)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the module. Never a downloaded browser: CI installs
    Debian's (.ci/run), and without it these tests fail rather than skip."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) "
                    "to run the browser tests; .ci/run does this on CI")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def serve(servers: list[ServerProcess], start_server: Callable) -> Callable:
    """Start ``server.py`` on a fresh database; call it once per test."""
    def start(extra_args: Sequence[str] = (), env: dict | None = None) -> ServerProcess:
        server = start_server(*extra_args, env=env)
        servers.append(server)
        return server
    return start


@pytest.fixture
def new_page(browser: Browser, servers: list[ServerProcess],
             request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """``new_page(**context_options)``: a page in a fresh browser context (its
    own localStorage and cookies, like another person's phone), Russian and
    in the service's time zone unless the options say otherwise. Requests
    leaving loopback are refused and recorded in ``page.external_requests``;
    uncaught script errors and Content-Security-Policy violations fail the
    test.

    ``real_preflights=True``: without request interception, under which
    Playwright answers every CORS preflight itself (allowing anything); a
    proxy that is not there refuses what leaves loopback instead (Chromium
    never sends loopback requests through a proxy)."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    script_errors: list[str] = []
    csp_violations: list[str] = []

    def make(real_preflights: bool = False, **options) -> Page:
        if real_preflights:
            options["proxy"] = {"server": f"http://127.0.0.1:{NOWHERE}", "bypass": "127.0.0.1"}
        # A Russian reader's browser unless a test asks for another locale
        # (to prove the page does not depend on the browser's).
        options = {"locale": "ru-RU", "timezone_id": "Asia/Yekaterinburg", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        page = context.new_page()
        page.external_requests = []

        def refuse(route: Route) -> None:
            page.external_requests.append(route.request.url)
            route.abort()
        if real_preflights:
            page.on("request", lambda request: page.external_requests.append(request.url)
                    if EXTERNAL.match(request.url) else None)
        else:
            context.route(EXTERNAL, refuse)
        page.on("pageerror", lambda error: script_errors.append(str(error)))
        # Chromium reports each request or script the policy refused on the console.
        page.on("console", lambda message: csp_violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        pages.append(page)
        return page

    failed_before = request.session.testsfailed
    yield make
    if request.session.testsfailed > failed_before:
        save_failure_artifacts(request.node.name, pages, servers)
    for context in contexts:
        context.close()
    assert not script_errors, f"uncaught errors in the page: {script_errors}"
    assert not csp_violations, f"refused by the page's security policy: {csp_violations}"


@contextlib.contextmanager
def _loop_thread(name: str) -> Iterator[Callable[..., Any]]:
    """An event loop in a thread of its own, for servers a test plays the
    other side of: Playwright's sync API keeps a loop running in the
    test's. Yields ``run(coroutine, timeout=10)``, which runs it there and
    returns its result."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()

    def run(coroutine: Coroutine, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)
    try:
        yield run
    finally:
        run(_end_sessions())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    """A real SMTP server on loopback (``smtp_mailbox.py``: plain, no
    login), in an event loop of its own thread."""
    with _loop_thread("smtp") as run:
        box = Mailbox()
        run(box.start())
        try:
            yield box
        finally:
            run(box.stop())


async def _end_sessions() -> None:
    """Close the connections a server under test still holds open (its mail
    sender keeps one between batches, its bot a long poll): stopping a
    server only stops it listening, and a session left in a closed loop
    leaks its socket."""
    sessions = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in sessions:
        task.cancel()
    await asyncio.gather(*sessions, return_exceptions=True)
    await asyncio.sleep(0)  # the transports close on the loop's next turn


class BotApi:
    """The fake Telegram Bot API (``fake_telegram.py``) for a ``server.py``
    under test, played from a browser test: ``url`` is its base for
    ``TELEGRAM_API_URL``; ``reply(chat_id, text)`` says ``text`` as that
    Telegram user and returns the bot's answer."""

    def __init__(self, fake: FakeTelegram, run: Callable[..., Any]) -> None:
        self.fake = fake
        self.run = run
        self.url = fake.url

    def reply(self, chat_id: int, text: str) -> Call:
        return self.run(self.fake.reply(chat_id, text), timeout=BOT_TIMEOUT)


@pytest.fixture
def bot_api() -> Iterator[BotApi]:
    """A fake Telegram Bot API on loopback, in an event loop of its own thread."""
    with _loop_thread("bot-api") as run:
        fake = FakeTelegram(Clock())

        async def start() -> None:  # it listens on the loop it starts in
            fake.start()
        run(start())
        try:
            yield BotApi(fake, run)
        finally:
            run(fake.stop())


def wait_for_mail(box: Mailbox, address: str, count: int = 1) -> Received:
    """The ``count``-th message to ``address``, once the server's mail
    sender has delivered it (waiting for that event, not timing it)."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while len(box.to(address)) < count:
        assert time.monotonic() < deadline, f"no mail #{count} to {address} arrived"
        time.sleep(0.1)
    return box.to(address)[count - 1]


def log_in(page: Page, email: str, password: str) -> None:
    """Log in with the page's form."""
    form = page.locator("#login-form")
    form.get_by_label("Электронная почта").fill(email)
    form.get_by_label("Пароль").fill(password)
    form.get_by_role("button", name="Войти").click()


def wait_until_live(page: Page, authenticated: bool = False, timeout: float = TIMEOUT) -> None:
    """The socket is up (and, when asked, has accepted the user's token)."""
    expect(page.locator("#connection")).to_have_attribute("data-state", "online", timeout=timeout)
    if authenticated:
        expect(page.locator("#connection")).to_have_attribute("data-auth", "ok", timeout=TIMEOUT)


def fits_width(page: Page, width: int) -> None:
    """Nothing on the page scrolls sideways."""
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
