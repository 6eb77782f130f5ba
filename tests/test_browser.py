"""The browser client in a real browser: Debian's Chromium driven by
Playwright, against ``server.py`` running as a subprocess on its own
database. Failed tests leave screenshots and server logs in test-artifacts/.
The fixtures (``browser``, ``new_page``, ``serve``, ``smtp``) are in
browser_support.py."""

import asyncio
import concurrent.futures
import datetime as dt
import http.server
import re
import threading
import time
from collections.abc import Callable

import pytest
from browser_support import PHONE, TIMEOUT, fits_width, log_in, wait_for_mail, wait_until_live
from harness import REPO, ServerProcess
from playwright.sync_api import Page, expect
from smtp_mailbox import Mailbox

from unimatch.auth.reset import PER_EMAIL
from unimatch.store import Store
from unimatch.telegram.login import sign_login

# The page is what these check; the store under it is proven by the other
# tests on every engine.
pytestmark = pytest.mark.first_lane

ROUND_TIMEOUT = 20_000  # ms; the server polls for finished rounds every second
PASSWORD = "Весенний-ветер-42"
BOT_TOKEN = "424242:browser-test-token"
OFFLINE_TEXT = "Нет соединения, переподключаемся…"


# --------------------------------------------------------------- fixtures

class StaticFiles(http.server.SimpleHTTPRequestHandler):
    """``unimatch/static/`` at ``/static/`` as server.py maps it (without the
    content hashes), and an empty page at ``/`` to import modules from."""

    extensions_map = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(REPO / "unimatch"), **kwargs)

    def do_GET(self):
        if self.path == "/":
            page = b"<!doctype html><meta charset=utf-8><title>UniMatch modules</title>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
        elif self.path.startswith("/static/"):
            super().do_GET()
        else:
            self.send_error(404)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def static_files():
    """The URL of a tiny file server on loopback for the page's static files:
    enough to import the pure modules, with no server.py and no store."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StaticFiles)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


# --------------------------------------------------------------- helpers

def stored_tokens(page: Page) -> dict:
    """The page's session: the access token it keeps in localStorage, and
    the refresh token in the server's HttpOnly cookie (which the browser
    shows a test, never the page's script)."""
    cookies = page.context.cookies()
    return {"access": page.evaluate('() => localStorage.getItem("unimatch.access")'),
            "refresh": next((c["value"] for c in cookies if c["name"] == "refresh_token"), None)}


def give_refresh_cookie(page: Page, refresh: str) -> None:
    """The refresh cookie as a v2 login sets it, holding ``refresh``."""
    page.context.add_cookies([{"name": "refresh_token", "value": refresh, "domain": "127.0.0.1",
                               "path": "/v2", "httpOnly": True, "secure": True, "sameSite": "Lax"}])


def seconds_change(page):
    seconds = page.locator('#countdown [data-part="seconds"]')
    expect(seconds).to_have_text(re.compile(r"^\d\d$"), timeout=TIMEOUT)
    before = seconds.text_content()
    expect(seconds).not_to_have_text(before, timeout=5_000)


def seed_earlier_round(mongo_url, db_name, created_at, members) -> None:
    """A round from an earlier week, written through the store: the API has
    no way to date a round in the past. It has no round record, so it is
    history only (nobody is alerted of it)."""
    async def write():
        store = await Store.connect(mongo_url, db_name)
        try:
            number = await store.counters.next("rounds")
            await store.pairs.insert_round(number, created_at, [tuple(members)], {})
        finally:
            await store.close()
    # In a thread of its own: Playwright's sync API keeps an event loop
    # running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(write())).result()


# --------------------------------------------------------------- tests

def test_new_user_meets_partner_live(serve, new_page, mongo_url, db_name):
    server = serve()
    boris = server.register("boris@example.com", "Partner-pass-42", first_name="Борис",
                            last_name="Партнёров", hobby=server.hobby_ids("Программирование", "Спорт"))
    vera = server.register("vera@example.com", "Old-friend-42", first_name="Вера",
                           last_name="Прошлонедельная")
    # Vera was last week's partner and sits this round out, so today's round
    # pairs exactly Anna and Boris.
    status, _ = server.request("PATCH", "/auth/users/me/", {"is_active_pair": False},
                               token=vera["access"])
    assert status == 200

    # The landing view: the countdown ticks from the socket at once.
    anna = new_page()
    anna.goto(server.url + "/")
    expect(anna.get_by_role("heading", name="До следующего раунда")).to_be_visible()
    seconds_change(anna)
    wait_until_live(anna)
    expect(anna.locator("#connection")).to_have_text("На связи")

    # Register with hobbies.
    anna.get_by_role("button", name="Зарегистрироваться").click()
    form = anna.locator("#register-form")
    expect(form.get_by_role("checkbox", name="Программирование")).to_be_visible()
    form.get_by_label("Электронная почта").fill("anna@example.com")
    form.get_by_label("Пароль", exact=True).fill(PASSWORD)
    form.get_by_label("Пароль ещё раз").fill(PASSWORD)
    form.get_by_label("Имя").fill("Анна")
    form.get_by_label("Фамилия").fill("Иванова")
    form.get_by_label("Дата рождения").fill("20.05.2001")
    form.get_by_text("Программирование").click()
    form.get_by_text("Музыка").click()
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(anna.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    expect(anna.locator("#current-match")).to_contain_text("Пары пока нет")

    token = stored_tokens(anna)["access"]
    status, me = server.request("GET", "/auth/users/me/", token=token)
    assert status == 200
    assert (me["first_name"], me["last_name"], me["birth"]) == ("Анна", "Иванова", "20-05-2001")
    assert sorted(me["hobby"]) == sorted(server.hobby_ids("Программирование", "Музыка"))
    expect(anna.locator("#profile-birth")).to_have_value("20.05.2001")

    # Edit the profile and the hobbies.
    profile = anna.locator("#profile-form")
    profile.get_by_label("Фамилия").fill("Иванова-Петрова")
    profile.get_by_role("button", name="Сохранить профиль").click()
    expect(profile.locator('[data-role="saved"]')).to_have_text("Профиль сохранён.")
    hobbies = anna.locator("#hobbies-form")
    expect(hobbies.get_by_role("checkbox", name="Музыка")).to_be_checked()
    hobbies.get_by_text("Музыка").click()
    hobbies.get_by_text("Спорт").click()
    hobbies.get_by_role("button", name="Сохранить интересы").click()
    expect(hobbies.locator('[data-role="saved"]')).to_have_text("Интересы сохранены.")
    status, names = server.request("GET", "/users/api/hobby/", token=token)
    assert sorted(names) == ["Программирование", "Спорт"]
    status, me = server.request("GET", "/auth/users/me/", token=token)
    assert me["last_name"] == "Иванова-Петрова"

    # Last week Anna met Vera: after a reload (still logged in) that is her
    # current match.
    last_week = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    seed_earlier_round(mongo_url, db_name, last_week, (me["id"], vera["user"]["id"]))
    anna.reload()
    expect(anna.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    expect(anna.locator("#current-match .match-name")).to_have_text(["Вера Прошлонедельная"])
    expect(anna.locator("#history-empty")).to_be_visible()

    # Boris logs in on his own phone.
    boris_page = new_page()
    boris_page.goto(server.url + "/")
    log_in(boris_page, "boris@example.com", "Partner-pass-42")
    expect(boris_page.get_by_role("heading", name="Привет, Борис!")).to_be_visible()
    expect(boris_page.locator("#current-match")).to_contain_text("Пары пока нет")

    # The operator runs a round while both are watching.
    wait_until_live(anna, authenticated=True)
    wait_until_live(boris_page, authenticated=True)
    anna.evaluate("window.notReloaded = true")
    summary = server.run_round()
    assert summary["pairs"] == 1, summary

    # The match appears live, highlighted, and Vera moves to the history.
    new_match = anna.locator("#current-match .match.is-new")
    expect(new_match.locator(".match-name")).to_have_text("Борис Партнёров", timeout=ROUND_TIMEOUT)
    expect(new_match).to_contain_text("Общие интересы: Программирование, Спорт")
    expect(new_match.get_by_role("link", name="boris@example.com")).to_be_visible()
    expect(anna.locator("#match-announcer")).to_have_text("Новая пара! Знакомьтесь: Борис Партнёров.")
    expect(anna.locator("#history .history-name")).to_have_text(["Вера Прошлонедельная"])
    assert anna.evaluate("window.notReloaded") is True
    expect(boris_page.locator("#current-match .match.is-new .match-name")).to_have_text(
        "Анна Иванова-Петрова", timeout=ROUND_TIMEOUT)

    # After a reload the same from the REST API, no longer highlighted.
    anna.reload()
    expect(anna.locator("#current-match .match-name")).to_have_text(["Борис Партнёров"])
    expect(anna.locator("#current-match .is-new")).to_have_count(0)
    expect(anna.locator("#history .history-name")).to_have_text(["Вера Прошлонедельная"])

    # Log out: back to the landing view, the refresh token revoked.
    refresh = stored_tokens(anna)["refresh"]
    anna.get_by_role("button", name="Выйти").click()
    expect(anna.get_by_role("heading", name="Вход")).to_be_visible()
    expect(anna.locator("#view-dashboard")).to_be_hidden()
    assert stored_tokens(anna) == {"access": None, "refresh": None}
    status, body = server.request("POST", "/api/token/refresh/", {"refresh": refresh})
    assert status == 401, body
    assert anna.external_requests == [] and boris_page.external_requests == []
    assert boris["user"]["id"] != me["id"]


def test_landing_fits_a_phone_and_its_forms_work(serve, new_page):
    server = serve()
    server.register("known@example.com", PASSWORD, first_name="Кира")
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(server.url + "/")

    # The countdown is on the first screen, and nothing scrolls sideways.
    countdown = page.locator("#countdown")
    expect(countdown).to_be_in_viewport()
    expect(countdown.locator('[data-part="seconds"]')).to_have_text(re.compile(r"^\d\d$"))
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # Wrong password: a form-level message, in Russian.
    log_in(page, "known@example.com", "not-the-password")
    expect(page.locator("#login-form [role=alert]")).to_have_text("Неверный email или пароль")

    # The register form, still without sideways scrolling; mismatched
    # passwords are caught before anything is sent.
    page.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Регистрация")).to_be_focused()
    form = page.locator("#register-form")
    expect(form.get_by_role("checkbox", name="Кино")).to_be_attached()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    form.get_by_label("Электронная почта").fill("new@example.com")
    form.get_by_label("Пароль", exact=True).fill(PASSWORD)
    form.get_by_label("Пароль ещё раз").fill(PASSWORD + "x")
    form.get_by_label("Имя").fill("Лев")
    form.get_by_role("button", name="Зарегистрироваться").click()
    password2 = form.get_by_label("Пароль ещё раз")
    expect(password2).to_have_accessible_description("Пароли не совпадают.")
    expect(password2).to_have_attribute("aria-invalid", "true")
    expect(password2).to_be_focused()
    assert server.request("POST", "/api/token/", {"email": "new@example.com",
                                                  "password": PASSWORD})[0] == 401

    # Fixed, it registers (without interests, once asked); the dashboard
    # fits the phone too.
    password2.fill(PASSWORD)
    form.get_by_role("button", name="Зарегистрироваться").click()
    form.get_by_role("button", name="Продолжить без интересов").click()
    expect(page.get_by_role("heading", name="Привет, Лев!")).to_be_visible()
    expect(page.get_by_role("switch", name="Участвовать в еженедельном подборе пар")).to_be_checked()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert page.external_requests == []


def test_server_field_error_is_shown_next_to_its_field_in_russian(serve, new_page):
    server = serve()
    server.register("taken@example.com", PASSWORD, first_name="Первый")
    page = new_page()
    page.goto(server.url + "/")
    page.get_by_role("button", name="Зарегистрироваться").click()
    form = page.locator("#register-form")
    form.get_by_label("Электронная почта").fill("Taken@Example.com")
    form.get_by_label("Пароль", exact=True).fill("1234")
    form.get_by_label("Пароль ещё раз").fill("1234")
    form.get_by_label("Имя").fill("Второй")
    form.get_by_role("button", name="Зарегистрироваться").click()
    form.get_by_role("button", name="Продолжить без интересов").click()

    email = form.get_by_label("Электронная почта")
    expect(email).to_have_accessible_description("Пользователь с таким email уже существует.")
    expect(form.locator("#reg-email-error")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    # Every message of a field is shown with it, translated.
    expect(form.locator("#reg-password-error")).to_contain_text(
        "Пароль не может состоять только из цифр.")
    expect(form.locator("[data-role=form-error]")).to_be_hidden()

    # Fixing the field clears the message on the next attempt.
    email.fill("second@example.com")
    form.get_by_label("Пароль", exact=True).fill(PASSWORD)
    form.get_by_label("Пароль ещё раз").fill(PASSWORD)
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Привет, Второй!")).to_be_visible()


def test_socket_reconnects_and_countdown_runs_while_offline(serve, new_page):
    server = serve()
    page = new_page()
    page.goto(server.url + "/")
    wait_until_live(page)

    server.stop()
    status = page.locator("#connection")
    expect(status).to_have_text(OFFLINE_TEXT)
    expect(status).to_have_attribute("role", "status")
    seconds_change(page)  # the local clock carries on

    server.start()  # same port, same database
    # Backoff: the page retries at growing intervals (at most 30 s apart).
    wait_until_live(page, timeout=40_000)
    expect(status).to_have_text("На связи")
    seconds_change(page)


def test_expired_access_token_is_refreshed_then_session_end_shows_log_in(serve, new_page):
    server = serve()
    tokens = server.register("eva@example.com", PASSWORD, first_name="Ева")
    page = new_page()
    page.goto(server.url + "/")
    # A stale access token and a good refresh token: REST and the socket both
    # get refused, one refresh serves them both (rotation would log us out
    # if two ran), and the new pair is stored.
    page.evaluate("""() => localStorage.setItem("unimatch.access", "stale.access.token")""")
    give_refresh_cookie(page, tokens["refresh"])
    page.reload()
    expect(page.get_by_role("heading", name="Привет, Ева!")).to_be_visible()
    wait_until_live(page, authenticated=True)
    fresh = stored_tokens(page)
    assert fresh["refresh"] != tokens["refresh"] and fresh["access"] != "stale.access.token"
    assert server.request("GET", "/auth/users/me/", token=fresh["access"])[0] == 200
    assert server.request("POST", "/api/token/refresh/", {"refresh": tokens["refresh"]})[0] == 401

    # Both tokens dead: back to the log-in form, saying why.
    status, _ = server.request("POST", "/api/token/blacklist/", {"refresh": fresh["refresh"]})
    assert status == 200
    page.evaluate("""() => localStorage.setItem("unimatch.access", "stale.again")""")
    page.reload()
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    expect(page.locator("#login-form [role=alert]")).to_have_text("Сессия истекла, войдите снова.")
    # Script cannot clear an HttpOnly cookie: it keeps the revoked token,
    # which the server refuses, until the next log-in replaces it.
    assert stored_tokens(page) == {"access": None, "refresh": fresh["refresh"]}
    assert server.request("POST", "/api/token/refresh/", {"refresh": fresh["refresh"]})[0] == 401
    wait_until_live(page)  # anonymous again: ticks only


def test_telegram_link_through_the_login_widget_callback(serve, new_page):
    server = serve(extra_args=["--telegram-bot-username", "unimatch_test_bot"],
                   env={"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9"})
    tokens = server.register("tanya@example.com", PASSWORD, first_name="Таня")
    page = new_page()
    page.goto(server.url + "/")
    log_in(page, "tanya@example.com", PASSWORD)
    section = page.locator("#telegram-section")
    expect(section.locator('[data-role="tg-status"]')).to_have_text("Telegram не привязан.")

    # The official widget is embedded for the configured bot (its download
    # is refused here: tests never reach the internet).
    widget = section.locator('script[data-telegram-login="unimatch_test_bot"]')
    expect(widget).to_have_attribute("src", "https://telegram.org/js/telegram-widget.js?22")
    expect(widget).to_have_attribute("data-onauth", "onTelegramAuth(user)")
    expect(widget).to_have_attribute("data-request-access", "write")
    assert any(url.startswith("https://telegram.org/") for url in page.external_requests)

    # What the widget hands over after the user confirms in Telegram.
    bad = sign_login({"id": 777001, "first_name": "Tanya", "auth_date": int(time.time())}, "0:wrong")
    page.evaluate("payload => window.onTelegramAuth(payload)", bad)
    expect(section.locator('[data-role="tg-message"]')).to_have_text(
        "Telegram не подтвердил вход. Попробуйте ещё раз.")
    good = sign_login({"id": 777001, "first_name": "Tanya", "username": "tanya",
                       "auth_date": int(time.time())}, BOT_TOKEN)
    page.evaluate("payload => window.onTelegramAuth(payload)", good)
    expect(section.locator('[data-role="tg-message"]')).to_have_text("Готово: Telegram привязан.")
    expect(section.locator('[data-role="tg-status"]')).to_contain_text("Telegram привязан")
    status, me = server.request("GET", "/auth/users/me/", token=tokens["access"])
    assert me["chat_id"] == 777001


# What Telegram's telegram-widget.js does with the script element that loads
# it, in short: data-onauth becomes a function through eval, and an iframe
# from oauth.telegram.org takes the element's place (the iframe's "auth_user"
# message calls that function; here the test calls it).
WIDGET_STAND_IN = """
(() => {
  const script = document.currentScript;
  const onAuth = eval("(function(user){" + script.getAttribute("data-onauth") + "})");
  const frame = document.createElement("iframe");
  frame.src = "https://oauth.telegram.org/embed/" + script.dataset.telegramLogin
    + "?origin=" + encodeURIComponent(location.origin);
  frame.style.border = "none";
  script.parentNode.insertBefore(frame, script);
  window.telegramWidgetAuth = onAuth;
})();
"""


def test_the_login_widget_works_under_the_page_security_policy(serve, new_page):
    server = serve(extra_args=["--telegram-bot-username", "unimatch_test_bot"],
                   env={"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9"})
    server.register("vera@example.com", PASSWORD, first_name="Вера")
    page = new_page()
    page.route("https://telegram.org/js/telegram-widget.js?22",
               lambda route: route.fulfill(status=200, content_type="text/javascript",
                                           body=WIDGET_STAND_IN))
    page.goto(server.url + "/")
    log_in(page, "vera@example.com", PASSWORD)
    section = page.locator("#telegram-section")
    expect(section.locator("iframe")).to_have_attribute(
        "src", re.compile(r"^https://oauth\.telegram\.org/embed/unimatch_test_bot\?origin="))
    good = sign_login({"id": 777002, "first_name": "Vera", "auth_date": int(time.time())}, BOT_TOKEN)
    page.evaluate("payload => window.telegramWidgetAuth(payload)", good)
    expect(section.locator('[data-role="tg-message"]')).to_have_text("Готово: Telegram привязан.")
    # The frame's own page is refused here (tests never reach the internet),
    # but the policy let it be asked for.
    assert any(url.startswith("https://oauth.telegram.org/embed/")
               for url in page.external_requests)


def test_telegram_explained_when_no_bot_is_configured(serve, new_page):
    server = serve()
    server.register("oleg@example.com", PASSWORD, first_name="Олег")
    page = new_page()
    page.goto(server.url + "/")
    log_in(page, "oleg@example.com", PASSWORD)
    section = page.locator("#telegram-section")
    expect(section.locator('[data-role="tg-unconfigured"]')).to_be_visible()
    expect(section.locator('[data-role="tg-unconfigured"]')).to_contain_text("настроит бота")
    expect(section.locator("script")).to_have_count(0)
    assert page.external_requests == []


# --------------------------------------------------------------- v2: Telegram nick, password reset

NICK_RULE = ("Ник в Telegram: @ и от 5 до 32 латинских букв, цифр или знаков подчёркивания, "
             "например @ivan_petrov.")
MAIL_FROM = "noreply@unimatch.test"


def v2_register(server: ServerProcess, email: str, password: str, **fields: object) -> dict:
    status, body = server.request("POST", "/v2/api/register/",
                                  {"email": email, "password": password, **fields})
    assert status == 201, body
    return body


def test_telegram_nick_in_the_profile_and_on_the_partners_card(serve: Callable,
                                                               new_page: Callable) -> None:
    server = serve()
    anna = server.register("anna@example.com", PASSWORD, first_name="Анна", last_name="Иванова",
                           birth="20-05-2001")
    v2_register(server, "boris@example.com", "Partner-pass-42", first_name="Борис",
                last_name="Партнёров", tg_link="@boris_partner")

    page = new_page()
    page.goto(server.url + "/")
    log_in(page, "anna@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    profile = page.locator("#profile-form")
    nick = profile.get_by_label("Ник в Telegram")
    expect(nick).to_have_value("")
    expect(profile.get_by_label("Дата рождения")).to_have_value("20.05.2001")

    # The server's rule, checked before anything is sent.
    nick.fill("anna")
    profile.get_by_role("button", name="Сохранить профиль").click()
    expect(nick).to_have_accessible_description(
        "Его увидит ваша пара и сможет написать вам в Telegram. " + NICK_RULE)
    expect(nick).to_have_attribute("aria-invalid", "true")
    expect(nick).to_be_focused()
    # The server's own field errors stand next to their field, in Russian,
    # and nothing is saved.
    nick.fill("@anna_ivanova")
    profile.get_by_label("Дата рождения").fill("01.01.2999")
    profile.get_by_role("button", name="Сохранить профиль").click()
    expect(profile.locator("#profile-birth-error")).to_have_text(
        "Дата должна быть не раньше 1900 года и не позже сегодняшнего дня.")
    expect(profile.get_by_label("Дата рождения")).to_be_focused()
    status, me = server.request("GET", "/v2/api/auth/users/me/", token=anna["access"])
    assert (me["tg_link"], me["birth"]) == (None, "2001-05-20")

    # Saved: the nick, and the birth date removed (v2 refuses an empty one).
    profile.get_by_label("Дата рождения").fill("")
    profile.get_by_role("button", name="Сохранить профиль").click()
    expect(profile.locator('[data-role="saved"]')).to_have_text("Профиль сохранён.")
    status, me = server.request("GET", "/v2/api/auth/users/me/", token=anna["access"])
    assert (me["tg_link"], me["birth"]) == ("@anna_ivanova", None)
    status, v1_me = server.request("GET", "/auth/users/me/", token=anna["access"])
    assert status == 200 and "tg_link" not in v1_me, "v1 answers do not change"
    page.reload()
    expect(page.locator("#profile-form").get_by_label("Ник в Telegram")).to_have_value("@anna_ivanova")
    expect(page.locator("#profile-form").get_by_label("Дата рождения")).to_have_value("")

    # Boris watches on his phone while the round pairs them.
    phone = new_page(**PHONE)
    phone.goto(server.url + "/")
    log_in(phone, "boris@example.com", "Partner-pass-42")
    expect(phone.get_by_role("heading", name="Привет, Борис!")).to_be_visible()
    wait_until_live(page, authenticated=True)
    wait_until_live(phone, authenticated=True)
    assert server.run_round()["pairs"] == 1

    # The alert shows the card at once; the nick follows from the REST API.
    card = page.locator("#current-match .match.is-new")
    expect(card.locator(".match-name")).to_have_text("Борис Партнёров", timeout=ROUND_TIMEOUT)
    link = card.get_by_role("link", name="Telegram: @boris_partner")
    expect(link).to_have_attribute("href", "https://t.me/boris_partner")
    expect(link).to_have_attribute("target", "_blank")
    phone_card = phone.locator("#current-match .match.is-new")
    expect(phone_card.get_by_role("link", name="Telegram: @anna_ivanova")).to_have_attribute(
        "href", "https://t.me/anna_ivanova", timeout=ROUND_TIMEOUT)
    expect(phone_card.get_by_role("link", name="anna@example.com")).to_be_in_viewport()
    fits_width(phone, 390)
    page.reload()
    expect(page.locator("#current-match .match-telegram")).to_have_attribute(
        "href", "https://t.me/boris_partner")

    # An empty nick removes it, and the partner's card has no link.
    nick = page.locator("#profile-form").get_by_label("Ник в Telegram")
    nick.fill("")
    page.locator("#profile-form").get_by_role("button", name="Сохранить профиль").click()
    expect(page.locator('#profile-form [data-role="saved"]')).to_have_text("Профиль сохранён.")
    phone.reload()
    expect(phone.locator("#current-match .match-name")).to_have_text(["Анна Иванова"])
    expect(phone.locator("#current-match .match-telegram")).to_have_count(0)
    assert page.external_requests == [] and phone.external_requests == []


def _clear_of_a_window_edge(window: int = PER_EMAIL.window, margin: float = 60.0) -> None:
    """Wait until the next window of ``window`` seconds begins if it would
    begin within ``margin`` seconds: the server counts reset requests in
    fixed windows from the epoch (on the hour), by the real clock, and a
    test straddling an edge would see its count start over (CI did)."""
    left = window - time.time() % window
    if left < margin:
        time.sleep(left + 0.5)


def test_forgotten_password_through_the_mailed_link(serve: Callable, new_page: Callable,
                                                    smtp: Mailbox) -> None:
    _clear_of_a_window_edge()
    server = serve(extra_args=["--smtp-url", smtp.url, "--mail-from", MAIL_FROM])
    server.register("anna@example.com", PASSWORD, first_name="Анна")

    # On a phone: "Забыли пароль?" under the log-in form, the address carried over.
    page = new_page(**PHONE)
    page.goto(server.url + "/")
    login = page.locator("#login-form")
    login.get_by_label("Электронная почта").fill("anna@example.com")
    login.get_by_role("button", name="Забыли пароль?").click()
    expect(page.get_by_role("heading", name="Восстановление пароля")).to_be_focused()
    forgot = page.locator("#forgot-form")
    email = forgot.get_by_label("Электронная почта")
    expect(email).to_have_value("anna@example.com")
    fits_width(page, 390)
    email.fill("anna@")
    forgot.get_by_role("button", name="Прислать ссылку").click()
    expect(email).to_have_accessible_description("Введите корректный email, например name@example.com.")
    expect(email).to_be_focused()
    email.fill("anna@example.com")
    forgot.get_by_role("button", name="Прислать ссылку").click()
    sent = page.locator('#forgot-section [data-role="sent"]')
    expect(sent).to_have_text("Если anna@example.com — адрес аккаунта UniMatch, на него ушло письмо "
                              "со ссылкой для смены пароля. Проверьте почту, в том числе папку «Спам».")
    expect(sent).to_be_focused()

    # The mail links to the server's own page (no --web-client-url).
    mail = wait_for_mail(smtp, "anna@example.com")
    path = mail.reset_path()
    assert f"{server.url}{path}" in mail.text
    page.goto(server.url + path)
    expect(page.get_by_role("heading", name="Новый пароль")).to_be_visible()
    reset = page.locator("#reset-form")
    fits_width(page, 390)

    # Mismatched passwords are caught at once; the server's rules come back
    # next to the field, in Russian.
    reset.get_by_label("Новый пароль").fill("new-secret-77")
    reset.get_by_label("Пароль ещё раз").fill("new-secret-78")
    reset.get_by_role("button", name="Сохранить пароль").click()
    expect(reset.get_by_label("Пароль ещё раз")).to_have_accessible_description("Пароли не совпадают.")
    reset.get_by_label("Новый пароль").fill("123456789")
    reset.get_by_label("Пароль ещё раз").fill("123456789")
    reset.get_by_role("button", name="Сохранить пароль").click()
    expect(reset.locator("#reset-password-error")).to_contain_text(
        "Пароль не может состоять только из цифр.")
    expect(reset.get_by_label("Новый пароль")).to_be_focused()

    reset.get_by_label("Новый пароль").fill("new-secret-77")
    reset.get_by_label("Пароль ещё раз").fill("new-secret-77")
    reset.get_by_role("button", name="Сохранить пароль").click()
    expect(login.locator('[data-role="form-note"]')).to_have_text(
        "Пароль изменён. Войдите с новым паролем.")
    expect(page.get_by_role("heading", name="Вход")).to_be_focused()
    assert page.evaluate("location.pathname") == "/", "a reload must not bring the spent link back"
    log_in(page, "anna@example.com", PASSWORD)
    expect(login.locator("[role=alert]")).to_have_text("Неверный email или пароль")
    log_in(page, "anna@example.com", "new-secret-77")
    expect(page.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    fits_width(page, 390)

    # On a desktop the spent link says so and offers a new one; three mails
    # an hour per address, then the wait is given in plain words.
    desktop = new_page()
    desktop.goto(server.url + path)
    reset = desktop.locator("#reset-form")
    reset.get_by_label("Новый пароль").fill("third-secret-99")
    reset.get_by_label("Пароль ещё раз").fill("third-secret-99")
    reset.get_by_role("button", name="Сохранить пароль").click()
    expect(reset.locator("[role=alert]")).to_have_text(
        "Ссылка для смены пароля устарела или уже использована. Запросите новую.")
    for attempt in range(3):
        if attempt:
            desktop.locator("#forgot-section").get_by_role("button", name="Войти").click()
            desktop.locator("#login-form").get_by_role("button", name="Забыли пароль?").click()
        else:
            desktop.get_by_role("button", name="Запросить новую").click()
        forgot = desktop.locator("#forgot-form")
        forgot.get_by_label("Электронная почта").fill("Anna@Example.com")
        forgot.get_by_role("button", name="Прислать ссылку").click()
        if attempt < 2:
            expect(desktop.locator('#forgot-section [data-role="sent"]')).to_be_visible()
    expect(forgot.locator("[role=alert]")).to_have_text(
        re.compile(r"^Слишком много попыток\. Попробуйте снова через \d+ минут[уы]?\.$"))
    assert len(wait_for_mail(smtp, "anna@example.com", 3).recipients) == 1
    assert page.external_requests == [] and desktop.external_requests == []


def test_forgotten_password_without_mail_says_so(serve: Callable, new_page: Callable) -> None:
    server = serve()
    page = new_page()
    page.goto(server.url + "/")
    page.get_by_role("button", name="Забыли пароль?").click()
    forgot = page.locator("#forgot-form")
    forgot.get_by_role("button", name="Прислать ссылку").click()
    expect(forgot.get_by_label("Электронная почта")).to_have_accessible_description("Введите email.")
    forgot.get_by_label("Электронная почта").fill("anna@example.com")
    forgot.get_by_role("button", name="Прислать ссылку").click()
    expect(forgot.locator("[role=alert]")).to_have_text(
        "Сервер сейчас не отправляет письма, поэтому прислать ссылку для смены пароля не получится. "
        "Напишите администратору сервиса.")


def test_v2_client_helpers(static_files: str, new_page: Callable) -> None:
    """The pure functions of the v2 features, run in the browser."""
    page = new_page()
    page.goto(static_files + "/")
    results = page.evaluate("""async () => {
        const n = await import("/static/telegram-nick.js");
        const r = await import("/static/password-reset.js");
        const t = await import("/static/server-messages.js");
        const wait = (s) => t.translate(`Request was throttled. Expected available in ${s} seconds.`);
        return {
            urls: ["@boris_partner", "", null, "boris_partner", "@bad", "@" + "x".repeat(33)]
                .map(n.telegramUrl),
            links: ["/password-reset/Mg/abc-123", "/password-reset/Mg/abc-123/", "/",
                    "/password-reset/Mg", "/password-reset/%E0/x"].map(r.resetLinkFromPath),
            waits: [1, 42, 61, 3600, 7200].map(wait),
            nick: t.translate("Enter a Telegram username: @ and 5 to 32 letters, digits or underscores."),
        };
    }""")
    assert results == {
        "urls": ["https://t.me/boris_partner", None, None, None, None, None],
        "links": [{"uid": "Mg", "token": "abc-123"}, {"uid": "Mg", "token": "abc-123"},
                  None, None, None],
        "waits": [f"Слишком много попыток. Попробуйте снова через {w}." for w in
                  ("1 секунду", "42 секунды", "2 минуты", "60 минут", "2 часа")],
        "nick": NICK_RULE,
    }


def test_client_helpers(static_files, new_page):
    """The page's pure functions, run in the browser as the page runs them:
    the modules alone, served as static files (they do nothing on import)."""
    page = new_page()
    page.goto(static_files + "/")
    results = page.evaluate("""async () => {
        const m = await import("/static/matches.js");
        const t = await import("/static/server-messages.js");
        const f = await import("/static/format.js");
        const d = await import("/static/date-field.js");
        const c = await import("/static/countdown.js");
        const p = (id, day, name) => ({id, created_at: day, common_hobbies: [],
            partner: {id: id + 100, first_name: name, last_name: "", email: name + "@x.ru"}});
        const trio = [p(12, "2025-04-28", "Б"), p(11, "2025-04-28", "В"), p(5, "2025-04-21", "Г")];
        const split = m.splitCurrent(trio);
        return {
            current: split.current.map((x) => x.id),
            history: split.history.map((x) => x.id),
            merged: m.mergePairs([trio[2]], [trio[1], trio[0], trio[2]]).map((x) => x.id),
            plurals: [1, 2, 5, 11, 21, 24].map((n) => f.plural(n, ["день", "дня", "дней"])),
            short: t.translate("This password is too short. It must contain at least 4 characters."),
            unknown: t.translate("Something new."),
            toApi: d.isoToV1(d.readDate("20.05.2001").iso),
            toInput: d.formatDate("2001-05-20"),
            wall: c.parseWallClock("2025-04-28 10:00:00") - c.parseWallClock("2025-04-27 09:59:30"),
        };
    }""")
    assert results == {
        "current": [12, 11], "history": [5], "merged": [12, 11, 5],
        "plurals": ["день", "дня", "дней", "дней", "день", "дня"],
        "short": "Пароль слишком короткий: нужно не меньше 4 символов.",
        "unknown": "Something new.",
        "toApi": "20-05-2001", "toInput": "20.05.2001",
        "wall": 86_430_000,
    }


def test_date_field_helpers(static_files: str, new_page: Callable) -> None:
    """How the date fields read and shape what is typed (date-field.js)."""
    page = new_page()
    page.goto(static_files + "/")
    results = page.evaluate("""async () => {
        const d = await import("/static/date-field.js");
        return {
            read: ["20.05.2001", "1.5.2001", "20/05/2001", "20-05-2001", "20 05 2001", "20052001",
                   "2001-05-20", " 20.05.2001 ", "", "29.02.2024"].map((t) => d.readDate(t).iso),
            refused: ["29.02.2023", "31.04.2001", "00.01.2001", "20.13.2001", "20.05.01",
                      "вчера", "2001-5-20"].map((t) => d.readDate(t).error),
            dots: ["2", "20", "2005", "200520", "20052001", "2005200199", "1.", "1.5.",
                   "1.5.2001", "20..", ".", "20.05..2001"].map(d.withDots),
            shown: [d.formatDate("2001-05-20"), d.formatDate(null), d.formatDate("20-05-2001")],
        };
    }""")
    no_such_day = "Такой даты нет: проверьте день и месяц."
    help_ = "Введите дату как ДД.ММ.ГГГГ, например 20.05.2001."
    assert results == {
        "read": ["2001-05-20", "2001-05-01"] + ["2001-05-20"] * 6 + [None, "2024-02-29"],
        "refused": [no_such_day] * 4 + [help_] * 3,
        "dots": ["2", "20.", "20.05.", "20.05.20", "20.05.2001", "20.05.2001", "1.", "1.5.",
                 "1.5.2001", "20.", "", "20.05.2001"],
        "shown": ["20.05.2001", "", ""],
    }


def test_pause_helpers(static_files: str, new_page: Callable) -> None:
    """The pause's dates (pause.js): days ahead on the browser's calendar,
    and a pause holding through its last day."""
    page = new_page()
    page.goto(static_files + "/")
    results = page.evaluate("""async () => {
        const p = await import("/static/pause.js");
        return {
            ahead: [[7, new Date(2026, 11, 28, 23, 59)], [1, new Date(2024, 1, 28)],
                    [28, new Date(2026, 0, 31, 0, 1)], [0, new Date(2026, 4, 5)]]
                .map(([days, now]) => p.isoDayFromToday(days, now)),
            paused: [["2026-12-16", "2026-12-16"], ["2026-12-17", "2026-12-16"],
                     ["2026-12-15", "2026-12-16"], [null, "2026-12-16"]]
                .map(([until, today]) => p.pausedOn(until, today)),
        };
    }""")
    assert results == {"ahead": ["2027-01-04", "2024-02-29", "2026-02-28", "2026-05-05"],
                       "paused": [True, True, False, False]}


def test_stats_and_feedback_helpers(static_files: str, new_page: Callable) -> None:
    """How the stats page writes shares and ratings (stats-table.js), the
    chart's scale (stats-chart.js), and what a pair card says about an
    answer to "did you meet?" (feedback.js)."""
    page = new_page()
    page.goto(static_files + "/")
    results = page.evaluate("""async () => {
        const table = await import("/static/stats-table.js");
        const chart = await import("/static/stats-chart.js");
        const feedback = await import("/static/feedback.js");
        return {
            percent: [0, 0.125, 0.5, 2 / 3, 1, null].map(table.percent),
            rating: [3.875, 4, 2.5, null].map(table.meanRating),
            top: [0, 1, 2, 3, 5, 9, 11, 35, 101].map(chart.niceCeiling),
            said: [null, {met: false, rating: null}, {met: true, rating: null},
                   {met: true, rating: 5}].map(feedback.describeAnswer),
        };
    }""")
    assert results == {
        "percent": ["0\u00a0%", "13\u00a0%", "50\u00a0%", "67\u00a0%", "100\u00a0%", "—"],
        "rating": ["3,88", "4", "2,5", "—"],
        # At least 2, and always with a whole number half way.
        "top": [2, 2, 2, 4, 6, 10, 20, 40, 200],
        "said": ["", "Ваш ответ: не получилось.", "Ваш ответ: встретились.",
                 "Ваш ответ: встретились, оценка 5 из 5."],
    }
