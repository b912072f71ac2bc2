"""Editors publish from the desk and readers' open pages show it; writers submit for review
and an editor publishes from the queue."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.journeys.conftest import EDITOR, WRITER
from tests.journeys.people import Person

DUMA = "/streams/duma-budget-debate-live/"
DUMA_TITLE = "The Duma Debates the Budget: Live"
# The poll interval (5 s), the per-process memo (1 s) and a margin.
LIVE_TIMEOUT_MS = 20_000


def _reader_watching_the_duma(people) -> Person:
    reader = people("reader", phone=True)
    reader.open(DUMA)
    expect(reader.page.locator("#entries article").first).to_be_visible()
    return reader


def _sees_arrive(reader: Person, title: str) -> None:
    """New entries wait behind a button for anonymous readers, so the page never jumps."""
    button = reader.page.get_by_role("button", name="Show 1 new entry")
    expect(button).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    button.click()
    expect(reader.page.locator("#entries article").first).to_contain_text(title)


def _open_the_duma_desk(person: Person) -> None:
    page = person.open("/admin/")
    desks = page.get_by_role("row").filter(has_text=DUMA_TITLE)
    desks.get_by_role("link", name="Open desk").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text(DUMA_TITLE)


def test_an_editor_publishes_from_the_desk_quoting_a_new_source_and_readers_see_it(
    site, people, back_office_people
):
    reader = _reader_watching_the_duma(people)

    editor = people("editor")
    editor.sign_in(EDITOR)
    _open_the_duma_desk(editor)
    page = editor.page
    # The words go straight into the composer; a quote by shortcut, its source made in place.
    expect(page.locator("textarea, [contenteditable]").first).to_be_focused()
    page.keyboard.type("Novaya Gazeta reports on the defence line:")
    page.keyboard.press("Control+Shift+9")
    page.keyboard.type("Novaya Gazeta Europe")
    expect(page.get_by_role("option", name="Create source “Novaya Gazeta Europe”")).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.type("Defence spending grows by a third, again.")
    pressed = time.monotonic()
    page.keyboard.press("Control+Enter")
    expect(page.locator("[data-status-line]")).to_have_text("The entry is published.")
    expect(page.locator(".desk-section--stream article").first).to_contain_text(
        "Defence spending grows by a third, again."
    )
    editor.assert_no_problems()

    # The reader's page, open all along, takes the entry in; search finds it.
    expect(reader.page.get_by_role("button", name="Show 1 new entry")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    print(f"\npublish to a reader's open page: {time.monotonic() - pressed:.1f} s")
    _sees_arrive(reader, "Defence spending grows by a third, again.")
    article = reader.page.locator("#entries article").first
    expect(article.get_by_role("link", name="Novaya Gazeta Europe", exact=True)).to_have_attribute(
        "href", "/sources/novaya-gazeta-europe/"
    )
    reader.open("/search/?q=defence+spending")
    expect(reader.page.get_by_role("main")).to_contain_text("Defence spending grows by a third")
    reader.assert_no_problems()


def test_a_writer_submits_for_review_and_an_editor_publishes_from_the_queue(
    site, people, back_office_people
):
    reader = _reader_watching_the_duma(people)

    writer = people("writer", phone=True)
    writer.sign_in(WRITER)
    _open_the_duma_desk(writer)
    expect(writer.page.get_by_role("button", name="Publish")).to_have_count(0)
    writer.page.keyboard.type("Deputies asked where the pension fund transfers go.")
    writer.page.keyboard.press("Control+Enter")
    expect(writer.page.locator("[data-status-line]")).to_contain_text("submitted for review")
    writer.assert_no_problems()

    editor = people("editor")
    editor.sign_in(EDITOR)
    _open_the_duma_desk(editor)
    queue = editor.page.get_by_role("region", name="Waiting for review")
    submission = queue.locator("[data-desk-entry]").filter(has_text="pension fund transfers")
    submission.get_by_role("button", name="Publish").click()
    expect(editor.page.locator("[data-status-line]")).to_contain_text("is published")
    editor.assert_no_problems()

    _sees_arrive(reader, "Deputies asked where the pension fund transfers go.")
    reader.assert_no_problems()
