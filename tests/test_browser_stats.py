"""The organisers' stats page (issue 13, section 4) in Debian's Chromium
at a desktop's and a phone's size: after two real rounds with "did you
meet?" answers, staff see the figures of ``admin-api/stats/`` as a table
and as a chart the page draws itself (inline SVG, one point per round);
a student sees a polite refusal and no figures, and the API refuses them
anyway. The fixtures are in browser_support.py."""

import re
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
STUDENTS = ("anna@example.com", "boris@example.com", "vera@example.com", "gleb@example.com")
STAFF = "staff@example.com"
HEADINGS = ["№", "Дата", "Участники", "Групп", "Троек", "Повторов", "С общим интересом",
            "Ответили", "Встретились", "Средняя оценка"]
# What a student reads instead of the figures (and its link back).
POLITE = re.compile(r"^Эта страница — для организаторов UniMatch, и у вашего аккаунта к ней нет "
                    r"доступа\. Ваша пара и история — на главной\. На главную страницу$")


def answer(server: ServerProcess, access: str, body: dict) -> None:
    """The student's "did you meet?" about their pair of the latest round."""
    status, pairs = server.request("GET", "/users/api/pairs/", token=access)
    assert status == 200
    status, item = server.request("POST", f"/users/api/pairs/{pairs[0]['id']}/feedback/",
                                  body, token=access)
    assert status == 200, item


def two_answered_rounds(server: ServerProcess) -> dict[str, str]:
    """Four students in two rounds (the staff member sits them out), with
    answers: round one, two of four answer, one met (rating 4); round two,
    one answers, met (rating 2). Everyone's access token by address."""
    access = {email: server.register(email, PASSWORD, first_name=email.split("@")[0].title())
              ["access"] for email in (*STUDENTS, STAFF)}
    assert server.cli("create-admin", STAFF).returncode == 0
    status, _ = server.request("PATCH", "/auth/users/me/", {"is_active_pair": False},
                               token=access[STAFF])
    assert status == 200
    server.run_round()
    answer(server, access["anna@example.com"], {"met": True, "rating": 4})
    answer(server, access["vera@example.com"], {"met": False})
    server.run_round()
    answer(server, access["gleb@example.com"], {"met": True, "rating": 2})
    return access


def signed_in(new_page: Callable[..., Page], server: ServerProcess, size: str, email: str) -> Page:
    """Logged in on the main page, then at /stats/ (the same login)."""
    page = new_page(**SIZES[size])
    page.goto(server.url + "/")
    log_in(page, email, PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("^Привет"))).to_be_visible()
    page.locator("footer").get_by_role("link", name="Статистика для организаторов").click()
    expect(page).to_have_url(server.url + "/stats/")
    expect(page.get_by_role("heading", name="Статистика раундов", level=1)).to_be_visible()
    return page


def polyline_points(page: Page, series: str) -> list[tuple[float, float]]:
    raw = page.locator(f'svg [data-series="{series}"] polyline').get_attribute("points")
    return [tuple(float(n) for n in pair.split(",")) for pair in raw.split()]


@pytest.mark.parametrize("size", SIZES)
def test_staff_see_each_rounds_figures_as_a_table_and_a_chart(
        serve: Callable, new_page: Callable, size: str) -> None:
    server = serve()
    access = two_answered_rounds(server)
    status, rows = server.request("GET", "/admin-api/stats/", token=access[STAFF])
    assert status == 200 and [row["round"] for row in rows] == [2, 1]
    second, first = rows

    page = signed_in(new_page, server, size, STAFF)
    table = page.get_by_role("table", name="Статистика по раундам, новые сверху")
    expect(table.locator("thead th")).to_have_text(HEADINGS)
    expect(table.locator("tbody tr")).to_have_count(2)
    date = lambda row: "{2}.{1}.{0}".format(*row["created_at"].split("-"))  # noqa: E731
    expect(table.locator("tbody tr").nth(0).locator("th, td")).to_have_text(
        ["2", date(second), "4", "2", "0", "0", "0 %", "25 %", "100 %", "2"])
    expect(table.locator("tbody tr").nth(1).locator("th, td")).to_have_text(
        ["1", date(first), "4", "2", "0", "0", "0 %", "50 %", "50 %", "4"])
    expect(page.locator('[data-role="stats-status"]')).to_have_text("2 раунда.")

    # The chart: one point per round on each line, oldest on the left; both
    # rounds had 4 participants, and round 2's "met" (100 %) sits above
    # round 1's (50 %).
    chart = page.get_by_role("img", name=re.compile(r"^Участники и доля встретившихся по 2 раундам"))
    expect(chart).to_be_visible()
    assert chart.evaluate("el => el.namespaceURI") == "http://www.w3.org/2000/svg"
    participants = polyline_points(page, "participants")
    met = polyline_points(page, "met")
    assert len(participants) == 2 and len(met) == 2
    assert participants[0][0] < participants[1][0] and participants[0][1] == participants[1][1]
    assert [x for x, _ in met] == [x for x, _ in participants]
    assert met[1][1] < met[0][1]
    expect(page.locator('svg [data-series="participants"] circle title')).to_have_text(
        ["Раунд №1: 4 участника", "Раунд №2: 4 участника"])
    expect(page.locator('svg [data-series="met"] circle title')).to_have_text(
        ["Раунд №1: встретились 50 %", "Раунд №2: встретились 100 %"])
    # Drawn to the width there is, with no script from elsewhere.
    width = SIZES[size]["viewport"]["width"]
    assert chart.bounding_box()["width"] <= width
    fits_width(page, width)
    if size == "phone":
        # The table is wider than a phone: it scrolls within its frame.
        frame = page.locator(".table-scroll")
        assert frame.evaluate("el => el.scrollWidth > el.clientWidth")
        assert frame.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert page.external_requests == []


@pytest.mark.parametrize("size", SIZES)
def test_a_student_gets_a_polite_refusal_and_no_figures(
        serve: Callable, new_page: Callable, size: str) -> None:
    server = serve()
    access = two_answered_rounds(server)
    status, body = server.request("GET", "/admin-api/stats/", token=access["anna@example.com"])
    assert status == 403, body

    page = signed_in(new_page, server, size, "anna@example.com")
    expect(page.locator('[data-role="stats-status"]')).to_have_text(POLITE)
    expect(page.locator('[data-role="stats"]')).to_be_hidden()
    expect(page.locator("table tbody tr")).to_have_count(0)
    expect(page.locator("svg")).to_have_count(0)
    fits_width(page, SIZES[size]["viewport"]["width"])
    page.get_by_role("link", name="На главную страницу").click()
    expect(page.get_by_role("heading", name="Привет, Anna!")).to_be_visible()

    # Logged out, the page says where to log in.
    page.get_by_role("button", name="Выйти").click()
    page.goto(server.url + "/stats/")
    expect(page.locator('[data-role="stats-status"]')).to_have_text(
        "Войдите на главной странице под аккаунтом организатора, затем вернитесь сюда. Войти")
    expect(page.locator('[data-role="stats"]')).to_be_hidden()
    assert page.external_requests == []
