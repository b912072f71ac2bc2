"""People's journeys end to end, in real Chromium, against the site as production serves it.

The Django test client sends no ``Origin``, keeps ``Secure`` cookies over plain HTTP and runs no
Content-Security-Policy; a browser does all three. So these tests drive Debian's Chromium
against gunicorn with production settings over HTTPS on loopback (tests/journeys/site.py),
and each journey fails on any console error, CSP violation or HTTP error on its way.
"""

from __future__ import annotations

import os

import pytest

from tests.chromium import chromium, require_chromium
from tests.journeys.people import People, set_up_authenticator
from tests.journeys.site import production_site

# Playwright's sync API runs an event loop in this thread; nothing here touches the ORM.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/journeys/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.journey)


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    require_chromium()
    with production_site(tmp_path_factory.mktemp("site")) as site:
        yield site


@pytest.fixture(scope="session")
def site_browser(playwright, site):
    # Chromium trusts the site's throwaway certificate, by its key, and no other bad one.
    extra = [f"--ignore-certificate-errors-spki-list={site.cert_spki}"]
    with chromium(playwright, extra) as browser:
        yield browser


@pytest.fixture
def people(site_browser, site, request):
    made = People(site_browser, site)
    yield made
    made.close()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(f"--- the site's log, last lines ---\n{site.log_tail()}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


STAFF = "staff@pressimus.test"
EDITOR = "editor@pressimus.test"
WRITER = "writer@pressimus.test"


@pytest.fixture(scope="session")
def back_office_people(site, site_browser):
    """Staff, editor and writer, each with an authenticator app set up in the browser."""
    made = People(site_browser, site)
    try:
        for email in (STAFF, EDITOR, WRITER):
            site.authenticators[email] = set_up_authenticator(made(email), email)
    finally:
        made.close()
    return site.authenticators
