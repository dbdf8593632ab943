"""The dashboard in a real browser: Debian's Chromium driven by Playwright against the live
server. An officer of one commune logs in through the admin login form, opens the dashboard
and sees the API's figures for them (fetched here as the same user), and nothing of another
commune; on a laptop and on a phone. Screenshots go to var/screenshots/ (a CI artefact).

Without Chromium the test is skipped, with the reason; with REQUIRE_BROWSER=1 (.ci/run) it
fails instead, so CI cannot pass without having run it."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import translation

from .chromium import ARGS, CHROMIUM, LAPTOP, PHONE, SECTIONS
from .conftest import PASSWORD

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
YEAR = 2026  # of the known data set (conftest.py)
ND07 = "VN-ND07-2021"


def missing(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"{reason} (apt-get install chromium; .ci/run installs it)")


@pytest.fixture
def browser(monkeypatch):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing(f"no Chromium at {CHROMIUM}")
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous ones (Django refuses them while a loop runs unless told otherwise).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # The test's own queries ran beside Playwright's loop on a connection of their
            # own: close it, or the test database cannot be dropped at the end of the run.
            connections.close_all()


# ---- the figures as an officer reads them: formatted here, independently of the page ----
def grouped(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def shown(value, kind: str, key: str = "") -> str:
    if value is None or value == "":
        return "—"
    if key == "year":
        return str(value)
    if kind == "money":
        return f"{grouped(int(value))} ₫"
    if kind == "integer":
        return grouped(int(value))
    if kind == "rate":
        return f"{float(value) * 100:.1f}".replace(".", ",") + " %"
    if kind == "date":
        y, m, d = str(value)[:10].split("-")
        return f"{d}/{m}/{y}"
    if kind == "decimal":
        whole, _, frac = str(value).partition(".")
        return grouped(int(whole)) + ("," + frac if frac else "")
    return str(value)


BUDGET_COLUMNS = [
    ("key", "text"),
    ("allocated", "money"),
    ("committed", "money"),
    ("disbursed", "money"),
    ("available", "money"),
]


def expected_rows(answer, names: dict[str, str], keys: list[str]) -> list[tuple[str, ...]]:
    """The API's rows as the dashboard must show them, in the columns it shows (`keys`)."""
    if isinstance(answer, list):  # budget-execution: an array of rows keyed by commune code
        province = "Toàn tỉnh"  # a province's own allocations
        return [
            (
                r.get("name")
                or names.get(r["key"], province if r["key"].startswith("province") else r["key"]),
                *(shown(r[k], t) for k, t in BUDGET_COLUMNS[1:]),
            )
            for r in answer
        ]
    kind = {c["key"]: c["type"] for c in answer["columns"]}
    assert set(keys) <= set(kind), keys
    return [tuple(shown(r.get(k), kind[k], k) for k in keys) for r in answer["rows"]]


def page_tables(page) -> dict[str, dict]:
    return page.evaluate(
        """ids => Object.fromEntries(ids.map(id => {
            const s = document.getElementById(id);
            const t = s.querySelector('table');
            if (!t) return [id, {message: s.querySelector('.table-wrap').innerText}];
            return [id, {
                source: t.dataset.source,
                headers: [...t.querySelectorAll('thead th')].map(th => th.dataset.col),
                rows: [...t.querySelectorAll('tbody tr')].map(
                    tr => [...tr.querySelectorAll('td')].map(td => td.textContent)),
            }];
        }))""",
        SECTIONS,
    )


def column(table: dict, key: str) -> list[str]:
    i = table["headers"].index(key)
    return [row[i] for row in table["rows"]]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/dashboard/?year={YEAR}")  # the data set's year, whatever today is
    assert "/admin/login/" in page.url  # not signed in: the admin's login form
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/dashboard/?year={YEAR}")


def check_dashboard(page, api: Client, known) -> None:
    page.wait_for_function(
        "n => document.querySelectorAll('section[data-loaded=true]').length === n",
        arg=len(SECTIONS),
    )
    assert page.locator("h1").inner_text() == "Bảng điều khiển giảm nghèo"
    tables = page_tables(page)
    for section, table in tables.items():
        assert "source" in table, f"{section}: {table}"
        # (The reports activate the request's language in the calling thread: keep it here.)
        with translation.override("vi"):
            answer = api.get(table["source"], HTTP_ACCEPT_LANGUAGE="vi")
        assert answer.status_code == 200, (section, table["source"], answer.content[:300])
        expected = expected_rows(
            answer.json(), {known.ward.code: known.ward.name}, table["headers"]
        )
        assert table["rows"], f"{section} shows no rows"
        if section == "target-gaps":  # the largest gaps, a part of the API's rows
            assert set(map(tuple, table["rows"])) <= set(expected), section
        else:
            assert [tuple(r) for r in table["rows"]] == expected, section
    # What the data set makes obvious (conftest.known): 4 households in the ward, 1 poor
    # since 2025 and 1 more since 2026.
    by_commune = tables["rates-by-commune"]
    assert column(by_commune, "households") == ["4"]
    assert column(by_commune, f"poor_rate__{ND07}") == ["50,0 %"]
    over_time = tables["rates-over-time"]
    years = column(over_time, "year")
    rates = dict(zip(years, column(over_time, f"poor_rate__{ND07}"), strict=True))
    assert (rates["2024"], rates["2025"], rates["2026"]) == ("0,0 %", "25,0 %", "50,0 %")
    budget = tables["budget-execution"]["rows"]
    assert [known.ward.name, "206.100.672 ₫"] == budget[0][:2]
    text = page.locator("body").inner_text()
    for outside in (known.other.code, known.other.name, "987.654.321"):
        assert outside not in text, f"another commune's data on the page: {outside}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_officer_sees_the_apis_figures_for_their_commune_only(browser, live_server, known):
    api = Client()
    api.force_login(known.officer)
    base = live_server.url

    laptop = browser.new_context(locale="vi-VN", **LAPTOP)
    page = laptop.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    log_in(page, base, known.officer.username)
    check_dashboard(page, api, known)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-laptop.png"), full_page=True)
    assert all(u.startswith(base) for u in requests), "every request stays on the app"
    laptop.close()

    phone = browser.new_context(locale="vi-VN", **PHONE)
    page = phone.new_page()
    log_in(page, base, known.officer.username)
    check_dashboard(page, api, known)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    page.screenshot(path=str(SCREENSHOTS / "dashboard-phone.png"), full_page=True)

    # The standard filter: one standard's columns only, still the API's figures.
    page.select_option("#filter-standard", ND07)
    page.click(".filters button[type=submit]")
    page.wait_for_url(f"**/dashboard/?*standard={ND07}*")
    check_dashboard(page, api, known)
    headers = page_tables(page)["rates-by-commune"]["headers"]
    assert f"poor_rate__{ND07}" in headers
    assert all(h.endswith(ND07) for h in headers if "__" in h), headers
    phone.close()
