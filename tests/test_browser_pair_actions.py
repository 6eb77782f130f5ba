"""What a student does about a pair on the page (issue 13, sections 2 and
3), in Debian's Chromium at a desktop's and a phone's size, through the
real server and store: "don't match me with this person again" on a past
pair, undone from the block list; "did you meet?" on the current pair.
Each step is checked where it counts, in the server's answers, besides
what the page shows. The fixtures are in browser_support.py."""

from collections.abc import Callable

import pytest
from browser_support import PHONE, fits_width, log_in
from harness import ServerProcess
from playwright.sync_api import Page, expect

# The page is what these check; the store under it is proven by the other
# tests on every engine.
pytestmark = pytest.mark.first_lane

PASSWORD = "Весенний-ветер-42"
SIZES = {"desktop": {"viewport": {"width": 1280, "height": 800}}, "phone": PHONE}
PEOPLE = (("anna@example.com", "Анна", "Ильина"), ("boris@example.com", "Борис", "Орлов"),
          ("vera@example.com", "Вера", "Панова"), ("gleb@example.com", "Глеб", "Рябов"))


def two_rounds(server: ServerProcess) -> tuple[str, list[dict]]:
    """Four students, two rounds: Anna's access token and her pairs (v1),
    the current one first, then the one from the first round."""
    tokens = {email: server.register(email, PASSWORD, first_name=first, last_name=last)
              for email, first, last in PEOPLE}
    server.run_round()
    server.run_round()
    access = tokens["anna@example.com"]["access"]
    status, pairs = server.request("GET", "/users/api/pairs/", token=access)
    assert status == 200 and len(pairs) == 2, pairs
    assert pairs[0]["round"] > pairs[1]["round"]
    return access, pairs


def anna_on(new_page: Callable[..., Page], server: ServerProcess, size: str) -> Page:
    page = new_page(**SIZES[size])
    page.goto(server.url + "/")
    log_in(page, "anna@example.com", PASSWORD)
    expect(page.get_by_role("heading", name="Привет, Анна!")).to_be_visible()
    return page


def full_name(person: dict) -> str:
    return f"{person['first_name']} {person['last_name']}"


# --------------------------------------------------------------- the block list

@pytest.mark.parametrize("size", SIZES)
def test_a_past_partner_is_blocked_from_the_history_and_let_back_from_the_block_list(
        serve: Callable, new_page: Callable, size: str) -> None:
    server = serve()
    access, (current, past) = two_rounds(server)
    partner = past["partner"]

    def blocked() -> list[int]:
        status, items = server.request("GET", "/users/api/blocks/", token=access)
        assert status == 200
        return [item["id"] for item in items]

    page = anna_on(new_page, server, size)
    section = page.locator("#blocks-section")
    expect(section.locator('[data-role="blocks-empty"]')).to_be_visible()
    item = page.locator("#history .history-item")
    expect(item).to_have_count(1)
    expect(item.locator(".history-name")).to_have_text(full_name(partner))
    # The current pair is not offered: only someone already met.
    expect(page.locator("#current-match").get_by_role(
        "button", name="Больше не подбирать с этим человеком")).to_have_count(0)

    # Asked once more in place (no browser dialog); "Отмена" changes nothing.
    item.get_by_role("button", name="Больше не подбирать с этим человеком").click()
    question = f"Больше не ставить вас в пару с {full_name(partner)}?"
    confirm = item.get_by_role("group", name=question)
    expect(confirm).to_be_visible()
    expect(confirm.locator(".block-question")).to_be_focused()
    fits_width(page, SIZES[size]["viewport"]["width"])
    confirm.get_by_role("button", name="Отмена").click()
    expect(confirm).to_have_count(0)
    expect(item.get_by_role("button", name="Больше не подбирать с этим человеком")).to_be_focused()
    assert blocked() == []

    item.get_by_role("button", name="Больше не подбирать с этим человеком").click()
    item.get_by_role("group", name=question).get_by_role("button", name="Да, не подбирать").click()
    expect(item.locator(".history-blocked")).to_have_text("Больше не подбираем вас в пару")
    expect(item.locator(".history-blocked")).to_be_focused()
    expect(section.locator('[data-role="blocks-message"]')).to_have_text(
        f"Больше не подбираем вас в пару с {full_name(partner)}.")
    expect(section.locator(".blocks-name")).to_have_text([full_name(partner)])
    expect(section.locator('[data-role="blocks-empty"]')).to_be_hidden()
    assert blocked() == [partner["id"]]
    fits_width(page, SIZES[size]["viewport"]["width"])

    # It is the server's: a reload shows the same.
    page.reload()
    expect(section.locator(".blocks-name")).to_have_text([full_name(partner)])
    expect(item.locator(".history-blocked")).to_be_visible()
    expect(item.get_by_role("button", name="Больше не подбирать с этим человеком")).to_have_count(0)

    # "Вернуть" lifts it (DELETE), and the history offers the block again.
    section.get_by_role("button", name=f"Вернуть {full_name(partner)}").click()
    expect(section.locator('[data-role="blocks-message"]')).to_have_text(
        f"{full_name(partner)} снова может оказаться вашей парой.")
    expect(section.locator(".blocks-item")).to_have_count(0)
    expect(section.locator('[data-role="blocks-empty"]')).to_be_visible()
    expect(item.get_by_role("button", name="Больше не подбирать с этим человеком")).to_be_visible()
    assert blocked() == []
    fits_width(page, SIZES[size]["viewport"]["width"])
    assert page.external_requests == []


# --------------------------------------------------------------- did you meet?

@pytest.mark.parametrize("size", SIZES)
def test_did_you_meet_is_answered_on_the_current_pair_and_can_be_changed(
        serve: Callable, new_page: Callable, size: str) -> None:
    server = serve()
    access, (current, past) = two_rounds(server)

    def stored() -> dict | None:
        status, pairs = server.request("GET", "/users/api/pairs/", token=access)
        assert status == 200
        assert {pair["id"]: pair["my_feedback"] for pair in pairs}[past["id"]] is None
        return {pair["id"]: pair["my_feedback"] for pair in pairs}[current["id"]]

    page = anna_on(new_page, server, size)
    card = page.locator(f'#current-match .match[data-pair-id="{current["id"]}"]')
    expect(card.locator(".match-name")).to_have_text(full_name(current["partner"]))
    asked = card.get_by_role("group", name="Вы встретились?")
    met = asked.get_by_role("button", name="Мы встретились")
    missed = asked.get_by_role("button", name="Не получилось")
    answer = card.locator('[data-role="answer"]')
    rating = card.get_by_role("group", name="Как прошло? Оценка от 1 до 5:")
    expect(met).to_have_attribute("aria-pressed", "false")
    expect(answer).to_be_hidden()
    expect(rating).to_be_hidden()
    expect(page.locator("#history").get_by_role("group", name="Вы встретились?")).to_have_count(0)
    fits_width(page, SIZES[size]["viewport"]["width"])

    met.click()
    expect(answer).to_have_text("Ваш ответ: встретились.")
    expect(answer).to_be_focused()
    expect(met).to_have_attribute("aria-pressed", "true")
    assert stored() == {"met": True, "rating": None}

    # A rating, if the student wants to give one.
    expect(rating.get_by_role("button")).to_have_text(["1", "2", "3", "4", "5"])
    rating.get_by_role("button", name="4").click()
    expect(answer).to_have_text("Ваш ответ: встретились, оценка 4 из 5.")
    expect(rating.get_by_role("button", name="4")).to_have_attribute("aria-pressed", "true")
    assert stored() == {"met": True, "rating": 4}
    # "Мы встретились" once more keeps the rating.
    met.click()
    expect(met).to_be_enabled()
    assert stored() == {"met": True, "rating": 4}
    fits_width(page, SIZES[size]["viewport"]["width"])

    # After a reload the card shows what the server holds.
    page.reload()
    expect(answer).to_have_text("Ваш ответ: встретились, оценка 4 из 5.")
    expect(met).to_have_attribute("aria-pressed", "true")

    # Changed: it did not happen after all.
    missed.click()
    expect(answer).to_have_text("Ваш ответ: не получилось.")
    expect(missed).to_have_attribute("aria-pressed", "true")
    expect(met).to_have_attribute("aria-pressed", "false")
    expect(rating).to_be_hidden()
    assert stored() == {"met": False, "rating": None}
    page.reload()
    expect(answer).to_have_text("Ваш ответ: не получилось.")
    fits_width(page, SIZES[size]["viewport"]["width"])
    assert page.external_requests == []
