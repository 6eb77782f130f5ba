"""v2 as the original web client uses it: from a page on another origin,
every call with ``credentials: "include"``, in a real browser (Debian's
Chromium). The browser is the judge of CORS and cookies here: a missing
``Access-Control-Allow-Credentials`` hides an answer from script, a cookie
the browser refuses never comes back."""

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from browser_support import wait_for_mail
from harness import ServerProcess
from playwright.sync_api import Page
from smtp_mailbox import Mailbox

pytestmark = pytest.mark.first_lane

PASSWORD = "Весенний-ветер-42"
NEW_PASSWORD = "Осенний-дождь-17"
MAIL_FROM = "noreply@unimatch.test"
ACCESS_LIFETIME = 3  # s: long enough for a few calls, short enough to wait out

# The client: one function that calls the API as the original web client
# does (the base URL from the page's query, credentials on every call) and
# hands back what script gets to see. A blocked answer is a TypeError.
CLIENT_JS = b"""
const base = new URLSearchParams(location.search).get("api");
window.call = async (method, path, body, token) => {
  const headers = {};
  if (body != null) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(base + path, {
      method, headers, credentials: "include",
      body: body == null ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    return { status: 0, error: String(error) };
  }
};
"""
CLIENT_HTML = (b'<!doctype html><meta charset="utf-8"><title>A v2 client</title>'
               b'<script type="module" src="client.js"></script>')


class _ClientFiles(http.server.BaseHTTPRequestHandler):
    """The client's two files. They sit under ``/v2/``, the path of the
    server's cookie: were the cookie readable by script, it would show in
    this page's ``document.cookie`` (cookies do not tell ports apart)."""

    FILES = {"/v2/client.html": ("text/html; charset=utf-8", CLIENT_HTML),
             "/v2/client.js": ("text/javascript; charset=utf-8", CLIENT_JS)}

    def do_GET(self) -> None:
        found = self.FILES.get(urlsplit(self.path).path)
        if found is None:
            self.send_error(404)
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def client_origin() -> Iterator[Callable[[], str]]:
    """``client_origin()``: a new origin on loopback (its own port) serving
    the client page; stopped after the test."""
    started = []

    def start() -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ClientFiles)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                  daemon=True)
        thread.start()
        started.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"
    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join()


class Client:
    """The client page, as a function: ``client(method, path, body=None,
    token=None)`` is what the page's script sees of that call,
    ``{"status", "body"}``, or status 0 and ``error`` when the browser
    hid the answer."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def __call__(self, method: str, path: str, body: object = None,
                 token: str | None = None) -> dict:
        return self.page.evaluate("([m, p, b, t]) => call(m, p, b, t)", [method, path, body, token])


def open_client(new_page: Callable[..., Page], origin: str, server: ServerProcess) -> Client:
    """The client page on ``origin``, against ``server``'s v2."""
    page = new_page(real_preflights=True)
    page.goto(f"{origin}/v2/client.html?api={server.url}/v2/")
    page.wait_for_function("() => typeof window.call === 'function'")
    return Client(page)


def refresh_cookie(page: Page) -> dict:
    [cookie] = [c for c in page.context.cookies() if c["name"] == "refresh_token"]
    return cookie


def test_the_original_clients_flow_from_another_origin(serve: Callable, new_page: Callable,
                                                       client_origin: Callable, smtp: Mailbox) -> None:
    origin = client_origin()
    server = serve(extra_args=["--cors-origins", origin, "--insecure-cookies",
                               "--access-lifetime", str(ACCESS_LIFETIME),
                               "--smtp-url", smtp.url, "--mail-from", MAIL_FROM])
    call = open_client(new_page, origin, server)
    page = call.page
    answers = []  # every answer from the API, as the browser received it
    page.on("response", lambda r: answers.append(r) if r.url.startswith(server.url) else None)

    # Register as the client does (its extra keys included): the access
    # token in the body, the refresh token in a cookie script cannot read.
    hobby = server.hobby_ids("Спорт")
    registered = call("POST", "api/register/", {
        "email": "anna@example.com", "password": PASSWORD, "confirmPassword": PASSWORD,
        "first_name": "Анна", "last_name": "Иванова", "birth": "2001-05-20", "hobby": hobby,
        "tg_link": "@anna_ivanova", "agreeTermsOfUse": True, "agreePrivacy": True,
        "agreePersonalData": True})
    assert registered["status"] == 201, registered
    assert set(registered["body"]) == {"user", "access"}
    assert registered["body"]["user"]["tg_link"] == "@anna_ivanova"
    assert registered["body"]["user"]["birth"] == "2001-05-20"
    cookie = refresh_cookie(page)
    assert (cookie["httpOnly"], cookie["path"], cookie["sameSite"], cookie["secure"]) == (
        True, "/v2", "Lax", False)
    assert "refresh_token" not in page.evaluate("document.cookie"), "HttpOnly: script never sees it"

    # A partner with a Telegram nick, and a round that pairs them.
    status, _ = server.request("POST", "/v2/api/register/", {
        "email": "boris@example.com", "password": "Partner-pass-42", "first_name": "Борис",
        "hobby": hobby, "tg_link": "@boris_partner"})
    assert status == 201
    assert server.run_round()["pairs"] == 1

    # Log in, then what the matches page loads.
    login = call("POST", "api/token/", {"email": "anna@example.com", "password": PASSWORD})
    assert login["status"] == 200 and set(login["body"]) == {"access"}, login
    access = login["body"]["access"]
    assert refresh_cookie(page)["value"] != cookie["value"], "the log-in set a new cookie"
    me = call("GET", "api/auth/users/me/", token=access)
    assert me["status"] == 200 and me["body"]["email"] == "anna@example.com", me
    pairs = call("GET", "api/pairs/", token=access)
    assert pairs["status"] == 200, pairs
    partner = pairs["body"]["current_pair"]["partner"]
    assert (partner["first_name"], partner["tg_link"]) == ("Борис", "@boris_partner")
    assert partner["hobby"] == [{"id": hobby[0], "name": "Спорт"}]
    countdown = call("GET", "api/days-to-match/")
    assert countdown["status"] == 200
    assert {"days_left", "hours_left", "minutes_left", "next_match_at"} <= set(countdown["body"])

    # The access token expires (waiting for that, not timing it); the 401
    # is readable, and the refresh takes the cookie alone.
    deadline = time.monotonic() + ACCESS_LIFETIME + 15
    while (expired := call("GET", "api/auth/users/me/", token=access))["status"] == 200:
        assert time.monotonic() < deadline, "the access token never expired"
        page.wait_for_timeout(250)
    assert expired["status"] == 401 and expired["body"]["code"] == "token_not_valid", expired
    before = refresh_cookie(page)["value"]
    refreshed = call("POST", "api/token/refresh/")
    assert refreshed["status"] == 200 and set(refreshed["body"]) == {"access"}, refreshed
    assert refresh_cookie(page)["value"] != before, "rotated"
    assert "refresh_token" not in page.evaluate("document.cookie")
    assert call("GET", "api/auth/users/me/", token=refreshed["body"]["access"])["status"] == 200

    # A password reset through the SMTP server on loopback: the mailed link
    # points at the service's own page; the client posts its uid and token.
    asked = call("POST", "api/auth/users/reset_password/", {"email": "anna@example.com"})
    assert asked == {"status": 200, "body": {}}
    mail = wait_for_mail(smtp, "anna@example.com")
    path = mail.reset_path()
    assert f"{server.url}{path}" in mail.text
    _, _, uid, token = path.rstrip("/").split("/")
    confirmed = call("POST", "api/auth/users/reset_password_confirm/",
                     {"uid": uid, "token": token, "new_password": NEW_PASSWORD})
    assert confirmed == {"status": 200, "body": {}}
    assert call("POST", "api/token/refresh/") == {
        "status": 401, "body": {"error": "Необходимо пройти авторизацию"}}, "sessions ended"
    assert call("POST", "api/token/", {"email": "anna@example.com", "password": PASSWORD}) == {
        "status": 400, "body": {"error": "Неверный email или пароль"}}
    again = call("POST", "api/token/", {"email": "anna@example.com", "password": NEW_PASSWORD})
    assert again["status"] == 200, again
    assert call("GET", "api/auth/users/me/", token=again["body"]["access"])["status"] == 200
    assert call("POST", "api/token/refresh/")["status"] == 200

    # Every answer named this origin and allowed credentials, errors too.
    assert {r.status for r in answers} >= {200, 201, 400, 401}
    for answer in answers:
        headers = answer.headers
        assert headers.get("access-control-allow-origin") == origin, answer.url
        assert headers.get("access-control-allow-credentials") == "true", answer.url
    assert page.external_requests == []


def test_an_origin_not_allowed_sees_no_answer(serve: Callable, new_page: Callable,
                                              client_origin: Callable) -> None:
    allowed, other = client_origin(), client_origin()
    server = serve(extra_args=["--cors-origins", allowed, "--insecure-cookies"])
    server.register("anna@example.com", PASSWORD)
    call = open_client(new_page, other, server)
    for method, path, body in (("GET", "api/days-to-match/", None),
                               ("POST", "api/token/", {"email": "anna@example.com",
                                                       "password": PASSWORD})):
        seen = call(method, path, body)
        assert seen["status"] == 0 and "Failed to fetch" in seen["error"], seen
    assert [c for c in call.page.context.cookies() if c["name"] == "refresh_token"] == []
    # These pages are not intercepted (real preflights); what leaves
    # loopback still goes nowhere.
    assert call.page.evaluate(
        "fetch('https://example.com/').then(() => 'reached', () => 'refused')") == "refused"
    assert call.page.external_requests == ["https://example.com/"]
    # The allowed origin, for contrast, sees the same calls answered.
    call = open_client(new_page, allowed, server)
    assert call("GET", "api/days-to-match/")["status"] == 200
    assert call("POST", "api/token/", {"email": "anna@example.com", "password": PASSWORD})[
        "status"] == 200
    assert refresh_cookie(call.page)["httpOnly"] is True
