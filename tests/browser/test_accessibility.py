"""Every reader and account page passes axe-core's WCAG 2.2 AA rules on a phone and a desktop,
light and dark; the admin's entry, stream and source forms label every field.

axe-core is kept in tests/vendor/axe-core/ (see its README) and evaluated in each page once it
has loaded; the pages are those of tests/reader_pages.py, each seen by the person who gets it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.reader_pages import EDITOR, Page, Tour, seed_tour

pytestmark = pytest.mark.django_db(transaction=True)

AXE = (Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js").read_text()
WCAG_22_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}
# What leaves a field without a name a screen reader can say.
FIELD_NAMES = {
    "runOnly": {
        "type": "rule",
        "values": ["label", "select-name", "aria-input-field-name", "aria-toggle-field-name"],
    }
}
# The first form of the page sent with its fields emptied, past the browser's own checks.
SEND_EMPTY = """() => {
  const form = document.querySelector("main form[method=post]");
  const fields =
    "input:not([type]), input:is([type=text], [type=email], [type=password]), textarea";
  form.querySelectorAll(fields).forEach(field => { field.value = ""; });
  form.noValidate = true;
  form.requestSubmit();
}"""
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def tour(db) -> Tour:
    return seed_tour()


def _sign_in_as(context, client: Client, live_server) -> None:
    """The browser takes over the test client's session: signed in as that client is."""
    context.clear_cookies()
    # By domain and path: Chromium refuses a secure cookie given with an http:// address,
    # though it keeps one that localhost sets (a secure context).
    cookies = [
        {
            "name": name,
            "value": morsel.value,
            "domain": urlsplit(live_server.url).hostname,
            "path": "/",
            "secure": bool(morsel["secure"]),
            "httpOnly": bool(morsel["httponly"]),
        }
        for name, morsel in client.cookies.items()
        if morsel.value
    ]
    if cookies:
        context.add_cookies(cookies)


def _open(page, live_server, target: Page) -> None:
    url = live_server.url + target.path
    response = page.goto(url)
    assert response is not None and response.status == target.status, target.label
    if not target.redirects:
        assert page.url == url, f"{target.label} went on to {page.url}"
    if target.sent_empty is not None:
        with page.expect_navigation():
            page.evaluate(SEND_EMPTY)
    for selector in target.clicks:
        page.click(selector)
    if target.keys:
        page.keyboard.press(target.keys)
    # What is folded away is checked too: originals of quotes, the embed code. (The account
    # menu opens over the page, as menus do: it has a page of its own in the tour.)
    page.evaluate(
        "() => document.querySelectorAll('details:not([data-account-menu])')"
        ".forEach(details => { details.open = true; })"
    )


def _violations(page, options: dict) -> list[dict]:
    page.evaluate(AXE)
    results = page.evaluate(
        "options => axe.run(document, {...options, resultTypes: ['violations']})", options
    )
    return results["violations"]


def _readable(where: str, violations: list[dict]) -> list[str]:
    lines = []
    for violation in violations:
        lines.append(f"{where}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            target = " ".join(json.dumps(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}\n      {node['html'][:200]}\n      {summary[:400]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return lines


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", VIEWPORTS, ids=str)
def test_every_reader_and_account_page_meets_wcag_2_2_aa(
    browser, live_server, tour, viewport, theme
):
    context = browser.new_context(viewport=VIEWPORTS[viewport], color_scheme=theme)
    page = context.new_page()
    found: list[str] = []
    for visitor, pages in tour.by_visitor().items():
        _sign_in_as(context, tour.client(visitor), live_server)
        for target in pages:
            _open(page, live_server, target)
            found += _readable(f"{target.label} {viewport} {theme}", _violations(page, WCAG_22_AA))
    context.close()

    assert not found, "axe-core found WCAG 2.2 AA violations:\n" + "\n".join(found)


def test_the_admins_entry_stream_and_source_forms_name_every_field(browser, live_server, tour):
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    _sign_in_as(context, tour.client(EDITOR), live_server)
    found: list[str] = []
    for target in tour.admin_forms:
        _open(page, live_server, target)
        found += _readable(target.label, _violations(page, FIELD_NAMES))
    context.close()

    assert not found, "Fields without a name:\n" + "\n".join(found)
