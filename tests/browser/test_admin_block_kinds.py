"""Each block in the entry form shows only the fields of its kind, without losing input."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.admin_pages import add_block, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_block_fields_follow_the_chosen_kind(live_server, desktop, editor):
    sign_in(desktop, live_server)
    desktop.goto(live_server.url + "/admin/streams/entry/add/")
    block = desktop.locator("#blocks-0")
    quote_fields, image_fields = (
        block.locator(".block-quote-fields"),
        block.locator(".block-image-fields"),
    )
    expect(quote_fields).to_be_hidden()
    expect(image_fields).to_be_hidden()

    add_block(desktop, 0, "quote")
    expect(quote_fields).to_be_visible()
    expect(image_fields).to_be_hidden()
    block.locator("#id_blocks-0-cited_url").fill("https://www.amnesty.org/en/report")

    add_block(desktop, 0, "image")
    expect(image_fields).to_be_visible()
    expect(quote_fields).to_be_hidden()
    expect(block.locator(".field-body")).to_be_hidden()

    add_block(desktop, 0, "quote")
    expect(block.locator("#id_blocks-0-cited_url")).to_have_value(
        "https://www.amnesty.org/en/report"
    )

    add_block(desktop, 1, "text")
    expect(desktop.locator("#blocks-1 .block-quote-fields")).to_be_hidden()
    expect(desktop.locator("#blocks-1 .field-body")).to_be_visible()
