"""The search page at ``/search/?q=``: published entries of the streams a reader may see.

Runs on SQLite (the plain fallback) and on PostgreSQL (full-text search); the tests
here hold on both. What only PostgreSQL does (ranking, headlines, the index) is in
``test_search.py``.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from pytest_django.asserts import assertContains, assertNotContains

from streams import search
from streams.models import Block, Entry, Stream
from tests import factories
from tests.fixtures_pages import (
    NOW,
    content,
    draft_entry,
    minutes_ago,
    scheduled_entry,
    visible_text,
)

URL = "/search/"
_RESULT_LINK = re.compile(
    r'<h3 class="search-result__title"><a href="/streams/[^/]+/entries/(\d+)/">'
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture(autouse=True)
def _documents_refresh_at_once(request, monkeypatch):
    # Tests run in a transaction that never commits: refresh documents at once, as the
    # conftest does for stream versions. Tests capturing commit hooks keep the real one.
    if "django_capture_on_commit_callbacks" not in request.fixturenames:
        monkeypatch.setattr(search, "_after_commit", lambda refresh: refresh())


def result_ids(response) -> list[int]:
    return [int(pk) for pk in _RESULT_LINK.findall(content(response))]


@pytest.fixture
def members_stream(publisher_a):
    return factories.StreamFactory(
        publisher=publisher_a,
        title="Members' briefing",
        slug="briefing",
        visibility=Stream.Visibility.MEMBERS,
    )


# What is searched -------------------------------------------------------------------------


def test_search_finds_an_entry_by_a_word_of_its_title(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="Ceasefire talks resume in Geneva")
    factories.EntryFactory(stream=stream_a, title="Markets close lower")

    response = client.get(URL, {"q": "geneva"})

    assert response.status_code == 200
    assert result_ids(response) == [entry.pk]


def test_search_finds_an_entry_by_its_text(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, text="<p>The convoy reached Aleppo.</p>")

    response = client.get(URL, {"q": "convoy"})

    assert result_ids(response) == [entry.pk]


def test_search_finds_an_entry_by_the_text_it_quotes_and_its_original(client, stream_a, source):
    entry = factories.EntryFactory(stream=stream_a)
    Block.objects.create(
        entry=entry,
        position=5,
        kind=Block.Kind.QUOTE,
        source=source,
        body="<p>Barrel bombs hit the market.</p>",
        original="<p>Бочковые бомбы</p>",
        original_language="ru",
    )

    assert result_ids(client.get(URL, {"q": "barrel bombs"})) == [entry.pk]
    assert result_ids(client.get(URL, {"q": "Бочковые"})) == [entry.pk]


def test_search_finds_an_entry_by_the_name_of_a_source_it_quotes(client, stream_a, source):
    entry = factories.EntryFactory(stream=stream_a, quotes=[source])
    factories.EntryFactory(stream=stream_a)

    response = client.get(URL, {"q": "amnesty"})

    assert result_ids(response) == [entry.pk]


def test_every_word_of_the_query_must_match(client, stream_a):
    both = factories.EntryFactory(stream=stream_a, title="Flood warning for the harbour")
    factories.EntryFactory(stream=stream_a, title="Flood warning upstream")

    response = client.get(URL, {"q": "flood harbour"})

    assert result_ids(response) == [both.pk]


def test_a_result_shows_its_title_snippet_stream_publisher_and_time(client, stream_a):
    entry = factories.EntryFactory(
        stream=stream_a,
        title="Convoy reaches the city",
        text="<p>Twelve trucks of the aid convoy arrived at noon.</p>",
        published_at=NOW - timedelta(hours=2),
    )

    response = client.get(URL, {"q": "trucks"})

    assertContains(
        response,
        f'<h3 class="search-result__title"><a href="/streams/syria/entries/{entry.pk}/">'
        "Convoy reaches the city</a></h3>",
        html=True,
    )
    assertContains(response, "<mark>trucks</mark>")
    assertContains(
        response,
        '<span class="entry__stream">in <a href="/streams/syria/">Syria: December 23</a> · '
        '<a href="/publishers/translators-desk/">The Translator\'s Desk</a></span>',
        html=True,
    )
    assertContains(
        response,
        '<time class="clock" datetime="2015-12-23T16:00:00.000Z" data-when>16:00</time>'
        '<span class="clock__age" data-age> · 2 hours ago</span>',
    )
    assertContains(response, "1 result for “trucks”")


def test_an_untitled_entry_is_headed_by_its_first_words(client, stream_a):
    factories.EntryFactory(
        stream=stream_a,
        title="",
        text="<p>Shelling resumed at dawn on the eastern edge of the city, witnesses said.</p>",
    )

    response = client.get(URL, {"q": "shelling"})

    assertContains(response, "Shelling resumed at dawn on the eastern edge of the city, witnesses")


def test_an_untitled_heading_cut_short_ends_in_a_bare_ellipsis(client, stream_a):
    factories.EntryFactory(
        stream=stream_a,
        title="",
        # The twelfth word, the last of the heading, ends a sentence.
        text="<p>Shelling resumed at dawn on the edge of the city, witnesses said. "
        "It went on until noon.</p>",
    )

    response = client.get(URL, {"q": "shelling"})

    assertContains(response, "Shelling resumed at dawn on the edge of the city, witnesses said…")
    assertNotContains(response, ".…")


def test_an_untitled_heading_is_its_first_block_only(client, stream_a, source):
    factories.EntryFactory(
        stream=stream_a, title="", text="<p>Shelling resumed.</p>", quotes=[source]
    )

    response = client.get(URL, {"q": "shelling"})

    heading = re.search(r'class="search-result__title"><a [^>]*>([^<]*)</a>', content(response))
    assert heading[1] == "Shelling resumed."


def test_the_snippet_escapes_stored_text(client, stream_a):
    factories.EntryFactory(
        stream=stream_a, title="<script>alert(1)</script> harmless", text="<p>1 &lt; 2</p>"
    )

    response = client.get(URL, {"q": "harmless"})

    assert result_ids(response)
    assertNotContains(response, "<script>alert(1)")
    assertContains(response, "&lt;script&gt;")


# What is never found ----------------------------------------------------------------------


def test_drafts_scheduled_and_unpublished_entries_are_not_found(client, stream_a):
    published = factories.EntryFactory(stream=stream_a, title="Needle published")
    draft_entry(stream_a, title="Needle draft")
    scheduled_entry(stream_a, title="Needle scheduled", published_at=NOW + timedelta(hours=1))
    factories.EntryFactory(
        stream=stream_a, title="Needle submitted", status=Entry.Status.SUBMITTED, published_at=None
    )

    response = client.get(URL, {"q": "needle"})

    assert result_ids(response) == [published.pk]


def test_a_scheduled_entry_is_found_once_its_time_has_come(client, stream_a):
    entry = scheduled_entry(stream_a, title="Needle due", published_at=minutes_ago(1))

    assert result_ids(client.get(URL, {"q": "needle"})) == [entry.pk]


def test_a_deleted_entry_is_not_found(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="Needle")
    entry.delete()

    assert result_ids(client.get(URL, {"q": "needle"})) == []


def test_entries_of_a_draft_stream_are_not_found(client, publisher_a):
    stream = factories.StreamFactory(publisher=publisher_a, status=Stream.Status.DRAFT)
    factories.EntryFactory(stream=stream, title="Needle")

    assert result_ids(client.get(URL, {"q": "needle"})) == []


def test_members_only_entries_are_hidden_from_anonymous_readers(client, members_stream):
    factories.EntryFactory(stream=members_stream, title="Closed annex figures")

    response = client.get(URL, {"q": "annex"})

    assert result_ids(response) == []
    assertNotContains(response, "Closed annex figures")
    assertNotContains(response, "Members' briefing")


def test_members_only_entries_are_found_by_members(client_as, member, members_stream):
    entry = factories.EntryFactory(stream=members_stream, title="Closed annex figures")

    response = client_as(member).get(URL, {"q": "annex"})

    assert result_ids(response) == [entry.pk]
    assertContains(response, "Only signed-in members see this stream")


def test_filtering_on_a_members_only_stream_says_no_such_stream_to_anonymous_readers(
    client, members_stream
):
    factories.EntryFactory(stream=members_stream, title="Closed annex figures")

    response = client.get(URL, {"q": "annex", "stream": "briefing"})

    assert result_ids(response) == []
    assertContains(response, "No stream has the address “briefing”.")
    assertNotContains(response, "Closed annex figures")


# Filters ----------------------------------------------------------------------------------


def test_the_publisher_filter_keeps_that_publishers_entries(client, stream_a, stream_b):
    ours = factories.EntryFactory(stream=stream_a, title="Needle A")
    factories.EntryFactory(stream=stream_b, title="Needle B")

    response = client.get(URL, {"q": "needle", "publisher": "translators-desk"})

    assert result_ids(response) == [ours.pk]


def test_the_stream_filter_keeps_that_streams_entries(client, stream_a, publisher_a):
    other = factories.StreamFactory(publisher=publisher_a, slug="other")
    ours = factories.EntryFactory(stream=stream_a, title="Needle A")
    factories.EntryFactory(stream=other, title="Needle other")

    response = client.get(URL, {"q": "needle", "stream": "syria"})

    assert result_ids(response) == [ours.pk]


def test_the_source_filter_keeps_entries_quoting_it(client, stream_a, source):
    quoting = factories.EntryFactory(stream=stream_a, title="Needle quoting", quotes=[source])
    factories.EntryFactory(stream=stream_a, title="Needle alone")

    response = client.get(URL, {"q": "needle", "source": "amnesty"})

    assert result_ids(response) == [quoting.pk]


def test_the_date_filters_are_whole_days_inclusive(client, stream_a):
    day_before = factories.EntryFactory(
        stream=stream_a, title="Needle", published_at=NOW - timedelta(days=2)
    )
    midnight = factories.EntryFactory(
        stream=stream_a, title="Needle", published_at=NOW.replace(hour=0) - timedelta(days=1)
    )
    last_minute = factories.EntryFactory(
        stream=stream_a,
        title="Needle",
        published_at=NOW.replace(hour=23, minute=59) - timedelta(days=1),
    )
    today = factories.EntryFactory(stream=stream_a, title="Needle", published_at=minutes_ago(5))

    def found(**dates) -> list[int]:
        return result_ids(client.get(URL, {"q": "needle", **dates}))

    assert found(**{"from": "2015-12-22", "to": "2015-12-22"}) == [last_minute.pk, midnight.pk]
    assert found(to="2015-12-21") == [day_before.pk]
    assert found(**{"from": "2015-12-23"}) == [today.pk]


def test_the_date_filters_follow_the_readers_time_zone(client_as, member, stream_a):
    member.time_zone = "Asia/Tokyo"
    member.save()
    # 23 December, 18:00 UTC is already 24 December, 03:00 in Tokyo.
    entry = factories.EntryFactory(stream=stream_a, title="Needle", published_at=minutes_ago(1))

    reader = client_as(member)

    assert result_ids(reader.get(URL, {"q": "needle", "from": "2015-12-24"})) == [entry.pk]
    assert result_ids(reader.get(URL, {"q": "needle", "to": "2015-12-23"})) == []


def test_filters_keep_their_values_on_the_form(client, stream_a, source):
    response = client.get(
        URL,
        {"q": "needle", "publisher": "translators-desk", "source": "amnesty", "from": "2015-12-01"},
    )

    assertContains(response, '<option value="translators-desk" selected>', html=False)
    assertContains(response, '<option value="amnesty" selected>', html=False)
    assertContains(response, 'value="2015-12-01"')
    assertContains(response, '<details class="search-form__filters" open>')


# Bad input --------------------------------------------------------------------------------


def test_an_empty_query_shows_the_form_and_a_prompt_without_searching(
    client, stream_a, django_assert_max_num_queries
):
    factories.EntryFactory(stream=stream_a, title="Needle")

    for params in ({}, {"q": ""}, {"q": "   "}):
        # The filters' choices only: no query for results.
        with django_assert_max_num_queries(3):
            response = client.get(URL, params)
        assert response.status_code == 200
        assertContains(response, '<input type="search" name="q"')
        assertContains(response, "Type a few words to find the entries")
        assertNotContains(response, "result")


def test_a_very_long_query_is_shortened_and_the_reader_is_told(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="Needle")

    response = client.get(URL, {"q": "needle " + "x" * 10_000})

    assert response.status_code == 200
    assertContains(response, "Searches are limited to 200 characters, so yours was shortened")
    # The word cut in half is dropped, and the box shows what was searched for.
    assert "x" * 200 not in content(response)
    assertContains(response, 'name="q" value="needle"')
    assert result_ids(response) == [entry.pk]
    response = client.get(URL, {"q": "needle " * 2_000})
    assertContains(response, "so yours was shortened")
    assert result_ids(response) == [entry.pk]


def test_a_query_within_the_limit_is_not_said_to_be_shortened(client, stream_a):
    response = client.get(URL, {"q": "x" * 200})

    assertNotContains(response, "shortened")


@pytest.mark.parametrize(
    "query",
    [
        '"foo" -bar OR baz & | ! ( ) : * \\',
        "&&&",
        "!",
        "'",
        '"',
        "foo:*",
        "(((",
        "a <-> b",
        "%_%",
        "\u200b",
    ],
)
def test_operators_and_punctuation_give_a_normal_page(client, stream_a, query):
    factories.EntryFactory(stream=stream_a, title="Foo and baz")

    response = client.get(URL, {"q": query})

    assert response.status_code == 200
    assertContains(response, "<h1>Search</h1>", html=True)


def test_a_null_character_is_refused_on_the_form(client, db):
    response = client.get(URL, {"q": "foo\x00bar"})

    assert response.status_code == 200
    assertContains(response, "Null characters are not allowed.")


def test_percent_and_underscore_are_not_wildcards(client, stream_a):
    factories.EntryFactory(stream=stream_a, title="Needle")

    assert result_ids(client.get(URL, {"q": "%"})) == []
    assert result_ids(client.get(URL, {"q": "_"})) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "“yesterday” is not a date. Enter a date as year-month-day"),
        ({"to": "2015-13-45"}, "“2015-13-45” is not a date. Enter a date as year-month-day"),
        ({"from": "0001-01-01"}, "Pick a date from 1900 on."),
        ({"to": "9999-12-31"}, "Pick a date before 3000."),
        ({"from": "2015-12-23", "to": "2015-12-01"}, "The end date is before the start date."),
        ({"publisher": "no-such"}, "No publisher has the address “no-such”."),
        ({"stream": "no-such"}, "No stream has the address “no-such”."),
        ({"source": "no-such"}, "No source has the address “no-such”."),
    ],
)
def test_bad_filters_are_explained_on_the_form(client, stream_a, params, message):
    factories.EntryFactory(stream=stream_a, title="Needle")

    response = client.get(URL, {"q": "needle", **params})

    assert response.status_code == 200
    assertContains(response, message)
    assertContains(response, "Please check the 1 field marked below.")
    assert result_ids(response) == []


def test_a_page_number_that_is_not_a_number_is_a_readable_400(client, stream_a):
    factories.EntryFactory(stream=stream_a, title="Needle")

    response = client.get(URL, {"q": "needle", "page": "abc"})

    assertContains(response, "That page number is not a number.", status_code=400)
    assertContains(response, 'href="?q=needle">See the first page of results', status_code=400)


@pytest.mark.parametrize("page", ["99999", "0", "-1", "9" * 40])
def test_a_page_past_the_results_is_a_readable_404(client, stream_a, page):
    factories.EntryFactory(stream=stream_a, title="Needle")

    response = client.get(URL, {"q": "needle", "page": page})

    assertContains(response, "There is no such page of results", status_code=404)


# Paging -----------------------------------------------------------------------------------


def test_results_are_paged_and_links_keep_the_query_and_filters(client, stream_a):
    entries = [
        factories.EntryFactory(stream=stream_a, title=f"Needle {n}", published_at=minutes_ago(n))
        for n in range(search.PAGE_SIZE + 3)
    ]
    params = {"q": "needle", "publisher": "translators-desk", "from": "2015-12-01"}

    first = client.get(URL, params)
    assert len(result_ids(first)) == search.PAGE_SIZE
    assertContains(
        first,
        'href="?q=needle&amp;publisher=translators-desk&amp;from=2015-12-01&amp;page=2"',
    )
    assertContains(first, "23 results for “needle”")
    second = client.get(URL, {**params, "page": "2"})

    assert len(result_ids(second)) == 3
    assert set(result_ids(first)) | set(result_ids(second)) == {e.pk for e in entries}
    assertContains(second, "Previous results")
    assertNotContains(second, "Next results")


def test_no_results_says_so(client, stream_a):
    response = client.get(URL, {"q": "nothing-like-this"})

    assertContains(response, "No published entry matches “nothing-like-this”.")


def test_query_count_does_not_grow_with_results(
    client, stream_a, stream_b, source, django_assert_max_num_queries
):
    factories.EntryFactory(stream=stream_a, title="Needle one", quotes=[source])
    with django_assert_max_num_queries(7) as one:
        response = client.get(URL, {"q": "needle", "source": "amnesty"})
    assert len(result_ids(response)) == 1

    for n in range(25):
        factories.EntryFactory(
            stream=stream_a if n % 2 else stream_b, title=f"Needle {n}", quotes=[source]
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(URL, {"q": "needle", "source": "amnesty"})
    assert len(result_ids(response)) == search.PAGE_SIZE


# The page ---------------------------------------------------------------------------------


def test_the_search_page_is_not_indexed(client, db):
    response = client.get(URL, {"q": "needle"})

    assertContains(response, '<meta name="robots" content="noindex">')


def test_every_page_has_a_search_form_in_its_header(client, db):
    response = client.get("/")

    assertContains(
        response, '<form class="site-search" method="get" action="/search/" role="search">'
    )
    assertContains(
        response, '<label class="visually-hidden" for="site-search-q">Search entries and quotes'
    )
    assertContains(response, 'name="q"')


def test_the_search_page_title_names_the_query(client, db):
    response = client.get(URL, {"q": "aleppo <b>"})

    assertContains(response, "<title>“aleppo &lt;b&gt;” — search · Pressimus</title>")


def test_results_link_to_entry_permalinks_that_open(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="Needle")

    response = client.get(URL, {"q": "needle"})
    permalink = client.get(entry.get_absolute_url())

    assert result_ids(response) == [entry.pk]
    assert permalink.status_code == 200
    assert "Needle" in visible_text(content(permalink))


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the plain fallback of SQLite")
def test_the_plain_fallback_marks_each_word_in_the_snippet(client, stream_a):
    factories.EntryFactory(stream=stream_a, title="Ceasefire", text="<p>Talks in Geneva</p>")

    response = client.get(URL, {"q": "geneva ceasefire"})

    assertContains(response, "<mark>Ceasefire</mark>")
    assertContains(response, "<mark>Geneva</mark>")
