"""Real Chromium through Playwright, pointed at Debian's browser.

Locally a missing browser skips these tests with a loud message; under CI=true
it fails the run, so a green CI always means the browser tests ran.
"""

from __future__ import annotations

import os
import shutil
import warnings

import pytest
from allauth.account.models import EmailAddress

from streams.models import Membership
from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls that the
# tests make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = (
            f"Chromium not found at {CHROMIUM}: install Debian's chromium to run browser tests"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        warnings.warn(message, stacklevel=1)
        pytest.skip(f"!!! BROWSER TESTS SKIPPED !!! {message}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def editor(db):
    """An editor of "The Interpreter" with a verified address: editor@example.org."""
    user = factories.UserFactory(email="editor@example.org", is_staff=True)
    factories.ProfileFactory(user=user, display_name="James Miller", handle="james-miller")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    publisher = factories.PublisherFactory(name="The Interpreter", slug="interpreter")
    Membership.objects.create(publisher=publisher, user=user, role=Membership.Role.EDITOR)
    factories.StreamFactory(publisher=publisher, title="Syria: December 23", slug="syria")
    return user
