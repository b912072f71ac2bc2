"""Reading a stream in Chromium: times in the reader's zone, ages that move, key events that
don't bury the news, j and k, and sharing one entry (static/js/times.js and reading.js)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from streams import services
from tests import factories
from tests.browser.admin_pages import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# 09:30 UTC is 04:30 in New York, 18:30 in Tokyo, 12:30 in Moscow.
MORNING = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_polling(settings):
    settings.LIVE_POLL_INTERVAL_MS = 500


@pytest.fixture
def stream(db):
    publisher = factories.PublisherFactory(
        name="The Translator's Desk", slug="translators-desk", time_zone="Europe/Moscow"
    )
    stream = factories.StreamFactory(publisher=publisher, title="Syria: December 23", slug="syria")
    factories.EntryFactory(stream=stream, title="Morning briefing", published_at=MORNING)
    return stream


def _reader(browser, zone: str, width: int = 1280, **options):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, timezone_id=zone, **options
    )
    return context, context.new_page()


def _clock(page) -> str:
    return page.locator("#entries article time[data-when]").first.inner_text()


def test_an_anonymous_reader_reads_times_in_their_devices_zone(browser, live_server, stream):
    context, page = _reader(browser, "America/New_York")

    page.goto(f"{live_server.url}/streams/syria/")

    expect(page.locator("#entries article time[data-when]").first).to_have_text("04:30")
    expect(page.locator(".stream-header__zone")).to_contain_text(
        "Times in America/New York (your device's time zone)."
    )
    context.close()


def test_without_javascript_the_newsrooms_zone_is_shown_and_named(browser, live_server, stream):
    context, page = _reader(browser, "America/New_York", java_script_enabled=False)

    page.goto(f"{live_server.url}/streams/syria/")

    assert _clock(page) == "12:30"
    assert page.locator(".stream-header__zone").inner_text() == "Times in Europe/Moscow."
    context.close()


def test_a_member_reads_their_own_zone_whatever_the_device(browser, live_server, editor):
    stream = editor.memberships.get().publisher.streams.get()
    factories.EntryFactory(stream=stream, title="Morning briefing", published_at=MORNING)
    User.objects.filter(pk=editor.pk).update(time_zone="Asia/Tokyo")
    context, page = _reader(browser, "America/New_York")
    sign_in(page, live_server)

    page.goto(f"{live_server.url}/streams/{stream.slug}/")

    expect(page.locator("#entries article time[data-when]").first).to_have_text("18:30")
    expect(page.locator(".stream-header__zone")).to_have_text("Times in Asia/Tokyo.")
    context.close()


def test_a_zone_the_browser_makes_up_leaves_the_pages_times_as_they_are(
    browser, live_server, stream
):
    context, page = _reader(browser, "America/New_York")
    context.add_init_script(
        "const real = Intl.DateTimeFormat.prototype.resolvedOptions;"
        "Intl.DateTimeFormat.prototype.resolvedOptions = function () {"
        "  return Object.assign(real.call(this), { timeZone: 'Mars/Olympus_Mons' }); };"
    )
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server.url}/streams/syria/")

    assert _clock(page) == "12:30"
    assert page.locator(".stream-header__zone").inner_text() == "Times in Europe/Moscow."
    assert errors == []
    context.close()


def test_ages_move_on_while_the_page_is_open(browser, live_server, stream):
    now = timezone.now()
    factories.EntryFactory(stream=stream, title="Just in", published_at=now - timedelta(minutes=2))
    context, page = _reader(browser, "UTC")
    page.clock.install(time=now.timestamp())

    page.goto(f"{live_server.url}/streams/syria/")
    age = page.locator("#entries article").first.locator("[data-age]")
    expect(age).to_have_text(" · 2 minutes ago")
    page.clock.fast_forward("05:00")

    expect(age).to_have_text(" · 7 minutes ago")
    context.close()


def test_an_entry_arriving_live_shows_its_time_in_the_readers_zone(browser, live_server, stream):
    context, page = _reader(browser, "Asia/Tokyo")
    page.goto(f"{live_server.url}/streams/syria/")
    page.wait_for_timeout(700)
    at = timezone.now().replace(microsecond=0)

    services.entry_create(
        stream=stream, title="Breaking", blocks=[services.TextBlock("<p>x</p>")], published_at=at
    )
    page.get_by_role("button", name="Show 1 new entry").click(timeout=10_000)

    tokyo = at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    expect(page.locator("#entries article").first.locator("time[data-when]")).to_have_text(tokyo)
    context.close()


def test_j_and_k_move_between_entries_but_not_while_typing(browser, live_server, stream):
    for hours in (3, 2, 1):
        factories.EntryFactory(
            stream=stream, title=f"Entry {hours}", published_at=MORNING + timedelta(hours=hours)
        )
    context, page = _reader(browser, "UTC")
    page.goto(f"{live_server.url}/streams/syria/")
    articles = page.locator("#entries article")

    page.keyboard.press("j")
    expect(articles.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(articles.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(articles.nth(0)).to_be_focused()

    page.get_by_label("Search entries and quotes").click()
    page.keyboard.press("j")
    expect(page.get_by_label("Search entries and quotes")).to_have_value("j")

    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keys for reading")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    context.close()


def test_without_a_share_sheet_the_share_button_copies_the_entrys_link(
    browser, live_server, stream
):
    context, page = _reader(browser, "UTC", permissions=["clipboard-read", "clipboard-write"])
    context.add_init_script("delete Navigator.prototype.share;")
    page.goto(f"{live_server.url}/streams/syria/")
    entry = stream.entries.get()

    page.locator("#entries article").first.get_by_role(
        "button", name="Copy link to this entry"
    ).click()

    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{live_server.url}/streams/syria/entries/{entry.pk}/"
    context.close()


def test_with_a_share_sheet_the_device_shares_the_entry(browser, live_server, stream):
    context, page = _reader(browser, "UTC")
    context.add_init_script(
        "window.__shared = [];"
        "Navigator.prototype.share = function (data) {"
        "  window.__shared.push(data); return Promise.resolve(); };"
    )
    page.goto(f"{live_server.url}/streams/syria/")

    page.locator("#entries article").first.get_by_role("button", name="Share").click()

    shared = page.evaluate("window.__shared")
    assert shared == [
        {
            "title": "Morning briefing",
            "url": f"{live_server.url}{stream.entries.get().get_absolute_url()}",
        }
    ]
    context.close()


def test_on_a_phone_key_events_are_a_short_list_that_opens_and_jumps_to_the_entry(
    browser, live_server, stream
):
    for n in range(5):
        factories.EntryFactory(
            stream=stream,
            title=f"Key event {n}",
            pinned=True,
            published_at=MORNING + timedelta(minutes=10 * (n + 1)),
        )
    context, page = _reader(browser, "UTC", width=390)
    page.goto(f"{live_server.url}/streams/syria/")
    items = page.locator("#pinned-entries .key-event")

    expect(items).to_have_count(5)
    expect(items.nth(2)).to_be_visible()
    expect(items.nth(3)).to_be_hidden()
    # The first latest entry starts on the first screen.
    top = page.locator("#entries article").first.bounding_box()["y"]
    assert top < 844

    page.get_by_role("button", name="Show all 5 key events").click()
    expect(items.nth(4)).to_be_visible()
    items.nth(4).get_by_role("link").click()
    expect(page.locator("#entries article", has_text="Key event 0")).to_be_focused()
    context.close()
