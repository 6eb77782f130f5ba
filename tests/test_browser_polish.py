"""The page as a Russian-speaking student meets it (issue 13, section 6,
and the pause of section 1), in Debian's Chromium at a desktop's and a
phone's size: the header, the labels, the date fields, the prompt for
interests, the Telegram card, the API reference, and the pause. The
fixtures are in browser_support.py."""

import datetime as dt
import re
from collections.abc import Callable

import pytest
from browser_support import PHONE, BotApi, fits_width, log_in, wait_until_live
from harness import ServerProcess
from playwright.sync_api import Locator, Page, expect

# The page is what these check; the store under it is proven by the other
# tests on every engine.
pytestmark = pytest.mark.first_lane

PASSWORD = "Весенний-ветер-42"
SIZES = {"desktop": {"viewport": {"width": 1280, "height": 800}}, "phone": PHONE}
LONG_FIRST, LONG_LAST = "Александра", "Константинопольская-Преображенская"


def width_of(size: str) -> int:
    return SIZES[size]["viewport"]["width"]


def on_one_row(page: Page, *selectors: str) -> bool:
    """Whether the elements share a horizontal line (each one's vertical
    extent overlaps every other's): they did not wrap onto rows of their own."""
    boxes = [page.locator(selector).bounding_box() for selector in selectors]
    assert all(boxes), f"not all of {selectors} are shown"
    return max(box["y"] for box in boxes) < min(box["y"] + box["height"] for box in boxes)


def is_cut(page: Page, selector: str) -> bool:
    """Whether the element's text is wider than the element (cut off)."""
    return page.locator(selector).evaluate("el => el.scrollWidth > el.clientWidth")


def logged_in_page(new_page: Callable[..., Page], server: ServerProcess, size: str,
                   email: str, first_name: str) -> Page:
    page = new_page(**SIZES[size])
    page.goto(server.url + "/")
    log_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name=f"Привет, {first_name}!")).to_be_visible()
    return page


def fill_registration(form: Locator, email: str, first_name: str) -> None:
    """The register form's required fields."""
    form.get_by_label("Электронная почта").fill(email)
    form.get_by_label("Пароль", exact=True).fill(PASSWORD)
    form.get_by_label("Пароль ещё раз").fill(PASSWORD)
    form.get_by_label("Имя").fill(first_name)


def can_log_in(server: ServerProcess, email: str) -> bool:
    """Whether the account exists (with PASSWORD)."""
    return server.request("POST", "/api/token/", {"email": email, "password": PASSWORD})[0] == 200


# --------------------------------------------------------------- the header

HEADER = (".brand", "#connection", "#account-name", "#logout")


@pytest.mark.parametrize("size", SIZES)
def test_the_header_is_one_row_and_cuts_a_name_only_when_out_of_room(
        serve: Callable, new_page: Callable, size: str) -> None:
    server = serve()
    server.register("long@example.com", PASSWORD, first_name=LONG_FIRST, last_name=LONG_LAST)
    server.register("short@example.com", PASSWORD, first_name="Ия", last_name="Ли")

    page = logged_in_page(new_page, server, size, "long@example.com", LONG_FIRST)
    wait_until_live(page)  # the status line at its usual width
    name = page.locator("#account-name")
    expect(name).to_have_text(f"{LONG_FIRST} {LONG_LAST}")
    assert on_one_row(page, *HEADER)
    fits_width(page, width_of(size))
    if size == "desktop":
        # 1280 pixels hold the whole name beside the brand and the status.
        assert not is_cut(page, "#account-name")
    else:
        # A phone has no room for it: cut with an ellipsis, the whole name
        # on hover; the status shows as its dot, still named for screen readers.
        assert is_cut(page, "#account-name")
        expect(name).to_have_css("text-overflow", "ellipsis")
        expect(name).to_have_attribute("title", f"{LONG_FIRST} {LONG_LAST}")
        expect(page.locator("#connection")).to_match_aria_snapshot("- status: На связи")
        assert page.locator("#account-name").bounding_box()["width"] >= 80, "the name still shows"

    # Offline, the status says so in words, and still on the one row.
    server.stop()
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    assert on_one_row(page, *HEADER)
    fits_width(page, width_of(size))

    server.start()
    short = logged_in_page(new_page, server, size, "short@example.com", "Ия")
    wait_until_live(short)
    expect(short.locator("#account-name")).to_have_text("Ия Ли")
    assert not is_cut(short, "#account-name")
    assert on_one_row(short, *HEADER)
    assert page.external_requests == [] and short.external_requests == []


# --------------------------------------------------------------- Russian words

# Names that stay as they are; every other word the page shows is Russian.
NAMES = {"UniMatch", "Telegram", "API"}
# Every Latin word in text a person can see, but in what they typed or
# the server holds about them (their email address).
LATIN_WORDS = """(skip) => {
    const words = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const el = node.parentElement;
        if (el.closest(skip) || !el.checkVisibility()) continue;
        for (const word of node.textContent.match(/[A-Za-z][A-Za-z'-]*/g) || []) words.add(word);
    }
    return [...words].sort();
}"""
USER_DATA = "#profile-email"


def latin_words(page: Page) -> set[str]:
    return set(page.evaluate(LATIN_WORDS, USER_DATA))


@pytest.mark.parametrize("size", SIZES)
def test_every_label_and_text_on_the_page_is_russian(serve: Callable, new_page: Callable,
                                                      size: str) -> None:
    server = serve()
    server.register("anna@example.com", PASSWORD, first_name="Анна")
    page = new_page(**SIZES[size])
    page.goto(server.url + "/")
    login = page.locator("#login-form")
    expect(login.get_by_label("Электронная почта")).to_have_attribute("type", "email")
    assert latin_words(page) <= NAMES

    page.get_by_role("button", name="Забыли пароль?").click()
    forgot = page.locator("#forgot-form")
    expect(forgot.get_by_label("Электронная почта")).to_be_visible()
    assert latin_words(page) <= NAMES

    page.locator("#forgot-section").get_by_role("button", name="Войти").click()
    page.get_by_role("button", name="Зарегистрироваться").click()
    register = page.locator("#register-form")
    expect(register.get_by_role("checkbox", name="Кино")).to_be_attached()
    expect(register.get_by_label("Электронная почта")).to_be_visible()
    assert latin_words(page) <= NAMES

    page.locator("#register-section").get_by_role("button", name="Войти").click()
    log_in(page, "anna@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    expect(page.locator(".profile-email")).to_have_text("Почта: anna@example.com")
    assert latin_words(page) <= NAMES
    fits_width(page, width_of(size))
    assert page.external_requests == []


# --------------------------------------------------------------- dates

@pytest.mark.parametrize("size", SIZES)
def test_the_birth_date_is_day_first_whatever_the_browsers_locale(
        serve: Callable, new_page: Callable, size: str) -> None:
    server = serve()
    # An English browser: <input type="date"> would show mm/dd/yyyy here.
    page = new_page(**SIZES[size], locale="en-US")
    page.goto(server.url + "/")
    assert page.evaluate("navigator.language") == "en-US"
    page.get_by_role("button", name="Зарегистрироваться").click()
    form = page.locator("#register-form")
    birth = form.get_by_label("Дата рождения")
    expect(birth).to_have_attribute("placeholder", "ДД.ММ.ГГГГ")
    expect(birth).to_have_attribute("inputmode", "numeric")
    expect(birth).to_have_accessible_description("День, месяц и год через точку, например 20.05.2001.")

    fill_registration(form, "anna@example.com", "Анна")
    form.get_by_text("Кино").click()
    # The dots come by themselves as the digits are typed.
    birth.press_sequentially("31022001")
    expect(birth).to_have_value("31.02.2001")
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(birth).to_have_accessible_description(
        "День, месяц и год через точку, например 20.05.2001. Такой даты нет: проверьте день и месяц.")
    expect(birth).to_be_focused()
    assert not can_log_in(server, "anna@example.com"), "nothing was sent"
    birth.fill("")
    birth.press_sequentially("2005")
    expect(birth).to_have_value("20.05.")
    birth.press_sequentially("2001")
    expect(birth).to_have_value("20.05.2001")
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    status, tokens = server.request("POST", "/api/token/", {"email": "anna@example.com",
                                                            "password": PASSWORD})
    status, me = server.request("GET", "/auth/users/me/", token=tokens["access"])
    assert me["birth"] == "20-05-2001"

    # The profile shows it the same way, and takes the short form too.
    profile = page.locator("#profile-form")
    birth = profile.get_by_label("Дата рождения")
    expect(birth).to_have_value("20.05.2001")
    birth.fill("")
    birth.press_sequentially("1.5.2001")
    expect(birth).to_have_value("1.5.2001")
    profile.get_by_label("Имя").focus()
    expect(birth).to_have_value("01.05.2001")  # written out in full once left
    profile.get_by_role("button", name="Сохранить профиль").click()
    expect(profile.locator('[data-role="saved"]')).to_have_text("Профиль сохранён.")
    status, me = server.request("GET", "/v2/api/auth/users/me/", token=tokens["access"])
    assert me["birth"] == "2001-05-01"

    birth.fill("вчера")
    profile.get_by_role("button", name="Сохранить профиль").click()
    expect(profile.locator("#profile-birth-error")).to_have_text(
        "Введите дату как ДД.ММ.ГГГГ, например 20.05.2001.")
    expect(birth).to_be_focused()
    page.reload()
    expect(page.locator("#profile-form").get_by_label("Дата рождения")).to_have_value("01.05.2001")
    fits_width(page, width_of(size))
    assert page.external_requests == []


# --------------------------------------------------------------- interests

NO_HOBBIES = re.compile(r"^Вы не отметили ни одного интереса\. С ними проще подобрать пару")


@pytest.mark.parametrize("size", SIZES)
def test_registering_without_interests_is_asked_whether_to_pick_some(
        serve: Callable, new_page: Callable, size: str) -> None:
    server = serve()
    page = new_page(**SIZES[size])
    page.goto(server.url + "/")
    page.get_by_role("button", name="Зарегистрироваться").click()
    form = page.locator("#register-form")
    fill_registration(form, "anna@example.com", "Анна")
    form.get_by_role("button", name="Зарегистрироваться").click()

    # A gentle question, read out (focused) and on screen, before anything is sent.
    prompt = form.get_by_role("group", name=NO_HOBBIES)
    expect(prompt).to_be_visible()
    expect(prompt.locator(".prompt-text")).to_be_focused()
    expect(prompt).to_be_in_viewport(ratio=1)
    expect(form.get_by_role("button", name="Зарегистрироваться")).to_be_hidden()
    assert not can_log_in(server, "anna@example.com")
    fits_width(page, width_of(size))

    # "Выбрать интересы": to the list, ready to tick one with the keyboard.
    prompt.get_by_role("button", name="Выбрать интересы").click()
    expect(prompt).to_be_hidden()
    first = form.get_by_role("checkbox").first
    expect(first).to_be_focused()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    picked = int(first.get_attribute("value"))
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    status, tokens = server.request("POST", "/api/token/", {"email": "anna@example.com",
                                                            "password": PASSWORD})
    status, me = server.request("GET", "/auth/users/me/", token=tokens["access"])
    assert me["hobby"] == [picked]

    # Someone else goes on without: registered with none, asked only once
    # (a server error after that does not ask again).
    page.get_by_role("button", name="Выйти").click()
    page.get_by_role("button", name="Зарегистрироваться").click()
    fill_registration(form, "anna@example.com", "Борис")
    form.get_by_role("button", name="Зарегистрироваться").click()
    prompt.get_by_role("button", name="Продолжить без интересов").click()
    expect(form.locator("#reg-email-error")).to_have_text("Пользователь с таким email уже существует.")
    expect(prompt).to_be_hidden()
    form.get_by_label("Электронная почта").fill("boris@example.com")
    form.get_by_role("button", name="Зарегистрироваться").click()
    expect(page.get_by_role("heading", name="Привет, Борис!")).to_be_visible()
    status, tokens = server.request("POST", "/api/token/", {"email": "boris@example.com",
                                                            "password": PASSWORD})
    status, me = server.request("GET", "/auth/users/me/", token=tokens["access"])
    assert me["hobby"] == []
    fits_width(page, width_of(size))
    assert page.external_requests == []


# --------------------------------------------------------------- Telegram

BOT = "unimatch_test_bot"  # fake_telegram's bot
BOT_TOKEN = "424242:browser-test-token"
LINK_CODE = re.compile(r".*/v2/api/tg-link-code/$")
OUT_OF_REACH = ("Кнопка входа через Telegram не загрузилась: сайт telegram.org не открывается "
                "из вашей сети или браузера. Привяжите Telegram через бота — нужно только "
                "приложение Telegram.")
TANYA_CHAT = 777003
WIDGET_SRC = "https://telegram.org/js/telegram-widget.js?22"


def server_with_bot(serve: Callable, bot_api: BotApi) -> tuple[ServerProcess, dict]:
    """A server whose bot talks to the fake Bot API, and Tanya's account on it."""
    server = serve(extra_args=["--telegram-bot-username", BOT],
                   env={"TELEGRAM_BOT_TOKEN": BOT_TOKEN, "TELEGRAM_API_URL": bot_api.url})
    return server, server.register("tanya@example.com", PASSWORD, first_name="Таня")


@pytest.mark.parametrize("size", SIZES)
def test_without_the_widget_telegram_is_linked_through_the_bots_deep_link(
        serve: Callable, new_page: Callable, bot_api: BotApi, size: str) -> None:
    server, tokens = server_with_bot(serve, bot_api)
    # The widget's script is refused, as every request leaving loopback is here.
    page = logged_in_page(new_page, server, size, "tanya@example.com", "Таня")
    section = page.locator("#telegram-section")
    expect(section.locator('[data-role="tg-status"]')).to_have_text("Telegram не привязан.")
    expect(section.locator('[data-role="tg-unreachable"]')).to_have_text(OUT_OF_REACH)
    assert any(url.startswith("https://telegram.org/") for url in page.external_requests)
    fits_width(page, width_of(size))

    # The server's one-time code, as the bot's t.me link and as a command.
    with page.expect_response(LINK_CODE) as answer:
        section.get_by_role("button", name="Привязать через бота").click()
    assert answer.value.status == 201
    code, expires_at = answer.value.json()["code"], answer.value.json()["expires_at"]
    link = section.get_by_role("link", name="Открыть бота в Telegram")
    expect(link).to_have_attribute("href", f"https://t.me/{BOT}?start={code}")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_be_focused()
    expect(section.locator('[data-role="tg-link-note"]')).to_have_text(
        "Откройте ссылку и нажмите в боте «Запустить» (Start). Ссылка одноразовая и действует "
        f"до {expires_at[11:16]}. Не открывается — отправьте боту команду /start {code}")
    fits_width(page, width_of(size))
    check = section.get_by_role("button", name="Я нажал «Запустить» — проверить")
    check.click()
    message = section.locator('[data-role="tg-message"]')
    expect(message).to_have_text("Пока не привязан: откройте ссылку и нажмите в боте «Запустить».")

    # In Telegram the link sends the bot /start with the code; back on the
    # page, the check finds the chat linked.
    reply = bot_api.reply(TANYA_CHAT, f"/start {code}")
    assert reply.text.startswith("Готово! Этот чат привязан к аккаунту"), reply.text
    check.click()
    expect(message).to_have_text("Готово: Telegram привязан.")
    expect(section.locator('[data-role="tg-status"]')).to_have_text(
        "Telegram привязан: сообщение о новой паре придёт и туда.")
    expect(section.locator('[data-role="tg-deep-link"]')).to_be_hidden()
    status, me = server.request("GET", "/v2/api/auth/users/me/", token=tokens["access"])
    assert me["chat_id"] == str(TANYA_CHAT)


@pytest.mark.parametrize("size", SIZES)
def test_beside_the_widget_a_button_links_telegram_through_the_bot(
        serve: Callable, new_page: Callable, bot_api: BotApi, size: str) -> None:
    server, tokens = server_with_bot(serve, bot_api)
    page = new_page(**SIZES[size])
    # Telegram's widget loads (an empty stand-in: the test reaches no internet).
    page.route(WIDGET_SRC, lambda route: route.fulfill(status=200, content_type="text/javascript",
                                                       body=""))
    page.goto(server.url + "/")
    log_in(page, "tanya@example.com", PASSWORD)
    section = page.locator("#telegram-section")
    expect(section.locator('[data-role="tg-status"]')).to_have_text("Telegram не привязан.")
    expect(section.locator(f'script[data-telegram-login="{BOT}"]')).to_be_attached()
    # The button is there beside it, with no word about an unreachable widget.
    button = section.get_by_role("button", name="Привязать через бота")
    expect(button).to_be_visible()
    expect(section.locator('[data-role="tg-bot-offer"]')).to_have_text(
        "Или привяжите через бота — нужно только приложение Telegram.")
    expect(section.locator('[data-role="tg-unreachable"]')).to_be_hidden()
    fits_width(page, width_of(size))

    with page.expect_response(LINK_CODE) as answer:
        button.click()
    code, expires_at = answer.value.json()["code"], answer.value.json()["expires_at"]
    link = section.get_by_role("link", name="Открыть бота в Telegram")
    expect(link).to_have_attribute("href", f"https://t.me/{BOT}?start={code}")
    # When the code runs out, in the service's time, as the server said.
    expect(section.locator('[data-role="tg-link-note"]')).to_contain_text(
        f"Ссылка одноразовая и действует до {expires_at[11:16]}.")
    fits_width(page, width_of(size))

    # The link's code, sent as Telegram sends it, links this account; back on
    # the page (the window gets the focus again) the card says so by itself.
    reply = bot_api.reply(TANYA_CHAT, f"/start {code}")
    assert reply.text.startswith("Готово! Этот чат привязан к аккаунту"), reply.text
    status, me = server.request("GET", "/v2/api/auth/users/me/", token=tokens["access"])
    assert me["chat_id"] == str(TANYA_CHAT)
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(section.locator('[data-role="tg-status"]')).to_have_text(
        "Telegram привязан: сообщение о новой паре придёт и туда.")
    expect(section.locator('[data-role="tg-message"]')).to_have_text("Готово: Telegram привязан.")
    expect(section.locator('[data-role="tg-deep-link"]')).to_be_hidden()
    assert [url for url in page.external_requests if not url.startswith(WIDGET_SRC)] == []


def test_a_link_the_server_cannot_give_is_said_in_russian(serve: Callable,
                                                          new_page: Callable) -> None:
    # A bot's name for the widget, but no token: no bot to link through.
    server = serve(extra_args=["--telegram-bot-username", BOT])
    server.register("tanya@example.com", PASSWORD, first_name="Таня")
    page = logged_in_page(new_page, server, "desktop", "tanya@example.com", "Таня")
    section = page.locator("#telegram-section")
    with page.expect_response(LINK_CODE) as answer:
        section.get_by_role("button", name="Привязать через бота").click()
    assert answer.value.status == 503
    expect(section.locator('[data-role="tg-message"]')).to_have_text(
        "Бот Telegram на этом сервере не настроен.")
    expect(section.locator('[data-role="tg-link"]')).to_be_hidden()


# --------------------------------------------------------------- the API reference

# Every in-page link whose target is not on the page.
DEAD_ANCHORS = """() => [...document.querySelectorAll('a[href^="#"]')]
    .filter((a) => !document.getElementById(decodeURIComponent(a.hash.slice(1))))
    .map((a) => a.getAttribute("href"))"""


@pytest.mark.parametrize("size", SIZES)
def test_the_footer_links_a_readable_api_reference(serve: Callable, new_page: Callable,
                                                   size: str) -> None:
    server = serve()
    page = new_page(**SIZES[size])
    page.goto(server.url + "/")
    with page.expect_response(server.url + "/docs/api/") as answer:
        page.locator("footer").get_by_role("link", name="Справка по API").click()
    headers = answer.value.headers
    assert answer.value.status == 200
    assert headers["content-type"] == "text/html; charset=UTF-8", "a page to read, not a download"
    # The page's policy, with no script allowed at all (it runs none).
    policy = {name: sources for name, *sources in
              (part.split() for part in headers["content-security-policy"].split(";"))}
    assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'none'"]
    assert policy["style-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"

    expect(page.get_by_role("heading", name="UniMatch API reference", level=1)).to_be_visible()
    expect(page).to_have_title("Справка по API — UniMatch")
    expect(page.locator("script")).to_have_count(0)
    # Styled by the site's stylesheet: its page colour, its top bar.
    expect(page.locator("html")).to_have_css("background-color", "rgb(243, 242, 250)")
    expect(page.locator(".topbar")).to_have_css("background-color", "rgb(55, 48, 163)")
    # Markdown made into HTML: tables and code blocks, raw text nowhere.
    article = page.locator("article.doc")
    assert article.locator("table").count() > 10 and article.locator("pre code").count() > 10
    expect(article).not_to_contain_text("| method | path |")
    expect(article).not_to_contain_text("```")

    # The contents and every cross-reference lead to a heading on the page.
    assert page.evaluate("document.querySelectorAll('a[href^=\"#\"]').length") > 50
    assert page.evaluate(DEAD_ANCHORS) == []
    page.locator("article").get_by_role("link", name="Errors", exact=True).first.click()  # contents
    expect(page.get_by_role("heading", name="3. Errors")).to_be_in_viewport()
    assert page.evaluate("location.hash") == "#3-errors"
    # The machine-readable file is a link away, where the server serves it.
    for link in (page.get_by_role("link", name="OpenAPI (YAML)"),
                 article.get_by_role("link", name="openapi.yaml")):
        expect(link).to_have_attribute("href", "/api/schema/")
    # Wide tables scroll within themselves; the page never sideways.
    fits_width(page, width_of(size))
    page.get_by_role("link", name="На главную").first.click()
    expect(page.get_by_role("heading", name="До следующего раунда")).to_be_visible()
    assert page.external_requests == []


# --------------------------------------------------------------- the pause

SERVICE_ZONE = dt.timezone(dt.timedelta(hours=5))  # Asia/Yekaterinburg, the pages' zone too


@pytest.mark.parametrize("size", SIZES)
def test_a_pause_of_one_two_or_four_weeks_says_when_it_ends(serve: Callable, new_page: Callable,
                                                            size: str) -> None:
    server = serve()
    tokens = server.register("anna@example.com", PASSWORD, first_name="Анна")
    page = logged_in_page(new_page, server, size, "anna@example.com", "Анна")
    form = page.locator("#participation-form")
    offer = form.get_by_role("group", name="Нужен перерыв? Пауза на")
    expect(offer.get_by_role("button")).to_have_text(["1 неделю", "2 недели", "4 недели"])
    until = form.locator('[data-role="pause-until"]')
    back = form.get_by_role("button", name="Вернуться")
    expect(until).to_be_hidden()
    expect(back).to_be_hidden()
    fits_width(page, width_of(size))

    def paused_until() -> str | None:
        status, me = server.request("GET", "/v2/api/auth/users/me/", token=tokens["access"])
        assert status == 200
        return me["paused_until"]

    today = dt.datetime.now(SERVICE_ZONE).date()
    for label, weeks in (("2 недели", 2), ("1 неделю", 1), ("4 недели", 4)):
        offer.get_by_role("button", name=label).click()
        end = today + dt.timedelta(weeks=weeks)
        expect(until).to_have_text(f"На паузе до {end:%d.%m.%Y}")
        expect(until).to_be_focused()
        expect(offer).to_be_hidden()
        expect(form.locator('[data-role="saved"]')).to_have_text(f"Пауза на {label}.")
        assert paused_until() == end.isoformat()
        fits_width(page, width_of(size))
        if weeks == 2:  # it is the server's: a reload shows the same
            page.reload()
            expect(until).to_have_text(f"На паузе до {end:%d.%m.%Y}")
        back.click()
        expect(offer).to_be_visible()
        expect(until).to_be_hidden()
        expect(form.locator('[data-role="saved"]')).to_have_text(
            "Пауза снята: вы участвуете в следующем раунде.")
        assert paused_until() is None

    # Out of the rounds altogether (the switch), a pause has nothing to add.
    form.get_by_role("switch", name="Участвовать в еженедельном подборе пар").click()
    expect(form.locator('[data-role="saved"]')).to_have_text(
        "Вы не участвуете в раундах, пока не включите снова.")
    expect(offer).to_be_hidden()
    assert page.external_requests == []
