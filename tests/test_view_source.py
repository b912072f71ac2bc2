"""A quoted source's page at ``/sources/<slug>/``: every entry quoting it, across publishers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from streams.models import Block, Stream
from tests import factories
from tests.fixtures_pages import (
    NOW,
    draft_entry,
    flow_ids,
    joined,
    minutes_ago,
    newest_first,
    person,
    rich_entry,
    scheduled_entry,
    walk_pages,
)

URL = "/sources/amnesty/"


pytestmark = pytest.mark.usefixtures("frozen_clock")


def test_source_page_names_the_source(client, source):
    response = client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Amnesty International</h1>", html=True)
    assertContains(response, '<p class="eyebrow">Source · NGO</p>', html=True)
    assertContains(
        response, '<a href="https://www.amnesty.org/" rel="nofollow noopener">amnesty.org</a>'
    )


def test_source_page_lists_entries_quoting_it_across_publishers_newest_first(
    client, source, stream_a, stream_b
):
    older = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30), quotes=[source])
    newer = factories.EntryFactory(stream=stream_b, published_at=minutes_ago(10), quotes=[source])

    response = client.get(URL)

    assert flow_ids(response) == [newer.pk, older.pk]
    assertContains(
        response,
        '<span class="entry__stream">in <a href="/streams/syria/">Syria: December 23</a>'
        " · The Translator's Desk</span>",
        html=True,
    )
    assertContains(
        response,
        '<span class="entry__stream">in <a href="/streams/flood-watch/">Flood watch</a>'
        " · Harbour Light</span>",
        html=True,
    )


def test_source_page_links_each_entry_to_its_permalink(client, source, stream_b):
    entry = factories.EntryFactory(stream=stream_b, title="Dams opened", quotes=[source])

    response = client.get(URL)

    assertContains(
        response, f'<a href="/streams/flood-watch/entries/{entry.pk}/">Dams opened</a>', html=True
    )


def test_source_page_does_not_list_entries_quoting_other_sources(client, source, stream_a):
    factories.EntryFactory(stream=stream_a, quotes=[factories.SourceFactory()])

    response = client.get(URL)

    assert flow_ids(response) == []
    assertContains(response, "No published entry quotes Amnesty International yet.")


def test_source_page_does_not_list_draft_or_future_entries(client, source, stream_a):
    draft_entry(stream_a, quotes=[source])
    scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=5), quotes=[source])
    past = scheduled_entry(stream_a, published_at=minutes_ago(5), quotes=[source])

    response = client.get(URL)

    assert flow_ids(response) == [past.pk]


@pytest.mark.parametrize(
    "hidden",
    [
        {"status": Stream.Status.DRAFT},
        {"visibility": Stream.Visibility.MEMBERS},
    ],
    ids=["draft stream", "members-only stream"],
)
def test_source_page_does_not_list_entries_of_hidden_streams(client, source, publisher_b, hidden):
    stream = factories.StreamFactory(publisher=publisher_b, title="Hidden stream", **hidden)
    factories.EntryFactory(stream=stream, quotes=[source])

    response = client.get(URL)

    assert flow_ids(response) == []
    assertNotContains(response, "Hidden stream")


def test_entry_quoting_the_source_twice_is_listed_once(client, source, stream_a):
    entry = factories.EntryFactory(stream=stream_a, quotes=[source, source])

    response = client.get(URL)

    assert flow_ids(response) == [entry.pk]
    assert Block.objects.filter(entry=entry, source=source).count() == 2


def test_source_page_is_paged_without_repeating_or_skipping(
    client, settings, source, stream_a, stream_b
):
    settings.STREAM_PAGE_SIZE = 2
    same_moment = minutes_ago(15)
    entries = [
        factories.EntryFactory(
            stream=stream_a if n % 2 else stream_b,
            published_at=same_moment if n in (2, 3, 4) else minutes_ago(n),
            quotes=[source],
        )
        for n in range(7)
    ]

    pages = walk_pages(client, URL)

    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert joined(pages) == newest_first(entries)


@pytest.mark.parametrize("cursor", ["abc", "1_", "99999999999999999999_1", "1_1"])
def test_source_page_with_a_bad_or_exhausted_cursor_gives_404(client, source, stream_a, cursor):
    factories.EntryFactory(stream=stream_a, quotes=[source])

    response = client.get(URL, {"before": cursor})

    assert response.status_code == 404


def test_unknown_source_gives_404(client, db):
    response = client.get("/sources/no-such-outlet/")

    assertContains(response, "We could not find that page", status_code=404)


def test_source_page_costs_a_bounded_number_of_queries(
    client, source, stream_a, stream_b, django_assert_max_num_queries
):
    profile = person()
    other = factories.SourceFactory()
    for n in range(6):
        rich_entry(
            stream_a if n % 2 else stream_b,
            published_at=minutes_ago(n + 1),
            sources=[source, other],
            profile=profile,
        )

    with django_assert_max_num_queries(5):
        response = client.get(URL)

    assert len(flow_ids(response)) == 6
