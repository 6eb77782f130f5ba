"""The page as a Russian-speaking student meets it (issue 13, section 6,
and the pause of section 1), in Debian's Chromium at a desktop's and a
phone's size: the header, the labels, the date fields, the prompt for
interests, the Telegram card, the API reference, and the pause. The
fixtures are in browser_support.py."""

from collections.abc import Callable

import pytest
from browser_support import PHONE, fits_width, log_in, wait_until_live
from harness import ServerProcess
from playwright.sync_api import Page, expect

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
