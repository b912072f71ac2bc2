"""The desk in Chromium: compose and publish from the keyboard, tend the stream, two people on
one entry, nothing lost to a closed tab; readers' open pages follow."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from streams import services
from streams.models import Entry, Membership, Source
from tests import factories
from tests.browser.admin_pages import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Each keyboard shortcut or click besides typing the words counts one.
ACTIONS_GOAL = 4


@pytest.fixture(autouse=True)
def _fast_polling(settings):
    settings.LIVE_POLL_INTERVAL_MS = 500


@pytest.fixture
def stream(editor):
    return editor.memberships.get().publisher.streams.get()


@pytest.fixture
def reader(browser, live_server, stream):
    """An anonymous reader with the stream open, new entries behind a button."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/streams/{stream.slug}/")
    page.wait_for_timeout(700)
    yield page
    context.close()


def _open_desk(page: Page, live_server) -> None:
    sign_in(page, live_server)
    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Open desk").first.click()
    page.wait_for_load_state()
    expect(page.locator("#desk-composer")).to_be_visible()


def _sees_arrive(reader: Page, text: str) -> None:
    reader.get_by_role("button", name="Show 1 new entry").click(timeout=10_000)
    expect(reader.locator("#entries article").first).to_contain_text(text)


def test_an_editor_publishes_a_quote_from_a_new_source_with_the_keyboard_in_few_actions(
    live_server, desktop, editor, stream, reader
):
    page = desktop
    _open_desk(page, live_server)
    actions: list[str] = []

    # The desk opens with the words going into the composer.
    expect(page.locator("textarea, [contenteditable]").first).to_be_focused()
    page.keyboard.type("Amnesty reports:")
    page.keyboard.press("Control+Shift+9")
    actions.append("Ctrl+Shift+9: a quote")
    page.keyboard.type("Amnesty International")
    expect(page.get_by_role("option", name="Create source “Amnesty International”")).to_be_visible()
    page.keyboard.press("Enter")
    actions.append("Enter: create the source")
    page.keyboard.type("Russian strikes killed civilians in Idlib.")
    page.keyboard.press("Control+Enter")
    actions.append("Ctrl+Enter: publish")

    expect(page.locator("[data-status-line]")).to_have_text("The entry is published.")
    print(f"\nactions besides typing the words: {len(actions)} (goal: at most {ACTIONS_GOAL})")
    assert len(actions) <= ACTIONS_GOAL
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.PUBLISHED
    assert entry.blocks.get(kind="quote").source == Source.objects.get(name="Amnesty International")
    # The composer is ready for the next entry, and the stream below shows this one.
    expect(page.locator("[contenteditable]").first).to_be_focused()
    expect(page.locator(".desk-section--stream .entry").first).to_contain_text("Idlib")
    _sees_arrive(reader, "Russian strikes killed civilians in Idlib.")


def test_edit_pin_correct_and_unpublish_from_the_desk_reach_a_readers_open_page(
    live_server, desktop, editor, stream, reader
):
    entry = services.entry_create(
        stream=stream, title="Talks resume", blocks=[services.TextBlock("<p>In Vienna.</p>")]
    )
    reader.reload()
    reader.wait_for_timeout(700)
    page = desktop
    _open_desk(page, live_server)
    row = page.locator(f'[data-desk-entry="{entry.pk}"]')

    row.get_by_role("button", name="Pin as key event").click()
    expect(page.locator("[data-status-line]")).to_contain_text("is a key event now")
    expect(reader.locator("#pinned-entries")).to_contain_text("Talks resume", timeout=10_000)

    page.locator(f'[data-desk-entry="{entry.pk}"]').get_by_role("link", name="Correct").click()
    expect(page.locator("#id_correction")).to_be_focused()
    page.keyboard.type("The talks are in Geneva, not Vienna.")
    editable = page.locator("[contenteditable]").first
    editable.fill("In Geneva.")
    page.keyboard.press("Control+Enter")
    expect(page.locator("[data-status-line]")).to_contain_text("is updated")
    article = reader.locator(f"#entry-{entry.pk}")
    expect(article).to_contain_text("In Geneva.", timeout=10_000)
    expect(article).to_contain_text("The talks are in Geneva, not Vienna.")

    page.locator(f'[data-desk-entry="{entry.pk}"]').get_by_role("button", name="Unpublish").click()
    expect(page.locator("[data-status-line]")).to_contain_text("back to draft")
    expect(reader.locator(f"#entry-{entry.pk}")).to_have_count(0, timeout=10_000)


def test_a_writers_submission_is_published_by_an_editor_from_the_queue(
    live_server, browser, desktop, editor, stream, reader
):
    writer = factories.UserFactory(email="writer@example.org", is_staff=True)
    factories.ProfileFactory(user=writer, display_name="Tom Ashworth")
    Membership.objects.create(publisher=stream.publisher, user=writer, role="writer")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=writer, email=writer.email, verified=True, primary=True)
    context = browser.new_context()
    writer_page = context.new_page()
    writer_page.goto(live_server.url + "/accounts/login/")
    writer_page.fill('input[name="login"]', writer.email)
    writer_page.fill('input[name="password"]', PASSWORD)
    writer_page.press('input[name="password"]', "Enter")
    writer_page.wait_for_load_state()
    writer_page.goto(live_server.url + f"/admin/streams/stream/{stream.pk}/desk/")
    expect(writer_page.get_by_role("button", name="Publish")).to_have_count(0)
    writer_page.locator("[contenteditable]").first.fill("Crowds gather outside the parliament.")
    writer_page.keyboard.press("Control+Enter")
    expect(writer_page.locator("[data-status-line]")).to_contain_text("submitted for review")
    context.close()

    page = desktop
    _open_desk(page, live_server)
    queue = page.get_by_role("region", name="Waiting for review")
    expect(queue).to_contain_text("Crowds gather outside the parliament.")
    queue.get_by_role("button", name="Publish").click()
    expect(page.locator("[data-status-line]")).to_contain_text("is published")
    _sees_arrive(reader, "Crowds gather outside the parliament.")


def test_two_people_editing_one_entry_the_later_save_is_refused_and_its_text_kept(
    live_server, browser, desktop, editor, stream
):
    colleague = factories.UserFactory(email="colleague@example.org", is_staff=True)
    factories.ProfileFactory(user=colleague, display_name="Maeve Gallagher")
    Membership.objects.create(publisher=stream.publisher, user=colleague, role="editor")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=colleague, email=colleague.email, verified=True, primary=True)
    entry = services.entry_create(
        stream=stream, title="Casualty figures", blocks=[services.TextBlock("<p>12 dead.</p>")]
    )
    url = f"{live_server.url}/admin/streams/stream/{stream.pk}/desk/?edit={entry.pk}"

    page = desktop
    sign_in(page, live_server)
    page.goto(url)
    other_context = browser.new_context()
    other = other_context.new_page()
    other.goto(live_server.url + "/accounts/login/")
    other.fill('input[name="login"]', colleague.email)
    other.fill('input[name="password"]', PASSWORD)
    other.press('input[name="password"]', "Enter")
    other.wait_for_load_state()
    other.goto(url)
    # Each sees that the other has it open.
    expect(page.locator("[data-presence]")).to_contain_text("Maeve Gallagher", timeout=20_000)

    other.locator("[contenteditable]").first.fill("14 dead, the ministry says.")
    other.keyboard.press("Control+Enter")
    expect(other.locator("[data-status-line]")).to_contain_text("is updated")
    other_context.close()

    page.locator("[contenteditable]").first.fill("13 dead, the hospital says.")
    page.keyboard.press("Control+Enter")

    conflict = page.locator(".desk-conflict")
    expect(conflict).to_contain_text("Maeve Gallagher changed this entry")
    expect(conflict).to_contain_text("14 dead, the ministry says.")
    expect(page.locator("[contenteditable]").first).to_have_text("13 dead, the hospital says.")
    entry.refresh_from_db()
    assert "14 dead" in entry.blocks.get().body
    # Having seen theirs, saving again on purpose replaces it.
    page.keyboard.press("Control+Enter")
    expect(page.locator("[data-status-line]")).to_contain_text("is updated")
    assert "13 dead" in entry.blocks.get().body


def test_what_is_being_written_comes_back_after_the_tab_is_closed(
    live_server, desktop, editor, stream
):
    page = desktop
    _open_desk(page, live_server)
    page.locator("[contenteditable]").first.click()
    page.keyboard.type("Half a sentence about the flood")
    page.keyboard.press("Control+Shift+9")
    page.keyboard.type("Met Office")
    page.keyboard.press("Escape")
    page.get_by_label("Title").fill("Flood warning")
    page.wait_for_timeout(800)

    page.reload()

    expect(page.locator(".desk-restored")).to_contain_text("Restored what you were writing")
    expect(page.locator("[contenteditable]").first).to_have_text("Half a sentence about the flood")
    expect(page.locator("[data-source-name]")).to_have_value("Met Office")
    expect(page.get_by_label("Title")).to_have_value("Flood warning")
    # Published, nothing is kept any more.
    page.locator("[data-source-name]").fill("")
    page.locator("[contenteditable]").nth(1).fill("")
    page.locator("[contenteditable]").first.click()
    page.keyboard.press("Control+Enter")
    expect(page.locator("[data-status-line]")).to_contain_text("is published")
    page.reload()
    expect(page.locator(".desk-restored")).to_have_count(0)


def test_the_desk_works_on_a_phone(live_server, phone, editor, stream):
    page = phone
    _open_desk(page, live_server)

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("[contenteditable]").first.fill("Filed from the riverbank.")
    page.get_by_role("button", name="Publish").first.click()

    expect(page.locator("[data-status-line]")).to_contain_text("is published")
    assert Entry.objects.get().status == Entry.Status.PUBLISHED


def test_an_empty_entry_and_a_quote_without_source_are_refused_beside_their_fields(
    live_server, desktop, editor, stream
):
    page = desktop
    _open_desk(page, live_server)

    page.locator("[contenteditable]").first.click()
    page.keyboard.press("Control+Enter")
    expect(page.locator(".desk-errors").first).to_contain_text("Write the entry first")

    page.keyboard.type("Reuters says:")
    page.keyboard.press("Control+Shift+9")
    page.keyboard.press("Escape")
    page.locator("[contenteditable]").nth(1).fill("The bridge is closed.")
    page.keyboard.press("Control+Enter")
    errors = page.locator(".desk-errors")
    expect(errors).to_contain_text("Pick the outlet this quote comes from")
    expect(page.locator("[data-source-name]")).to_be_focused()
    assert not Entry.objects.exists()
    assert User.objects.filter(pk=editor.pk).exists()


def test_a_picture_needs_its_alt_text_before_it_goes_out_and_slash_key_makes_a_key_event(
    live_server, desktop, editor, stream, tmp_path
):
    import io

    from PIL import Image

    photo = tmp_path / "river.png"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 500), (30, 90, 160)).save(buffer, "PNG")
    photo.write_bytes(buffer.getvalue())
    page = desktop
    _open_desk(page, live_server)

    page.keyboard.type("The river at noon.")
    page.keyboard.press("Enter")
    page.keyboard.type("/key")
    expect(page.get_by_role("checkbox", name="Key event")).to_be_checked()
    page.get_by_role("textbox", name="Title").fill("River breaks its banks")
    page.get_by_role("button", name="+ Picture").click()
    page.locator("[data-upload]").set_input_files(str(photo))
    expect(page.locator("[data-preview]")).to_be_visible()
    page.keyboard.press("Control+Enter")
    expect(page.locator(".desk-errors")).to_contain_text("Describe the picture")
    assert not Entry.objects.exists()

    page.locator("[data-alt]").fill("Brown water over the footbridge")
    page.keyboard.press("Control+Enter")

    expect(page.locator("[data-status-line]")).to_contain_text("is published")
    entry = Entry.objects.get()
    assert entry.pinned
    picture = entry.blocks.get(kind="image")
    assert picture.alt_text == "Brown water over the footbridge"
    assert picture.image.name.endswith(".webp")
