"""The stream page's embed snippet: copied with one click (static/js/copy-snippet.js)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_copy_button_puts_the_embed_snippet_on_the_clipboard(live_server, browser):
    stream = factories.StreamFactory(title="Syria: December 23", slug="syria")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/streams/{stream.slug}/")
        page.get_by_text("Embed this stream").click()

        page.get_by_role("button", name="Copy code").click()

        expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.locator("#embed-code").input_value()
        assert copied.startswith(f'<iframe src="{live_server.url}/streams/syria/embed/"')
    finally:
        context.close()
