"""Fixtures for the inbox tests: a published SOP version, and role groups that survive transactional flushes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from procedures.roles import role_sync
from tests.reviews.holds import make_version


@pytest.fixture(autouse=True)
def roles(request):
    """Recreate the role groups the data migration made; a transactional test's flush removes them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction"))
    if marker or "db" in request.fixturenames or transactional:
        request.getfixturevalue("transactional_db" if transactional else "db")
        role_sync(group_model=Group, permission_model=Permission)


@pytest.fixture
def version(db):
    return make_version()


CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@pytest.fixture
def browser_page():
    """A Chromium page (Debian's chromium, no `playwright install`) on a laptop-sized window."""
    import os
    import shutil

    if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # live_server + sync playwright share the thread
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def log_in(page, base_url: str, user, next_url: str = "/inbox/") -> None:
    """Log in through sopdesk's sign-in page (LOGIN_URL); reviewers need no admin access."""
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")
