"""An open stream page follows the stream without a reload (static/js/live.js)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from accounts.models import User
from streams import services
from tests import factories
from tests.browser.admin_pages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_polling(settings):
    settings.LIVE_POLL_INTERVAL_MS = 500


@pytest.fixture
def stream(db):
    stream = factories.StreamFactory(title="Syria: December 23", slug="syria")
    factories.EntryFactory(stream=stream, title="First entry")
    return stream


ARRIVAL_WATCH = """
new MutationObserver((changes, observer) => {
  if (document.querySelector("#entries article[data-entry-id]:first-child h3")
      ?.textContent.includes("Breaking")) {
    window.__arrived = Date.now();
    observer.disconnect();
  }
}).observe(document.getElementById("entries"), { childList: true });
"""


def _publish(stream, title: str):
    return services.entry_create(stream=stream, title=title, blocks=[services.TextBlock("Text")])


def _open(page, live_server, stream) -> None:
    page.goto(f"{live_server.url}/streams/{stream.slug}/")
    expect(page.locator("#entries article")).to_have_count(1)
    # The first poll, before any change, so the page holds a version to compare with.
    page.wait_for_timeout(700)


def test_a_published_entry_appears_at_once_for_a_reader_who_chose_so(live_server, desktop, editor):
    User.objects.filter(pk=editor.pk).update(live_updates=User.LiveUpdates.INSERT)
    stream = editor.memberships.first().publisher.streams.first() or factories.StreamFactory(
        publisher=editor.memberships.first().publisher, slug="syria"
    )
    factories.EntryFactory(stream=stream, title="First entry")
    sign_in(desktop, live_server)
    _open(desktop, live_server, stream)

    # The page notes when the entry enters it: Playwright's own checks poll too coarsely.
    desktop.evaluate(ARRIVAL_WATCH)
    published = time.time() * 1000
    entry = _publish(stream, "Breaking: talks resume")
    expect(desktop.locator("#entries article").first).to_contain_text(
        "Breaking: talks resume", timeout=5000
    )
    arrived = desktop.evaluate("window.__arrived")
    elapsed = arrived - published
    # Printed, not asserted: speed is for benchmarks to show, a timed test would only flake.
    print(f"\npublish-to-visible: {elapsed:.0f} ms (poll interval 500 ms)")
    expect(desktop.locator("[data-live-region]")).to_have_text("1 new entry.")

    services.entry_record_edit(entry=entry, note="The venue was wrong.")
    expect(desktop.locator(f'#entries [data-entry-id="{entry.pk}"]')).to_contain_text(
        "The venue was wrong.", timeout=5000
    )

    services.entry_unpublish(entry=entry)
    expect(desktop.locator(f'#entries [data-entry-id="{entry.pk}"]')).to_have_count(0, timeout=5000)


def test_anonymous_readers_get_new_entries_behind_a_button(live_server, desktop, stream):
    _open(desktop, live_server, stream)

    _publish(stream, "Breaking: talks resume")
    button = desktop.get_by_role("button", name="Show 1 new entry")
    expect(button).to_be_visible(timeout=5000)
    expect(desktop.locator("#entries article")).to_have_count(1)
    expect(desktop).to_have_title(
        "(1) Syria: December 23 — " + stream.publisher.name + " · Pressimus"
    )
    expect(desktop.locator("[data-live-region]")).to_contain_text("1 new entry")
    focused = desktop.evaluate("document.activeElement.tagName")

    button.click()

    expect(desktop.locator("#entries article")).to_have_count(2)
    expect(desktop.locator("#entries article").first).to_contain_text("Breaking: talks resume")
    expect(button).to_be_hidden()
    assert not desktop.title().startswith("(")
    assert focused == "BODY", "an announcement never moves focus"


def test_a_deleted_entry_disappears(live_server, desktop, stream):
    doomed = _publish(stream, "Retracted")
    _open_with(desktop, live_server, stream, count=2)

    doomed.delete()

    expect(desktop.locator(f'#entries [data-entry-id="{doomed.pk}"]')).to_have_count(
        0, timeout=5000
    )
    expect(desktop.locator("#entries article")).to_have_count(1)


def _open_with(page, live_server, stream, *, count: int) -> None:
    page.goto(f"{live_server.url}/streams/{stream.slug}/")
    expect(page.locator("#entries article")).to_have_count(count)
    page.wait_for_timeout(700)


def test_without_javascript_the_page_still_lists_entries(live_server, browser, stream):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/streams/{stream.slug}/")
        expect(page.locator("#entries article")).to_have_count(1)
        expect(page.locator("#entries article")).to_contain_text("First entry")
        expect(page.locator("[data-live-region]")).to_have_count(0)
    finally:
        context.close()


def test_pinning_and_unpinning_move_entries_in_and_out_of_key_events(live_server, desktop, stream):
    older = factories.EntryFactory(stream=stream, title="Ceasefire announced")
    _open_with(desktop, live_server, stream, count=2)
    key_events = desktop.get_by_role("region", name="Key events")
    expect(key_events).to_be_hidden()

    services.entry_pin(entry=older, pinned=True)

    expect(key_events).to_be_visible(timeout=5000)
    expect(key_events.locator(".key-event")).to_have_count(1)
    expect(key_events.locator(".key-event")).to_contain_text("Ceasefire announced")
    # The entry itself stays once in the flow, marked where it is.
    entry = desktop.locator(f"#entry-{older.pk}")
    expect(entry.locator(".badge")).to_have_text("Key event", timeout=5000)

    services.entry_pin(entry=older, pinned=False)

    expect(key_events).to_be_hidden(timeout=5000)
    expect(desktop.locator("#pinned-entries .key-event")).to_have_count(0)
    expect(desktop.locator("#entries article")).to_have_count(2)


def test_the_embed_follows_the_stream_too(live_server, desktop, stream):
    desktop.goto(f"{live_server.url}/streams/{stream.slug}/embed/")
    expect(desktop.locator("#entries article")).to_have_count(1)
    desktop.wait_for_timeout(700)

    _publish(stream, "Breaking: talks resume")
    button = desktop.get_by_role("button", name="Show 1 new entry")
    expect(button).to_be_visible(timeout=5000)
    button.click()

    expect(desktop.locator("#entries article").first).to_contain_text("Breaking: talks resume")
    expect(desktop.locator("#entries article")).to_have_count(2)


def test_an_entry_that_reached_the_database_late_is_placed_where_it_belongs(
    live_server, desktop, stream
):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    newer = factories.EntryFactory(stream=stream, title="Newer", published_at=now)
    _open_with(desktop, live_server, stream, count=2)
    first = stream.entries.get(title="First entry")

    # Stamped before "Newer" but committed after the page had it: it comes as a change, not
    # as a new entry, and the page puts it between the two.
    late = factories.EntryFactory(
        stream=stream, title="Late", published_at=first.published_at + timedelta(minutes=1)
    )
    button = desktop.get_by_role("button", name="Show 1 new entry")
    expect(button).to_be_visible(timeout=5000)
    button.click()

    order = desktop.locator("#entries article").evaluate_all(
        "nodes => nodes.map(node => Number(node.dataset.entryId))"
    )
    assert order == [newer.pk, late.pk, first.pk]


def test_an_older_page_does_not_take_in_an_edit_of_an_entry_shown_on_a_newer_one(
    live_server, desktop, stream
):
    from datetime import timedelta

    from django.utils import timezone

    from streams.paging import Cursor

    now = timezone.now()
    entries = [
        factories.EntryFactory(stream=stream, published_at=now - timedelta(minutes=n))
        for n in range(1, 26)
    ]
    oldest_on_page_one = entries[19]
    desktop.goto(
        f"{live_server.url}/streams/{stream.slug}/?before={Cursor.of(oldest_on_page_one).encode()}"
    )
    shown = desktop.locator("#entries article")
    count = shown.count()
    desktop.wait_for_timeout(700)

    entries[0].title = "Edited on page one"
    entries[0].save()
    desktop.wait_for_timeout(1500)

    assert shown.count() == count
    expect(desktop.get_by_text("Edited on page one")).to_have_count(0)
    expect(desktop.get_by_role("button", name=re.compile(r"^Show \d+ new entr"))).to_have_count(0)
