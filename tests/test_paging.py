"""streams.paging: keyset cursors that keep their meaning in a link, and pages that never skip
or repeat an entry, newest first or oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory

from streams.paging import Cursor, EntryPage, cursor_from_request, page_from_request
from streams.paging import wants_oldest_first as oldest_first_wanted
from tests import factories
from tests.fixtures_pages import NOW, minutes_ago

MAX_ID = 2**63 - 1


def get(query: str = "", user=None):
    request = RequestFactory().get(f"/streams/syria/?{query}")
    request.user = user or AnonymousUser()
    return request


def entries(stream, count: int, *, same_time: bool = False) -> list:
    """Entries a minute apart (or all at one moment), oldest first."""
    return [
        factories.EntryFactory(
            stream=stream, published_at=minutes_ago(0 if same_time else count - n)
        )
        for n in range(count)
    ]


def walk(queryset, *, size: int, oldest_first: bool = False) -> list[list[int]]:
    pages, after = [], None
    while True:
        page = EntryPage.build(queryset, after=after, size=size, oldest_first=oldest_first)
        pages.append([entry.pk for entry in page.entries])
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


# Cursors


def test_a_cursor_is_the_publish_time_in_microseconds_and_the_id():
    cursor = Cursor(NOW + timedelta(microseconds=7), 42)

    assert cursor.encode() == "1450893600000007_42"
    assert Cursor.decode("1450893600000007_42") == cursor


def test_a_cursor_of_the_first_moment_of_1970_decodes_to_it():
    assert Cursor.decode("0_1") == Cursor(datetime(1970, 1, 1, tzinfo=UTC), 1)


def test_a_cursor_holds_any_id_the_database_can():
    assert Cursor.decode(f"1_{MAX_ID}") == Cursor(datetime(1970, 1, 1, 0, 0, 0, 1, UTC), MAX_ID)
    assert Cursor.decode(f"1_{MAX_ID + 1}") is None


@pytest.mark.parametrize(
    "value", [None, "", "abc", "1_", "_1", "1-1", "1_1_1", " 1_1", "1_1\n", "+1_1", "1.5_1"]
)
def test_anything_but_a_cursor_we_could_have_made_is_none(value):
    assert Cursor.decode(value) is None


def test_cursors_are_values_compared_by_their_content():
    assert Cursor(NOW, 1) == Cursor(NOW, 1) != Cursor(NOW, 2)
    assert len({Cursor(NOW, 1), Cursor(NOW, 1)}) == 1


def test_the_cursor_of_an_entry_is_its_time_and_id(stream_a):
    entry = factories.EntryFactory(stream=stream_a, published_at=NOW)

    assert Cursor.of(entry) == Cursor(NOW, entry.pk)


# Pages


@pytest.mark.parametrize("oldest_first", [False, True], ids=["newest-first", "oldest-first"])
@pytest.mark.parametrize("same_time", [False, True], ids=["a-minute-apart", "same-moment"])
def test_walking_the_pages_shows_every_entry_once_in_order(stream_a, oldest_first, same_time):
    made = entries(stream_a, 7, same_time=same_time)
    order = sorted(made, key=lambda e: (e.published_at, e.pk), reverse=not oldest_first)

    pages = walk(stream_a.entries.published(), size=3, oldest_first=oldest_first)

    assert pages == [
        [e.pk for e in order[:3]],
        [e.pk for e in order[3:6]],
        [e.pk for e in order[6:]],
    ]


def test_a_page_exactly_full_has_no_next_page(stream_a):
    entries(stream_a, 3)

    page = EntryPage.build(stream_a.entries.published(), after=None, size=3)

    assert len(page.entries) == 3
    assert (page.next_cursor, page.next_query) == (None, "")


def test_the_next_page_starts_after_the_last_entry_shown(stream_a):
    made = entries(stream_a, 4)

    page = EntryPage.build(stream_a.entries.published(), after=None, size=2)

    assert page.next_cursor == Cursor.of(made[2])
    assert page.next_query == f"before={Cursor.of(made[2]).encode()}"
    assert (page.is_first, page.start_query) == (True, "order=newest")


def test_the_next_page_oldest_first_says_so_in_its_link(stream_a):
    made = entries(stream_a, 4)

    page = EntryPage.build(stream_a.entries.published(), after=None, size=2, oldest_first=True)

    assert page.next_query == f"order=oldest&after={Cursor.of(made[1]).encode()}"
    assert page.start_query == "order=oldest"


def test_a_later_page_is_not_the_first(stream_a):
    made = entries(stream_a, 3)

    page = EntryPage.build(stream_a.entries.published(), after=Cursor.of(made[2]), size=2)

    assert page.is_first is False
    assert [e.pk for e in page.entries] == [made[1].pk, made[0].pk]


# Pages a request asks for


def test_before_asks_for_the_entries_older_than_the_cursor(stream_a, settings):
    settings.STREAM_PAGE_SIZE = 2
    made = entries(stream_a, 4)

    page = page_from_request(
        get(f"before={Cursor.of(made[2]).encode()}"), stream_a.entries.published()
    )

    assert [e.pk for e in page.entries] == [made[1].pk, made[0].pk]


def test_after_asks_for_the_entries_newer_than_the_cursor_oldest_first(stream_a, settings):
    settings.STREAM_PAGE_SIZE = 2
    made = entries(stream_a, 4)
    query = f"after={Cursor.of(made[0]).encode()}"

    page = page_from_request(get(query), stream_a.entries.published(), oldest_first=True)

    assert [e.pk for e in page.entries] == [made[1].pk, made[2].pk]


def test_after_without_order_oldest_reads_oldest_first(stream_a, settings):
    settings.STREAM_PAGE_SIZE = 2
    made = entries(stream_a, 4)
    request = get(f"after={Cursor.of(made[0]).encode()}")

    assert oldest_first_wanted(request) is True
    page = page_from_request(
        request, stream_a.entries.published(), oldest_first=oldest_first_wanted(request)
    )
    assert [e.pk for e in page.entries] == [made[1].pk, made[2].pk]


def test_a_page_asked_for_newest_first_ignores_an_after_cursor(stream_a, settings):
    settings.STREAM_PAGE_SIZE = 2
    made = entries(stream_a, 3)

    page = page_from_request(
        get(f"after={Cursor.of(made[0]).encode()}"), stream_a.entries.published()
    )

    assert [e.pk for e in page.entries] == [made[2].pk, made[1].pk]


def test_the_first_page_of_an_empty_stream_is_empty_not_missing(stream_a):
    page = page_from_request(get(), stream_a.entries.published())

    assert page.entries == [] and page.next_cursor is None


def test_a_cursor_past_the_end_is_404(stream_a):
    [entry] = entries(stream_a, 1)

    with pytest.raises(Http404):
        page_from_request(get(f"before={Cursor.of(entry).encode()}"), stream_a.entries.published())


@pytest.mark.parametrize("raw", ["", "x", f"1_{MAX_ID + 1}", "1_2_3"])
def test_a_malformed_cursor_is_404(raw):
    with pytest.raises(Http404):
        cursor_from_request(get(f"before={raw}"), "before")


def test_no_cursor_asks_for_the_first_page():
    assert cursor_from_request(get("after=1_1"), "before") is None


def test_a_page_costs_one_query_and_for_display_brings_what_its_template_shows(
    stream_a, source, django_assert_num_queries
):
    factories.EntryFactory(stream=stream_a, quotes=[source], bylines=["Anna Guest"])

    with django_assert_num_queries(1):
        page_from_request(get(), stream_a.entries.published())
    page = page_from_request(get(), stream_a.entries.published(), for_display=True)
    with django_assert_num_queries(0):
        [entry] = page.entries
        assert [b.source.name if b.source else None for b in entry.blocks.all()] == [
            None,
            "Amnesty International",
        ]
        assert [b.name for b in entry.bylines.all()] == ["Anna Guest"]


# Which order a reader sees


@pytest.mark.parametrize(
    ("query", "oldest_first"),
    [
        ("", False),
        ("order=oldest", True),
        ("order=newest", False),
        ("order=sideways", False),
        ("before=1_1", False),
        ("after=1_1", True),
        ("order=newest&after=1_1", False),
        ("order=oldest&before=1_1", True),
    ],
)
def test_the_order_comes_from_the_link_for_anyone(query, oldest_first):
    assert oldest_first_wanted(get(query)) is oldest_first


@pytest.mark.parametrize(("preference", "oldest_first"), [("oldest", True), ("newest", False)])
def test_a_signed_in_reader_gets_their_own_order_unless_the_link_says_otherwise(
    db, preference, oldest_first
):
    reader = factories.UserFactory(entry_order=preference)

    assert oldest_first_wanted(get(user=reader)) is oldest_first
    assert oldest_first_wanted(get("order=newest", user=reader)) is False
    assert oldest_first_wanted(get("before=1_1", user=reader)) is False


def test_a_request_without_a_user_reads_newest_first():
    request = RequestFactory().get("/streams/syria/")

    assert oldest_first_wanted(request) is False
