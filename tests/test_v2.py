"""The original service's later API (v2) under /v2/: cookie sessions with a
refresh grace, v2's shapes and error texts, CORS with credentials, beside
an unchanged v1 on the same accounts."""

import asyncio
import datetime as dt
from http.cookies import SimpleCookie

import pytest
from conftest import TEST_BOT_TOKEN

from unimatch.telegram.login import sign_login

V2 = "/v2/"
CLIENT = "https://client.example"
PASSWORD = "correct-horse-7"
SIGN_IN_AGAIN = {"error": "Необходимо пройти авторизацию"}
UNEXPECTED = "Произошла непредвиденная ошибка"
WEEK = 7 * 24 * 3600


@pytest.fixture
def config_overrides():
    return {"cors_origins": (CLIENT,), "telegram_bot_token": TEST_BOT_TOKEN}


class Browser:
    """The web client as a browser runs it: a cookie jar for the server's
    cookies, sent back on v2's paths, and an Origin on every request."""

    def __init__(self, api, origin=CLIENT):
        self.api = api
        self.origin = origin
        self.jar: dict[str, str] = {}
        self.set_cookies: list = []  # every Set-Cookie of the last answer, parsed

    async def call(self, method, path, body=None, token=None, cookies=None, headers=None):
        headers = dict(headers or {})
        if self.origin:
            headers["Origin"] = self.origin
        jar = self.jar if cookies is None else cookies
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        status, body = await self.api.request(method, V2 + path, body, token=token,
                                              headers=headers)
        self.set_cookies = []
        for raw in self.api.last.headers.get_list("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(raw)
            for morsel in cookie.values():
                self.set_cookies.append((morsel, raw))
                if morsel["max-age"] == "0":
                    self.jar.pop(morsel.key, None)
                else:
                    self.jar[morsel.key] = morsel.value
        return status, body

    def cookie(self, name):
        [(morsel, raw)] = [(m, r) for m, r in self.set_cookies if m.key == name]
        return morsel, raw

    async def register(self, email="ann@example.com", **fields):
        body = {"email": email, "password": PASSWORD, "first_name": "Анна", "last_name": "",
                "birth": "2001-05-20", "hobby": [1, 2], "tg_link": "@anna_v2",
                # what the real client sends besides
                "confirmPassword": PASSWORD, "agreeTermsOfUse": True, "agreePrivacy": True,
                "agreePersonalData": True, **fields}
        status, answer = await self.call("POST", "api/register/", body)
        assert status == 201, answer
        return answer


@pytest.fixture
def browser(api):
    return Browser(api)


# -- sessions ------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_register_answers_the_user_and_access_and_sets_the_refresh_cookie(browser, clock):
    answer = await browser.register(chat_id="555", image="x.png", id=99)
    assert set(answer) == {"user", "access"}
    assert list(answer["user"]) == ["id", "first_name", "last_name", "email", "birth", "chat_id",
                                    "image", "tg_link", "hobby", "is_active_pair", "paused_until"]
    assert answer["user"] == {
        "id": 1, "first_name": "Анна", "last_name": "", "email": "ann@example.com",
        "birth": "2001-05-20", "chat_id": None, "image": None, "tg_link": "@anna_v2",
        "hobby": [{"id": 1, "name": "Программирование"}, {"id": 2, "name": "Спорт"}],
        "is_active_pair": True, "paused_until": None}
    cookie, raw = browser.cookie("refresh_token")
    assert cookie["httponly"] and cookie["secure"]
    assert (cookie["path"], cookie["samesite"], cookie["max-age"]) == ("/v2", "Lax", str(WEEK))
    expires = dt.datetime.strptime(cookie["expires"], "%a, %d %b %Y %H:%M:%S GMT")
    assert expires.replace(tzinfo=dt.UTC) == clock.now() + dt.timedelta(seconds=WEEK)
    assert "Domain" not in raw
    status, me = await browser.call("GET", "api/auth/users/me/", token=answer["access"])
    assert (status, me) == (200, answer["user"])


@pytest.mark.gen_test
async def test_login_answers_access_only_and_sets_the_cookie(browser):
    await browser.register()
    browser.jar.clear()
    status, body = await browser.call("POST", "api/token/", {"email": "ANN@example.com",
                                                             "password": PASSWORD})
    assert status == 200 and set(body) == {"access"}
    assert browser.jar["refresh_token"]


@pytest.mark.gen_test
@pytest.mark.parametrize("body, expected", [
    ({"email": "ann@example.com", "password": "wrong-horse-1"},
     {"error": "Неверный email или пароль"}),
    ({"email": "nobody@example.com", "password": PASSWORD}, {"error": "Неверный email или пароль"}),
    ({"email": "ann@example.com"}, {"password": ["This field is required."]})])
async def test_login_failures_are_400_never_401(browser, body, expected):
    await browser.register()
    assert await browser.call("POST", "api/token/", body) == (400, expected)


@pytest.mark.gen_test
async def test_refresh_rotates_the_cookie(browser, api):
    await browser.register()
    first = browser.jar["refresh_token"]
    status, body = await browser.call("POST", "api/token/refresh/")
    assert status == 200 and set(body) == {"access"}
    second = browser.jar["refresh_token"]
    assert second != first
    status, me = await browser.call("GET", "api/auth/users/me/", token=body["access"])
    assert status == 200 and me["email"] == "ann@example.com"
    # The v1 dialect keeps its strict rotation: the rotated token is spent.
    status, body = await api.post("/api/token/refresh/", {"refresh": first})
    assert (status, body) == (401, {"detail": "Token is blacklisted", "code": "token_not_valid"})


@pytest.mark.gen_test
async def test_parallel_refreshes_of_one_page_load_all_succeed(browser, clock):
    await browser.register()
    cookie = dict(browser.jar)
    answers = await asyncio.gather(*(browser.call("POST", "api/token/refresh/", cookies=cookie)
                                     for _ in range(4)))
    assert [status for status, _ in answers] == [200] * 4
    clock.advance(29)  # a straggler within the grace
    status, _ = await browser.call("POST", "api/token/refresh/", cookies=cookie)
    assert status == 200
    successors = {browser.jar["refresh_token"]}
    assert len(successors) == 1 and cookie["refresh_token"] not in successors
    clock.advance(2)  # past the grace: the rotated cookie is refused
    assert await browser.call("POST", "api/token/refresh/", cookies=cookie) == (401, SIGN_IN_AGAIN)
    assert (await browser.call("POST", "api/token/refresh/"))[0] == 200, "its successor works"


@pytest.mark.gen_test
async def test_logout_ends_the_grace_at_once(browser):
    await browser.register()
    old = dict(browser.jar)
    assert (await browser.call("POST", "api/token/refresh/"))[0] == 200
    status, body = await browser.call("POST", "api/token/blacklist/")
    assert (status, body) == (200, {"signout": "Вы вышли из системы"})
    assert await browser.call("POST", "api/token/refresh/", cookies=old) == (401, SIGN_IN_AGAIN)


@pytest.mark.gen_test
@pytest.mark.parametrize("cookie", [None, "garbage", "access"])
async def test_refresh_without_a_good_cookie_is_401(browser, cookie):
    answer = await browser.register()
    jar = {} if cookie is None else {
        "refresh_token": answer["access"] if cookie == "access" else cookie}
    # A refresh token in the body, without the cookie, does not count either.
    status, body = await browser.call("POST", "api/token/refresh/", {"refresh": "x"}, cookies=jar)
    assert (status, body) == (401, SIGN_IN_AGAIN)


@pytest.mark.gen_test
async def test_refresh_for_a_deleted_user_is_401(browser, store):
    answer = await browser.register()
    await store.db["users"].delete_one({"_id": answer["user"]["id"]})
    assert await browser.call("POST", "api/token/refresh/") == (401, SIGN_IN_AGAIN)


@pytest.mark.gen_test
async def test_logout_clears_the_cookie_as_it_was_set(browser):
    await browser.register()
    token = browser.jar["refresh_token"]
    status, body = await browser.call("POST", "api/token/blacklist/")
    assert (status, body) == (200, {"signout": "Вы вышли из системы"})
    cookie, raw = browser.cookie("refresh_token")
    assert (cookie.value, cookie["max-age"], cookie["path"], cookie["samesite"]) == (
        "", "0", "/v2", "Lax")
    assert cookie["secure"] and "1970" in cookie["expires"]
    assert await browser.call("POST", "api/token/refresh/",
                              cookies={"refresh_token": token}) == (401, SIGN_IN_AGAIN)


@pytest.mark.gen_test
async def test_logout_failures(browser):
    failed = {"error": "Не получилось выйти из системы"}
    await browser.register()
    token = browser.jar.pop("refresh_token")
    assert await browser.call("POST", "api/token/blacklist/") == (400, failed)
    assert browser.set_cookies == [], "nothing to clear"
    for bad in ("garbage", token):
        await browser.call("POST", "api/token/blacklist/", cookies={"refresh_token": token})
        status, body = await browser.call("POST", "api/token/blacklist/",
                                          cookies={"refresh_token": bad})
        assert (status, body) == (400, failed)
        assert browser.cookie("refresh_token")[0]["max-age"] == "0"


@pytest.mark.gen_test
async def test_verify(browser, clock):
    answer = await browser.register()
    refresh = browser.jar["refresh_token"]
    for token in (answer["access"], refresh):
        assert await browser.call("POST", "api/token/verify/", {"token": token}) == (200, {})
    assert await browser.call("POST", "api/token/verify/", {"token": "x.y.z"}) == (
        401, {"detail": "Token is invalid", "code": "token_not_valid"})
    assert await browser.call("POST", "api/token/verify/", {}) == (
        400, {"token": ["This field is required."]})
    await browser.call("POST", "api/token/blacklist/")
    assert await browser.call("POST", "api/token/verify/", {"token": refresh}) == (
        400, {"non_field_errors": ["Token is blacklisted"]})
    clock.advance(16 * 60)
    assert await browser.call("POST", "api/token/verify/", {"token": answer["access"]}) == (
        401, {"detail": "Token is expired", "code": "token_not_valid"})


# -- registration errors -------------------------------------------------------------

@pytest.mark.gen_test
@pytest.mark.parametrize("fields, expected", [
    ({"email": "ann@example.com"}, "Пользователь с таким email уже существует"),
    ({"email": "ANN@Example.com"}, "Пользователь с таким email уже существует"),
    ({"email": "not-an-address"}, "Введите правильный адрес электронной почты"),
    ({"birth": "20-05-2001"}, "Проблема с полем ввода даты рождения"),
    ({"birth": None}, "Проблема с полем ввода даты рождения"),
    ({"birth": ""}, "Проблема с полем ввода даты рождения"),
    ({"birth": "2001-02-30"}, "Проблема с полем ввода даты рождения"),
    ({"password": "abc"}, "Пароль либо слишком простой, либо содержит меньше 4 символов"),
    ({"password": "12345678"}, "Пароль либо слишком простой, либо содержит меньше 4 символов"),
    ({"email": ""}, UNEXPECTED),
    ({"first_name": "x" * 151}, UNEXPECTED),
    ({"hobby": "1,2"}, UNEXPECTED),
    ({"hobby": [999]}, UNEXPECTED),
    ({"tg_link": "anna"}, UNEXPECTED),
    # The first failing field decides, in the original's order.
    ({"first_name": "x" * 151, "email": "bad"}, UNEXPECTED),
    ({"email": "bad", "birth": "bad", "password": "1"}, "Введите правильный адрес электронной почты"),
    ({"birth": "bad", "password": "1"}, "Проблема с полем ввода даты рождения")])
async def test_registration_errors_are_one_text(browser, fields, expected):
    await browser.register()
    other = Browser(browser.api)
    body = {"email": "bob@example.com", "password": PASSWORD, "first_name": "Боб",
            "last_name": "", "birth": "2000-01-01", "hobby": [1], "tg_link": "@bob_the_b",
            **fields}
    status, answer = await other.call("POST", "api/register/", body)
    assert (status, answer) == (400, {"error": expected})
    assert other.set_cookies == []


@pytest.mark.gen_test
async def test_registration_body_that_is_not_an_object(browser, api):
    status, body = await browser.call("POST", "api/register/", [1, 2])
    assert (status, body) == (400, {"error": UNEXPECTED})
    status, body = await api.request("POST", V2 + "api/register/", raw=b"{bad",
                                     headers={"Content-Type": "application/json"})
    assert status == 400 and body["detail"].startswith("JSON parse error")


# -- the current user ----------------------------------------------------------------

@pytest.mark.gen_test
async def test_patch_me_with_the_settings_form(browser, api):
    answer = await browser.register(tg_link=None)
    token = answer["access"]
    status, user = await browser.call("PATCH", "api/auth/users/me/", {
        "first_name": "Аня", "last_name": "Иванова", "birth": "2002-02-02", "hobby": [3],
        "tg_link": "@anya_ivanova", "email": "evil@example.com", "chat_id": "1", "image": "i.png",
        "password": "plain-text-pass", "id": 7}, token=token)
    assert status == 200
    assert user == {**answer["user"], "first_name": "Аня", "last_name": "Иванова",
                    "birth": "2002-02-02", "tg_link": "@anya_ivanova",
                    "hobby": [{"id": 3, "name": "Музыка"}]}
    # The same account in v1's view: its dates, hobby ids, no tg_link.
    status, v1 = await api.get("/auth/users/me/", token=token)
    assert (v1["birth"], v1["hobby"], "tg_link" in v1) == ("02-02-2002", [3], False)
    # The password was not changed by PATCH.
    assert (await api.post("/api/token/", {"email": "ann@example.com",
                                           "password": PASSWORD}))[0] == 200
    status, user = await browser.call("PATCH", "api/update/user/", {"tg_link": ""}, token=token)
    assert (status, user["tg_link"]) == (200, None)


@pytest.mark.gen_test
@pytest.mark.parametrize("fields, errors", [
    ({"birth": "02-02-2002"},
     {"birth": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ({"birth": None}, {"birth": ["This field may not be null."]}),
    ({"birth": "1899-12-31"}, {"birth": ["Date must be between 1900-01-01 and today."]}),
    ({"hobby": [99]}, {"hobby": ['Invalid pk "99" - object does not exist.']}),
    ({"tg_link": "@ab"}, {"tg_link": [
        "Enter a Telegram username: @ and 5 to 32 letters, digits or underscores."]})])
async def test_patch_me_errors_change_nothing(browser, fields, errors):
    answer = await browser.register()
    status, body = await browser.call("PATCH", "api/auth/users/me/", fields,
                                      token=answer["access"])
    assert (status, body) == (400, errors)
    assert (await browser.call("GET", "api/auth/users/me/", token=answer["access"]))[1] == (
        answer["user"])


@pytest.mark.gen_test
async def test_me_methods(browser):
    answer = await browser.register()
    for method in ("POST", "PUT", "DELETE"):
        status, body = await browser.call(method, "api/auth/users/me/", {}, token=answer["access"])
        assert (status, body) == (405, {"detail": f'Method "{method}" not allowed.'})
    status, _ = await browser.call("GET", "api/update/user/", token=answer["access"])
    assert status == 405
    status, body = await browser.call("GET", "api/auth/users/me/")
    assert (status, body) == (401, {"detail": "Authentication credentials were not provided."})


@pytest.mark.gen_test
async def test_tokens_work_on_both_versions(browser, api):
    v1 = await api.register("bob@example.com")
    status, me = await browser.call("GET", "api/auth/users/me/", token=v1["access"])
    assert (status, me["email"]) == (200, "bob@example.com")
    v2 = await browser.register()
    status, me = await api.get("/auth/users/me/", token=v2["access"])
    assert (status, me["email"]) == (200, "ann@example.com")


@pytest.mark.gen_test
async def test_hobbies_and_countdown_have_v1_bodies_at_v2_paths(browser, api):
    token = (await browser.register())["access"]
    for v2_path, v1_path in (("api/hobby/all/", "/users/api/hobby/all/"),
                             ("api/hobby/total/", "/users/api/hobby/total/"),
                             ("api/hobby/", "/users/api/hobby/"),
                             ("api/days-to-match/", "/users/api/days-to-match/")):
        assert await browser.call("GET", v2_path, token=token) == await api.get(v1_path, token=token)
    assert await browser.call("PATCH", "api/hobby/", {"hobby": [5, 4]}, token=token) == (200, [4, 5])


# -- pairs ---------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_pairs_split_current_from_earlier(browser, api, realtime, store):
    assert (await browser.call("GET", "api/pairs/", token=(await browser.register())["access"])
            )[1] == {"current_pair": None, "current_pairs": [], "pairs": []}
    ann = await api.login("ann@example.com")
    for i in range(2):
        await api.register(f"s{i}@example.com", hobby=[2, 3])
    first = await realtime.rounds.run_now()
    second = await realtime.rounds.run_now()
    status, body = await browser.call("GET", "api/pairs/", token=ann)
    assert status == 200
    current = body["current_pairs"]
    assert len(current) == 2, "three people: a trio, one item per partner"
    assert body["current_pair"] == current[0] and current[0]["id"] < current[1]["id"]
    assert {item["round"] for item in current} == {second["round"]}
    assert {item["round"] for item in body["pairs"]} == {first["round"]}
    partner = current[0]["partner"]
    assert set(partner) == {"id", "first_name", "last_name", "email", "tg_link", "hobby"}
    assert partner["tg_link"] == "" and partner["hobby"] == [
        {"id": 2, "name": "Спорт"}, {"id": 3, "name": "Музыка"}]
    ids = [item["id"] for item in body["current_pairs"] + body["pairs"]]
    assert len(ids) == len(set(ids))
    # Opted out of the next round: nothing current, everything earlier.
    await api.patch("/auth/users/me/", {"is_active_pair": False}, token=ann)
    await realtime.rounds.run_now()
    status, body = await browser.call("GET", "api/pairs/", token=ann)
    assert body["current_pair"] is None and body["current_pairs"] == []
    assert len(body["pairs"]) == 4
    assert [item["round"] for item in body["pairs"]] == sorted(
        (item["round"] for item in body["pairs"]), reverse=True)


@pytest.mark.gen_test
async def test_create_pairs_answers_the_success_share_on_both_versions(browser, api, store):
    boss = await browser.register("boss@example.com", hobby=[1])
    await api.register("s1@example.com", hobby=[1])
    await api.register("s2@example.com", hobby=[5])
    await api.register("s3@example.com", hobby=[6])
    await store.users.set_staff("boss@example.com")
    status, summary = await browser.call("POST", "admin-api/create-pairs/", token=boss["access"])
    assert status == 201
    assert (summary["groups"], summary["sharing_groups"], summary["success"]) == (2, 1, "50.0")
    status, summary = await api.post("/admin-api/create-pairs/", token=boss["access"])
    assert status == 201 and summary["success"] in ("0", "0.0", "50.0", "100.0")


# -- CORS and origins ----------------------------------------------------------------

@pytest.mark.gen_test
async def test_preflight_and_answers_carry_credentials_for_allowed_origins(browser, api):
    status, _ = await api.request("OPTIONS", V2 + "api/auth/users/me/", headers={
        "Origin": CLIENT, "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type"})
    headers = api.last.headers
    assert status in (200, 204)
    assert headers["Access-Control-Allow-Origin"] == CLIENT
    assert headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in headers["Vary"]
    assert "PATCH" in headers["Access-Control-Allow-Methods"]
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
    for method, path in (("GET", "api/auth/users/me/"), ("POST", "api/token/refresh/"),
                         ("GET", "api/nothing-here/")):
        status, _ = await browser.call(method, path)
        assert status in (401, 404)
        assert api.last.headers["Access-Control-Allow-Origin"] == CLIENT
        assert api.last.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.gen_test
async def test_other_origins_get_no_cors_and_no_cookie_service(browser, api):
    await browser.register()
    stranger = Browser(api, origin="https://evil.example")
    stranger.jar = dict(browser.jar)
    for path in ("api/token/refresh/", "api/token/blacklist/"):
        status, body = await stranger.call("POST", path)
        assert status == 403 and set(body) == {"detail"}
        assert "Access-Control-Allow-Origin" not in api.last.headers
    status, _ = await stranger.call("GET", "api/access/httponly/")
    assert status == 403
    assert (await browser.call("POST", "api/token/refresh/"))[0] == 200, "the cookie still works"


# -- Telegram sign-in and the access cookie ------------------------------------------

def _widget(clock, telegram_id=4242, **extra):
    clock.advance(1)  # each confirmation in Telegram signs its own payload
    return sign_login({"id": telegram_id, "first_name": "Тимур", "username": "timur",
                       "auth_date": int(clock.timestamp()), **extra}, TEST_BOT_TOKEN)


@pytest.mark.gen_test
async def test_telegram_sign_in_makes_an_account_once_and_sets_both_cookies(browser, clock, api):
    status, body = await browser.call("POST", "api/tg-auth/", _widget(clock))
    assert status == 200 and set(body) == {"access"}
    assert browser.cookie("access_token")[0]["max-age"] == "900"
    assert browser.cookie("refresh_token")[0]["httponly"]
    status, me = await browser.call("GET", "api/auth/users/me/", token=body["access"])
    assert (me["chat_id"], me["first_name"]) == ("4242", "Тимур")
    assert me["email"].endswith(".invalid")
    # The access cookie hands its token to script (allowed origins only).
    status, answer = await browser.call("GET", "api/access/httponly/")
    assert (status, answer) == (200, {"access": browser.jar["access_token"]})
    # Signing in again finds the same account; the placeholder is no login.
    again = Browser(api)
    status, body = await again.call("POST", "api/tg-auth/", _widget(clock))
    status, me_again = await again.call("GET", "api/auth/users/me/", token=body["access"])
    assert me_again["id"] == me["id"]
    assert (await api.post("/api/token/", {"email": me["email"], "password": "!"}))[0] == 401


@pytest.mark.gen_test
async def test_telegram_sign_in_refusals(browser, clock, config):
    payload = _widget(clock)
    assert (await browser.call("POST", "api/tg-auth/", payload))[0] == 200
    invalid = (400, {"error": "Invalid tg auth"})
    assert await browser.call("POST", "api/tg-auth/", payload) == invalid, "a payload signs in once"
    assert await browser.call("POST", "api/tg-auth/", {**_widget(clock), "hash": "0" * 64}) == invalid
    old = _widget(clock)
    clock.advance(24 * 3600 + 1)
    assert await browser.call("POST", "api/tg-auth/", old) == invalid


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"cors_origins": (CLIENT,)}])
async def test_telegram_sign_in_without_a_bot(browser, clock, config_overrides):
    status, body = await browser.call("POST", "api/tg-auth/", _widget(clock))
    assert status == 503 and set(body) == {"error"}


@pytest.mark.gen_test
async def test_access_from_cookie_refusals(browser):
    assert await browser.call("GET", "api/access/httponly/") == (
        400, {"error": "Access token not found"})
    assert await browser.call("GET", "api/access/httponly/",
                              cookies={"access_token": "expired.or.bad"}) == (401, SIGN_IN_AGAIN)


# -- staff ---------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_user_by_chat_id_is_for_staff(browser, store, clock):
    boss = await browser.register("boss@example.com")
    ann = await Browser(browser.api).register("ann@example.com")
    await store.users.link_telegram(ann["user"]["id"], 777)
    path = "api/user-by-chat-id/777/"
    assert (await browser.call("GET", path))[0] == 401
    status, body = await browser.call("GET", path, token=boss["access"])
    assert (status, body) == (403, {"detail": "You do not have permission to perform this action."})
    await store.users.set_staff("boss@example.com")
    status, body = await browser.call("GET", path, token=boss["access"])
    assert (status, body) == (200, {**ann["user"], "chat_id": "777"})
    for missing in ("778", "abc"):
        status, body = await browser.call("GET", f"api/user-by-chat-id/{missing}/",
                                          token=boss["access"])
        assert (status, body) == (404, {"detail": "Not found."})


# -- where v2 lives ------------------------------------------------------------------

@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [{"v2_prefix": "", "cors_origins": (CLIENT,)}])
async def test_v2_at_the_root_replaces_the_shared_paths_only(api, config_overrides):
    v1 = await api.register("ann@example.com")  # users/api/register/ stays v1
    assert set(v1) == {"user", "refresh", "access"}
    status, body = await api.post("/api/token/", {"email": "ann@example.com", "password": PASSWORD})
    assert status == 200 and set(body) == {"access"}
    cookie = SimpleCookie()
    cookie.load(api.last.headers["Set-Cookie"])
    assert cookie["refresh_token"]["path"] == "/"
    status, me = await api.get("/auth/users/me/", token=body["access"])
    assert me["birth"] is None and "tg_link" not in me  # v1's me stays v1
    status, me = await api.get("/api/auth/users/me/", token=body["access"])
    assert "tg_link" in me


@pytest.mark.gen_test
@pytest.mark.parametrize("config_overrides", [
    {"v2_prefix": "next/", "secure_cookies": False, "cookie_samesite": "Strict"}])
async def test_prefix_and_cookie_flags_are_configurable(api, config_overrides):
    status, _ = await api.post("/v2/api/register/", {"email": "a@example.com", "password": PASSWORD})
    assert status == 404
    status, _ = await api.post("/next/api/register/", {"email": "a@example.com",
                                                       "password": PASSWORD,
                                                       "birth": "2000-01-01"})
    assert status == 201
    cookie = SimpleCookie()
    cookie.load(api.last.headers["Set-Cookie"])
    morsel = cookie["refresh_token"]
    assert (morsel["path"], morsel["samesite"], morsel["secure"]) == ("/next", "Strict", "")


@pytest.mark.gen_test
async def test_v2_names_a_malformed_authorization_header(browser, api):
    answer = await browser.register()
    status, body = await browser.call("GET", "api/auth/users/me/",
                                      headers={"Authorization": f"Bearer {answer['access']} x"})
    assert (status, body) == (401, {
        "detail": "Authorization header must contain two space-delimited values",
        "code": "bad_authorization_header"})
    status, body = await api.get("/auth/users/me/",
                                 headers={"Authorization": f"Bearer {answer['access']} x"})
    assert body["code"] == "token_not_valid", "v1 answers as it always did"


@pytest.mark.gen_test
async def test_user_by_chat_id_past_int64_is_not_found(browser, store):
    boss = await browser.register("boss@example.com")
    await store.users.set_staff("boss@example.com")
    for chat_id in (str(2**63), "9" * 40, "١٢٣"):
        status, body = await browser.call("GET", f"api/user-by-chat-id/{chat_id}/",
                                          token=boss["access"])
        assert (status, body) == (404, {"detail": "Not found."}), chat_id


@pytest.mark.gen_test
async def test_verify_refuses_tokens_of_deleted_accounts(browser, store):
    answer = await browser.register()
    await store.db["users"].delete_one({"_id": answer["user"]["id"]})
    assert await browser.call("POST", "api/token/verify/", {"token": answer["access"]}) == (
        401, {"detail": "Token is invalid", "code": "token_not_valid"})
