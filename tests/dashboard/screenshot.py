"""The README's screenshot (docs/dashboard.png): the dashboard of a demo user, as the browser
test drives it (Debian's Chromium, the admin login form).

    ./dev serve                      # the demo, on http://127.0.0.1:8000
    .venv/bin/python -m tests.dashboard.screenshot http://127.0.0.1:8000 docs/dashboard.png
"""

import argparse

from playwright.sync_api import sync_playwright

from tests.dashboard.chromium import ARGS, CHROMIUM, LAPTOP, PHONE, SECTIONS

DEMO_PASSWORD = "demo-password-2026"  # README: the demo users' password


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="e.g. http://127.0.0.1:8000")
    parser.add_argument("out", help="the PNG to write")
    parser.add_argument("--user", default="commune")
    parser.add_argument("--query", default="", help="e.g. ?year=2025")
    parser.add_argument("--phone", action="store_true")
    parser.add_argument("--full-page", action="store_true")
    a = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_context(locale="vi-VN", **(PHONE if a.phone else LAPTOP)).new_page()
        page.goto(f"{a.base}/dashboard/{a.query}")
        page.fill("#id_username", a.user)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_function(
            "n => document.querySelectorAll('section[data-loaded=true]').length === n",
            arg=len(SECTIONS),
            timeout=60_000,
        )
        page.screenshot(path=a.out, full_page=a.full_page)
        browser.close()


if __name__ == "__main__":
    main()
