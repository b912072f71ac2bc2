"""A stream's page at ``/streams/<slug>/``: header, entries, key events, keyset paging."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from accounts.models import User
from streams.models import Block, Stream
from tests import factories
from tests.fixtures_pages import (
    NOW,
    bylines_text,
    content,
    draft_entry,
    flow_ids,
    joined,
    minutes_ago,
    newest_first,
    older_link,
    person,
    pinned_ids,
    rich_entry,
    scheduled_entry,
    updates_url,
    walk_pages,
)

URL = "/streams/syria/"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def james(db):
    return person(display_name="James Miller", handle="james-miller")


# The header


def test_stream_header_says_where_it_is_published_and_by_whom(client, stream_a):
    response = client.get(URL)

    assert response.status_code == 200
    assertContains(response, '<p class="eyebrow">Published in Stream:</p>', html=True)
    assertContains(response, "<h1>Syria: December 23</h1>", html=True)
    assertContains(
        response,
        '<p class="press-by__name">Press by '
        '<a href="/publishers/translators-desk/">The Translator\'s Desk</a></p>',
        html=True,
    )
    assertContains(
        response,
        '<p class="press-by__description">'
        "Russian-to-English translation journal, with original analysis.</p>",
        html=True,
    )


def test_stream_without_entries_says_new_entries_will_appear(client, stream_a):
    response = client.get(URL)

    assertContains(response, "No entries yet.")
    assert older_link(response) is None


# Who may see it


def test_draft_stream_gives_404(client, stream_a):
    stream_a.status = Stream.Status.DRAFT
    stream_a.save()

    response = client.get(URL)

    assertContains(response, "We could not find that page", status_code=404)


def test_members_only_stream_sends_an_anonymous_reader_to_sign_in(client, stream_a):
    stream_a.visibility = Stream.Visibility.MEMBERS
    stream_a.save()

    response = client.get(URL)

    assertRedirects(response, f"/accounts/login/?next={URL}", fetch_redirect_response=False)


def test_draft_members_only_stream_gives_404_even_to_a_member(client_as, member, stream_a):
    stream_a.visibility = Stream.Visibility.MEMBERS
    stream_a.status = Stream.Status.DRAFT
    stream_a.save()

    assert client_as(member).get(URL).status_code == 404


def test_unknown_stream_gives_404(client, db):
    assert client.get("/streams/no-such-stream/").status_code == 404


def test_ended_stream_is_still_shown(client, stream_a):
    stream_a.status = Stream.Status.ENDED
    stream_a.save()
    factories.EntryFactory(stream=stream_a, title="Last word")

    response = client.get(URL)

    assertContains(response, '<span class="badge">Ended</span>', html=True)
    assertContains(response, "Last word")


# Which entries, in which order


def test_stream_lists_entries_newest_first(client, stream_a):
    old = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    new = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    middle = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))

    response = client.get(URL)

    assert flow_ids(response) == [new.pk, middle.pk, old.pk]


def test_stream_does_not_show_draft_entries(client, stream_a):
    draft_entry(stream_a, title="Not ready yet")

    response = client.get(URL)

    assertNotContains(response, "Not ready yet")
    assert flow_ids(response) == []


def test_stream_does_not_show_an_entry_scheduled_for_later(client, stream_a):
    scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=5), title="Embargoed")

    response = client.get(URL)

    assertNotContains(response, "Embargoed")


def test_stream_shows_a_scheduled_entry_once_its_time_has_passed(client, stream_a):
    entry = scheduled_entry(stream_a, published_at=minutes_ago(1), title="Embargo lifted")

    response = client.get(URL)

    assert flow_ids(response) == [entry.pk]
    assertContains(response, "Embargo lifted")


def test_stream_does_not_show_entries_of_another_stream(client, stream_a, stream_b):
    factories.EntryFactory(stream=stream_b, title="About the flood")

    response = client.get(URL)

    assertNotContains(response, "About the flood")


# Key events


def test_pinned_entries_are_listed_on_top_as_key_events_and_stay_in_the_flow_once(client, stream_a):
    pinned = factories.EntryFactory(
        stream=stream_a, published_at=minutes_ago(60), pinned=True, title="Ceasefire announced"
    )
    newer = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    response = client.get(URL)

    assertContains(
        response, '<h2 id="key-events-heading" class="section-title">Key events</h2>', html=True
    )
    assert pinned_ids(response) == [pinned.pk]
    assert flow_ids(response) == [newer.pk, pinned.pk]
    # A line in the list, time and title, linking to the entry: never the entry twice.
    assertContains(
        response,
        f'<a class="key-event__link" href="/streams/syria/entries/{pinned.pk}/" '
        f'data-jump="entry-{pinned.pk}">'
        '<time class="clock" datetime="2015-12-23T17:00:00.000Z" data-when>17:00</time>'
        '<span class="clock__age" data-age> · 1 hour ago</span>'
        '<span class="key-event__title">Ceasefire announced</span></a>',
        html=True,
    )
    assertContains(response, f'id="entry-{pinned.pk}"', count=1)
    assertContains(response, '<span class="badge badge--key">Key event</span>', html=True, count=1)


def test_key_events_are_newest_first(client, stream_a):
    first = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(60), pinned=True)
    second = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30), pinned=True)

    response = client.get(URL)

    assert pinned_ids(response) == [second.pk, first.pk]


HIDDEN_KEY_EVENTS = '<section class="key-events" aria-labelledby="key-events-heading" hidden>'


def test_stream_without_pinned_entries_keeps_its_key_events_section_hidden(client, stream_a):
    factories.EntryFactory(stream=stream_a)

    response = client.get(URL)

    # Hidden from every reader, there for the live script to fill when an entry is pinned.
    assertContains(response, HIDDEN_KEY_EVENTS)
    assert pinned_ids(response) == []


def test_key_events_section_is_shown_once_an_entry_is_pinned(client, stream_a):
    factories.EntryFactory(stream=stream_a, pinned=True)

    response = client.get(URL)

    assertNotContains(response, HIDDEN_KEY_EVENTS)


def test_pinned_draft_or_future_entries_are_not_key_events(client, stream_a):
    draft_entry(stream_a, pinned=True, title="Draft key event")
    scheduled_entry(
        stream_a, published_at=NOW + timedelta(hours=1), pinned=True, title="Future key event"
    )

    response = client.get(URL)

    assertContains(response, HIDDEN_KEY_EVENTS)
    assertNotContains(response, "Draft key event")
    assertNotContains(response, "Future key event")


# Each entry


def test_entry_title_links_to_its_permalink(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="Amnesty 'unmasks' Russian claims")

    response = client.get(URL)

    permalink = f"/streams/syria/entries/{entry.pk}/"
    assertContains(
        response,
        f'<h3 class="entry__title" id="entry-{entry.pk}-title">'
        f"<a href=\"{permalink}\">Amnesty 'unmasks' Russian claims</a></h3>",
        html=True,
    )


def test_entry_leads_with_its_time_of_day_then_its_age(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))

    response = client.get(URL)

    assertContains(
        response,
        f'<a class="entry__time" href="/streams/syria/entries/{entry.pk}/">'
        '<time class="clock" datetime="2015-12-23T17:55:00.000Z" data-when>17:55</time>'
        '<span class="clock__age" data-age> · 5 minutes ago</span></a>',
        html=True,
    )


def test_entry_older_than_a_day_gives_its_time_and_date(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=NOW - timedelta(days=2, minutes=1))

    response = client.get(URL)

    assertContains(
        response, 'data-when>17:59</time><span class="clock__age" data-age> · 21 December 2015'
    )


def test_entries_of_one_day_read_in_sequence_by_their_clock(client, stream_a):
    for hours in (30, 29, 28):
        factories.EntryFactory(stream=stream_a, published_at=NOW - timedelta(hours=hours))

    clocks = re.findall(r"data-when>(\d\d:\d\d)</time>", client.get(URL).content.decode())

    assert clocks[:3] == ["14:00", "13:00", "12:00"]


def test_no_datetime_on_the_page_carries_more_than_milliseconds(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=NOW - timedelta(microseconds=123_456))

    values = re.findall(r'datetime="([^"]+)"', client.get(URL).content.decode())

    assert values and all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", v) for v in values
    )


def test_entry_shows_its_blocks_in_their_order(client, stream_a, source):
    entry = factories.EntryFactory(stream=stream_a, text="<p>First, the writer.</p>")
    Block.objects.create(entry=entry, position=2, body="<p>Last, the writer again.</p>")
    Block.objects.create(
        entry=entry, position=1, kind=Block.Kind.QUOTE, source=source, body="<p>In between.</p>"
    )

    response = client.get(URL)

    page = content(response)
    first = page.index("First, the writer.")
    middle = page.index("In between.")
    last = page.index("Last, the writer again.")
    assert first < middle < last


def test_quote_names_its_source_and_links_to_the_source_page(client, stream_a, source):
    factories.EntryFactory(stream=stream_a, quotes=[source])

    response = client.get(URL)

    assertContains(
        response,
        '<figcaption class="quote__source">'
        '<a href="/sources/amnesty/">Amnesty International</a> reports:</figcaption>',
        html=True,
    )


def test_quote_cites_and_links_the_original_article(client, stream_a, source):
    entry = factories.EntryFactory(stream=stream_a, quotes=[source])
    article = f"https://www.amnesty.org/article/{entry.pk}"

    response = client.get(URL)

    assertContains(
        response,
        f'<blockquote cite="{article}"><p>Quoted text from Amnesty International.</p></blockquote>',
        html=True,
    )
    assertContains(
        response,
        f'<a href="{article}" rel="nofollow noopener">Read the original article'
        '<span class="visually-hidden"> at Amnesty International</span></a>',
        html=True,
    )


def test_translated_quote_shows_its_original_in_a_details_element(client, stream_a, source):
    entry = factories.EntryFactory(stream=stream_a)
    Block.objects.create(
        entry=entry,
        position=1,
        kind=Block.Kind.QUOTE,
        source=source,
        body="<p>The strikes hit terrorists only.</p>",
        original="<p>Удары наносятся только по террористам.</p>",
        original_language="ru",
        cited_url="https://www.amnesty.org/ru/1",
    )

    response = client.get(URL)

    assertContains(response, "<summary>Original (Russian)</summary>", html=True)
    assertContains(
        response,
        '<blockquote lang="ru" cite="https://www.amnesty.org/ru/1">'
        "<p>Удары наносятся только по террористам.</p></blockquote>",
        html=True,
    )
    assertContains(response, '<details class="quote__original">', count=1)


def test_quote_without_translation_has_no_original_section(client, stream_a, source):
    factories.EntryFactory(stream=stream_a, quotes=[source])

    response = client.get(URL)

    assertNotContains(response, 'class="quote__original"')


def test_bylines_link_profiles_and_join_two_names_with_and(client, stream_a, james):
    factories.EntryFactory(stream=stream_a, bylines=[james, "Anna Guest"])

    response = client.get(URL)

    assertContains(
        response,
        '<p class="entry__bylines">— '
        '<a href="/people/james-miller/" rel="author">James Miller</a> and Anna Guest</p>',
        html=True,
    )
    assertNotContains(response, "Anna Guest</a>")


def test_two_bylines_read_as_a_and_b(client, stream_a, james):
    factories.EntryFactory(stream=stream_a, bylines=[james, "Anna Guest"])

    response = client.get(URL)

    assert bylines_text(response) == ["— James Miller and Anna Guest"]


def test_three_bylines_read_as_a_comma_b_and_c(client, stream_a, james):
    factories.EntryFactory(stream=stream_a, bylines=["Anna Guest", james, "Omar Field"])

    response = client.get(URL)

    assert bylines_text(response) == ["— Anna Guest, James Miller and Omar Field"]


def test_entry_without_bylines_has_no_byline_line(client, stream_a):
    factories.EntryFactory(stream=stream_a)

    response = client.get(URL)

    assertNotContains(response, "entry__bylines")


def test_corrected_entry_shows_when_and_what_was_updated(client, stream_a):
    factories.EntryFactory(
        stream=stream_a,
        published_at=minutes_ago(60),
        updated_at=minutes_ago(30),
        correction_note="An earlier version misnamed the town.",
    )

    response = client.get(URL)

    assertContains(
        response,
        '<p class="entry__correction"><strong>Updated '
        '<time datetime="2015-12-23T17:30:00.000Z" '
        'title="Wednesday 23 December 2015, 17:30 UTC">17:30</time></strong>'
        " — An earlier version misnamed the town.</p>",
        html=True,
    )


def test_uncorrected_entry_has_no_correction_note(client, stream_a):
    factories.EntryFactory(stream=stream_a)

    response = client.get(URL)

    assertNotContains(response, "entry__correction")


# Live updates


def test_entry_list_carries_the_updates_url_with_the_newest_entry_as_cursor(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))
    newest = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    response = client.get(URL)

    url = updates_url(response)
    assert url is not None
    assert url.startswith("/streams/syria/updates/")
    assert f"_{newest.pk}&v=" in url, "the cursor of the newest entry, then the version"
    assert client.get(url).json()["next"] == url, "nothing is newer than the newest entry"


def test_empty_stream_still_carries_an_updates_url(client, stream_a):
    response = client.get(URL)

    assert re.fullmatch(r"/streams/syria/updates/\?v=[0-9]+", updates_url(response))


# The reader's order


_LATER_LINK = re.compile(r'href="\?([^"]*)"[^>]*>Load later entries<')


def _later_link(response) -> str | None:
    match = _LATER_LINK.search(content(response))
    return html.unescape(match[1]) if match else None


@pytest.fixture
def five(stream_a):
    """Five entries of stream A, oldest first."""
    return [
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(50 - 10 * n))
        for n in range(5)
    ]


@pytest.fixture
def oldest_first_reader(client_as, member):
    member.entry_order = User.EntryOrder.OLDEST
    member.save()
    return client_as(member)


def _order_switch(current: str) -> str:
    """The two order links; both name their order, so that shared links mean one thing."""
    marks = {
        order: ' aria-current="page"' if order == current else "" for order in ("newest", "oldest")
    }
    return (
        '<nav class="order-switch" aria-label="Order of entries">'
        f'<a href="/streams/syria/?order=newest"{marks["newest"]}>Newest first</a>'
        f'<a href="/streams/syria/?order=oldest"{marks["oldest"]}>Oldest first</a>'
        "</nav>"
    )


def test_anonymous_reader_asks_for_oldest_first(client, five):
    response = client.get(URL, {"order": "oldest"})

    assert flow_ids(response) == [e.pk for e in five]
    assertContains(response, "From the start")
    assertContains(response, _order_switch("oldest"), html=True)
    assertContains(response, 'data-order="oldest"')


def test_reader_who_prefers_oldest_first_gets_it_by_default(oldest_first_reader, five):
    response = oldest_first_reader.get(URL)

    assert flow_ids(response) == [e.pk for e in five]
    assertContains(response, 'data-order="oldest"')


def test_order_newest_overrides_the_readers_preference(oldest_first_reader, five):
    response = oldest_first_reader.get(URL, {"order": "newest"})

    assert flow_ids(response) == [e.pk for e in reversed(five)]
    assertContains(response, _order_switch("newest"), html=True)


def test_reader_who_prefers_newest_first_gets_the_usual_page(client_as, member, five):
    response = client_as(member).get(URL)

    assert flow_ids(response) == [e.pk for e in reversed(five)]


@pytest.mark.parametrize("order", ["sideways", ""])
def test_an_unknown_order_falls_back_to_the_default(client, five, order):
    response = client.get(URL, {"order": order})

    assert flow_ids(response) == [e.pk for e in reversed(five)]


def test_oldest_first_pages_forward_to_the_latest(client, five, small_pages):
    first = client.get(URL, {"order": "oldest"})
    link = _later_link(first)
    second = client.get(f"{URL}?{link}")

    assert flow_ids(first) == [e.pk for e in five[:3]]
    assert link.startswith("order=oldest&after=")
    assert flow_ids(second) == [e.pk for e in five[3:]]
    assertContains(second, "You have reached the latest entry.")
    assertContains(
        second,
        '<a class="button button--secondary" href="?order=oldest">Back to the start</a>',
        html=True,
    )


def test_newest_first_pages_of_a_reader_who_prefers_oldest_stay_newest_first(
    oldest_first_reader, five, small_pages
):
    first = oldest_first_reader.get(URL, {"order": "newest"})
    second = oldest_first_reader.get(URL + older_link(first))

    assert flow_ids(first) == [e.pk for e in five[:1:-1]]
    assert flow_ids(second) == [e.pk for e in five[1::-1]]
    assertContains(
        second,
        '<a class="button button--secondary" href="?order=newest">Back to the latest</a>',
        html=True,
    )


def test_updates_url_carries_the_newest_entry_in_oldest_first_order_too(oldest_first_reader, five):
    response = oldest_first_reader.get(URL)

    assert f"_{five[-1].pk}&v=" in updates_url(response)


# How new entries arrive, for the script of a later issue


def test_anonymous_reader_gets_new_entries_behind_a_button(client, stream_a):
    assertContains(client.get(URL), 'data-live-updates="button"')


@pytest.mark.parametrize("choice", [User.LiveUpdates.INSERT, User.LiveUpdates.BUTTON])
def test_signed_in_reader_gets_new_entries_the_way_they_chose(client_as, member, stream_a, choice):
    member.live_updates = choice
    member.save()

    response = client_as(member).get(URL)

    assertContains(response, f'data-live-updates="{choice}"')


# Keyset paging


@pytest.fixture
def small_pages(settings):
    settings.STREAM_PAGE_SIZE = 3


def test_stream_pages_older_entries_without_repeating_or_skipping_any(
    client, stream_a, small_pages
):
    entries = [
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n)) for n in range(8)
    ]

    pages = walk_pages(client, URL)

    assert [len(page) for page in pages] == [3, 3, 2]
    assert joined(pages) == newest_first(entries)


def test_stream_pages_entries_that_share_a_publish_time_by_id(client, stream_a, small_pages):
    same_moment = minutes_ago(10).replace(microsecond=123456)
    entries = [factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))]
    entries += [factories.EntryFactory(stream=stream_a, published_at=same_moment) for _ in range(7)]
    entries += [factories.EntryFactory(stream=stream_a, published_at=minutes_ago(20))]

    pages = walk_pages(client, URL)

    ids = joined(pages)
    assert len(ids) == len(set(ids)) == 9
    assert ids == newest_first(entries)


def test_stream_pages_entries_a_microsecond_apart(client, stream_a, small_pages):
    start = minutes_ago(10)
    entries = [
        factories.EntryFactory(stream=stream_a, published_at=start + timedelta(microseconds=n))
        for n in (0, 1, 2, 3, 4, 5, 6)
    ]

    pages = walk_pages(client, URL)

    assert joined(pages) == newest_first(entries)


def test_entries_published_while_reading_do_not_shift_older_pages(client, stream_a, small_pages):
    entries = [
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n + 1)) for n in range(6)
    ]
    first = client.get(URL)
    factories.EntryFactory(stream=stream_a, published_at=NOW)

    second = client.get(URL + older_link(first))

    assert flow_ids(second) == newest_first(entries)[3:]


def test_last_page_has_no_load_older_link(client, stream_a, small_pages):
    for n in range(4):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n))

    first = client.get(URL)
    link = older_link(first)
    last = client.get(URL + link)

    assertContains(first, "Load older entries")
    assert older_link(last) is None
    assertNotContains(last, "Load older entries")


def test_a_full_single_page_has_no_load_older_link(client, stream_a, small_pages):
    for n in range(3):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n))

    response = client.get(URL)

    assert len(flow_ids(response)) == 3
    assert older_link(response) is None


def test_older_pages_do_not_repeat_the_key_events(client, stream_a, small_pages):
    for n in range(4):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n), pinned=n == 0)

    first = client.get(URL)
    older = client.get(URL + older_link(first))

    assert pinned_ids(first) != []
    assert pinned_ids(older) == []
    assertNotContains(older, "Key events")


FULL_WIDTH_DIGITS = {ord("0") + n: 0xFF10 + n for n in range(10)}


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "-5_1",
        "1_",
        "_1",
        "",
        "1_1_1",
        "1.5_1",
        "99999999999999999999_1",
        "1450893600000000_" + "9" * 20,
        "1450893600000000_9223372036854775808",
        "4000000000000000_1\n",
        " 4000000000000000_1",
        "4000000000000000_1".translate(FULL_WIDTH_DIGITS),
    ],
)
def test_malformed_cursor_gives_404(client, stream_a, cursor):
    factories.EntryFactory(stream=stream_a)

    response = client.get(URL, {"before": cursor})

    assert response.status_code == 404


def test_cursor_past_the_oldest_entry_gives_404(client, stream_a):
    factories.EntryFactory(stream=stream_a)

    response = client.get(URL, {"before": "1_1"})

    assertContains(response, "We could not find that page", status_code=404)


def test_cursor_with_an_eighteen_digit_id_is_accepted(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    response = client.get(URL, {"before": "4000000000000000_999999999999999999"})

    assert flow_ids(response) == [entry.pk]


# Query counts


def _fill(stream, count: int, profile) -> None:
    sources = [factories.SourceFactory() for _ in range(3)]
    for n in range(count):
        rich_entry(
            stream,
            published_at=minutes_ago(n + 1),
            sources=sources,
            profile=profile,
            pinned=n % 4 == 0,
        )


def _queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_stream_page_costs_the_same_few_queries_for_5_and_50_entries(
    client, settings, stream_a, james, django_assert_max_num_queries
):
    settings.STREAM_PAGE_SIZE = 50
    _fill(stream_a, 5, james)
    with django_assert_max_num_queries(7):
        few = _queries_for(client, URL)

    _fill(factories.StreamFactory(slug="long"), 50, james)
    with django_assert_max_num_queries(7):
        many = _queries_for(client, "/streams/long/")

    assert few == many


def test_stream_page_entries_are_fully_rendered_with_many_blocks(client, stream_a, james):
    _fill(stream_a, 5, james)

    response = client.get(URL)

    assert len(flow_ids(response)) == 5
    # Pinned entries are rendered once, in the flow; the key events list names them.
    assert bylines_text(response) == ["— James Miller and Anna Guest"] * 5
    assertContains(response, "reports:", count=5 * 3)
