"""No page breaks its own Content-Security-Policy: every script, style and image it uses is
allowed, so nothing a reader or an editor needs is silently blocked by the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from streams import services
from tests import factories
from tests.browser.admin_pages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# Collects every violation from the first byte of each page, before its own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || location.pathname}:${event.lineNumber}`);
});
"""


def _violations(page: Page, live_server, path: str) -> list[str]:
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


@pytest.fixture
def recording(desktop):
    desktop.context.add_init_script(RECORD_VIOLATIONS)
    return desktop


@pytest.fixture
def content(editor):
    stream = editor.memberships.first().publisher.streams.get()
    source = factories.SourceFactory(name="Reuters", slug="reuters")
    entry = services.entry_create(
        stream=stream,
        title="Talks resume",
        blocks=[
            services.TextBlock("<p>Delegations met <strong>at noon</strong>.</p>"),
            services.QuoteBlock(source=source, body="<p>We are hopeful.</p>"),
        ],
    )
    return stream, entry


def test_reader_pages_break_no_policy(live_server, recording, content):
    stream, entry = content
    paths = [
        "/",
        f"/streams/{stream.slug}/",
        f"/streams/{stream.slug}/entries/{entry.pk}/",
        f"/streams/{stream.slug}/embed/",
        f"/publishers/{stream.publisher.slug}/",
        "/sources/reuters/",
        "/accounts/login/",
        "/invitations/request/",
        "/no-such-page/",
    ]

    found = {path: _violations(recording, live_server, path) for path in paths}

    assert found == {path: [] for path in paths}


def test_editor_pages_break_no_policy(live_server, recording, content, editor):
    _, entry = content
    sign_in(recording, live_server)
    paths = [
        "/settings/",
        "/accounts/2fa/totp/activate/",
        "/accounts/email/",
        "/admin/",
        "/admin/streams/entry/",
        "/admin/streams/entry/add/",
        f"/admin/streams/entry/{entry.pk}/change/",
        "/admin/streams/stream/",
        "/admin/streams/source/add/",
    ]

    found = {path: _violations(recording, live_server, path) for path in paths}

    assert found == {path: [] for path in paths}
