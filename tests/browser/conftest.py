"""Real Chromium through Playwright (tests/chromium.py), against the test server in this process."""

from __future__ import annotations

import os

import pytest
from allauth.account.models import EmailAddress

from streams.models import Membership
from tests import factories
from tests.chromium import chromium

# Playwright's sync API runs an event loop in this thread; the ORM calls that the
# tests make between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(playwright):
    with chromium(playwright) as browser:
        yield browser


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
