"""An editor writes a whole entry in the admin, in Chromium, and readers see it on the stream."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from streams.models import Block, Entry, Source
from tests.browser.admin_pages import add_block, sign_in, type_into_editor

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "aleppo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 500), (40, 90, 160)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_editor_writes_text_quote_with_new_source_and_image_then_publishes(
    live_server, desktop, editor, photo
):
    page = desktop
    sign_in(page, live_server)
    page.goto(live_server.url + "/admin/streams/entry/add/")
    page.locator("#id_title").fill("Amnesty 'Unmasks' Russian Claims")

    add_block(page, 0, "text")
    type_into_editor(page, 0, "Amnesty reports:")

    add_block(page, 1, "quote")
    type_into_editor(page, 1, "Russian strikes killed civilians.")
    with page.expect_popup() as opened:
        page.locator("#add_id_blocks-1-source").click()
    popup = opened.value
    popup.locator("#id_name").fill("Amnesty International")
    popup.locator("#id_home_page").fill("https://www.amnesty.org/")
    popup.locator('input[name="_save"]').click()
    popup.wait_for_event("close")
    expect(page.locator("#id_blocks-1-source option:checked")).to_have_text("Amnesty International")
    page.locator("#id_blocks-1-cited_url").fill("https://www.amnesty.org/en/latest/")

    add_block(page, 2, "image")
    page.locator("#id_blocks-2-upload").set_input_files(str(photo))
    page.locator("#id_blocks-2-alt_text").fill("A street in Aleppo after an air strike")
    page.locator("#id_blocks-2-caption").fill("Aleppo, 23 December")

    page.get_by_role("button", name="Publish now").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    entry = Entry.objects.get()
    assert entry.status == Entry.Status.PUBLISHED
    assert [block.kind for block in entry.blocks.all()] == ["text", "quote", "image"]
    source = Source.objects.get(slug="amnesty-international")
    assert Block.objects.get(kind="quote").source == source

    page.goto(live_server.url + "/streams/syria/")
    article = page.locator(f"#entry-{entry.pk}")
    expect(article).to_contain_text("Amnesty 'Unmasks' Russian Claims")
    expect(article).to_contain_text("Amnesty reports:")
    expect(article).to_contain_text("Russian strikes killed civilians.")
    expect(article.locator('a[href="/sources/amnesty-international/"]')).to_be_visible()
    image = article.locator('img[alt="A street in Aleppo after an air strike"]')
    expect(image).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) > 0
