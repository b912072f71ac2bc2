"""``/sitemap.xml``: public streams, entries, publishers, sources and people; nothing else."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from streams.models import Entry, Stream
from tests import factories
from tests.fixtures_pages import NOW, draft_entry, frozen, minutes_ago, person, scheduled_entry

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap(client) -> dict[str, str | None]:
    """Every listed address with its lastmod."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in root.findall("s:url", NS)
    }


@pytest.fixture
def public_entry(stream_a, source):
    with frozen():
        entry = factories.EntryFactory(
            stream=stream_a,
            published_at=minutes_ago(30),
            quotes=[source],
            bylines=[person(handle="james")],
        )
    stream_a.refresh_last_published()
    return entry


def test_sitemap_lists_public_streams_entries_publishers_sources_and_people(
    client, stream_a, public_entry
):
    urls = sitemap(client)

    assert urls["http://testserver/streams/syria/"] == "2015-12-23"
    assert urls[f"http://testserver/streams/syria/entries/{public_entry.pk}/"] == "2015-12-23"
    assert "http://testserver/publishers/translators-desk/" in urls
    assert "http://testserver/sources/amnesty/" in urls
    assert "http://testserver/people/james/" in urls


def test_a_corrected_entry_is_last_modified_at_its_correction(client, public_entry):
    public_entry.updated_at = NOW + timedelta(days=2)
    public_entry.save()

    urls = sitemap(client)

    assert urls["http://testserver" + public_entry.get_absolute_url()] == "2015-12-25"


def test_an_ended_stream_is_listed(client, stream_a, public_entry):
    stream_a.status = Stream.Status.ENDED
    stream_a.save()

    assert "http://testserver/streams/syria/" in sitemap(client)


def test_members_only_and_draft_content_is_never_listed(client, stream_a, source):
    members = factories.StreamFactory(slug="members", visibility=Stream.Visibility.MEMBERS)
    members_entry = factories.EntryFactory(
        stream=members, quotes=[source], bylines=[person(handle="secret-writer")]
    )
    draft_stream = factories.StreamFactory(slug="draft-stream", status=Stream.Status.DRAFT)
    draft_stream_entry = factories.EntryFactory(stream=draft_stream)
    hidden = draft_entry(stream_a, bylines=[person(handle="drafter")])
    submitted = factories.EntryFactory(stream=stream_a, status=Entry.Status.SUBMITTED)
    later = scheduled_entry(stream_a, published_at=NOW + timedelta(days=30000))

    urls = "\n".join(sitemap(client))

    assert "/streams/members/" not in urls
    assert "/streams/draft-stream/" not in urls
    for entry in (members_entry, draft_stream_entry, hidden, submitted, later):
        assert f"/entries/{entry.pk}/" not in urls
    assert members.publisher.slug not in urls
    assert draft_stream.publisher.slug not in urls
    assert "/sources/amnesty/" not in urls
    assert "/people/secret-writer/" not in urls
    assert "/people/drafter/" not in urls
    assert "/streams/syria/" in urls


def test_sitemap_costs_a_count_and_a_read_per_section(
    client, stream_a, public_entry, django_assert_max_num_queries
):
    with frozen():
        for minutes in range(5):
            factories.EntryFactory(stream=stream_a, published_at=minutes_ago(minutes + 1))
    with django_assert_max_num_queries(10):
        urls = sitemap(client)

    assert len(urls) == 1 + 6 + 1 + 1 + 1
