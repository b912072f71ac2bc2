"""What only a real browser shows: layout at phone width, the original-text toggle, focus."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def stream_with_translation(stream_a, source):
    entry = factories.EntryFactory(
        stream=stream_a,
        title="Amnesty 'Unmasks' Russian Claims That It's Not Killing Civilians In Syria",
        text="<p>" + "Averyveryverylongwordthatmustwrap" * 6 + " and more text.</p>",
        quotes=[source],
        bylines=["James Miller"],
    )
    quote = entry.blocks.get(kind="quote")
    quote.original = "<p>Российские авиаудары унесли жизни мирных жителей.</p>"
    quote.original_language = "ru"
    quote.save()
    return stream_a


@pytest.mark.django_db(transaction=True)
def test_stream_page_fits_a_phone_without_sideways_scrolling(
    live_server, phone, stream_with_translation
):
    phone.goto(live_server.url + stream_with_translation.get_absolute_url())
    assert phone.locator("h1").inner_text() == stream_with_translation.title
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


@pytest.mark.django_db(transaction=True)
def test_original_text_opens_from_its_toggle(live_server, desktop, stream_with_translation):
    desktop.goto(live_server.url + stream_with_translation.get_absolute_url())
    original = desktop.locator("blockquote[lang=ru]")
    assert not original.is_visible()
    desktop.get_by_text("Original (Russian)").click()
    assert original.is_visible()
    assert "мирных жителей" in original.inner_text()


@pytest.mark.django_db(transaction=True)
def test_skip_link_appears_on_focus_and_moves_to_the_content(
    live_server, desktop, stream_with_translation
):
    desktop.goto(live_server.url + stream_with_translation.get_absolute_url())
    desktop.keyboard.press("Tab")
    skip = desktop.get_by_role("link", name="Skip to content")
    assert skip.is_visible()
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("document.activeElement.id") == "main"
