"""pytest plugin: a page in Debian's Chromium (never `playwright install`), and signing in through it."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def browser_viewport() -> dict:
    """A laptop screen; override in a test module for another size."""
    return {"width": 1366, "height": 768}


@pytest.fixture
def browser_page(browser_viewport):
    """A Chromium page. Skipped only when Chromium is missing outside CI."""
    if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # live_server + sync playwright share the thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport=browser_viewport)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def log_in(page, base_url: str, user, next_url: str = "/inbox/") -> None:
    """Sign in through sopdesk's sign-in page (LOGIN_URL); no admin access needed."""
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")
