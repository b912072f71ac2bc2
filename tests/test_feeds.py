"""Atom feeds of streams, publishers and sources (`/streams/<slug>/feed/` and the like)."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains

from streams import services
from streams.models import Block, Entry, Stream
from tests import factories
from tests.fixtures_pages import NOW, frozen, minutes_ago, person, rich_entry, scheduled_entry

STREAM_FEED = "/streams/syria/feed/"
PUBLISHER_FEED = "/publishers/translators-desk/feed/"
SOURCE_FEED = "/sources/amnesty/feed/"
ATOM = "{http://www.w3.org/2005/Atom}"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def james(db):
    return person(display_name="James Miller", handle="james-miller")


@pytest.fixture
def entry(stream_a, source, james):
    return rich_entry(
        stream_a,
        published_at=minutes_ago(30),
        sources=[source],
        profile=james,
        title="Amnesty International 'Unmasks' Russian Claims",
    )


@pytest.fixture
def members_stream(publisher_a):
    return factories.StreamFactory(
        publisher=publisher_a, slug="closed", visibility=Stream.Visibility.MEMBERS
    )


def parsed(client, url: str, **request) -> feedparser.FeedParserDict:
    response = client.get(url, **request)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def entry_ids(feed) -> list[str]:
    return [item.id for item in feed.entries]


def permalink(entry: Entry) -> str:
    return f"http://testserver{entry.get_absolute_url()}"


def atom_id(entry: Entry) -> str:
    return f"tag:news.example.org,{entry.created_at:%Y-%m-%d}:entry/{entry.pk}"


@pytest.fixture(autouse=True)
def _feed_id_authority(settings):
    settings.FEED_ID_AUTHORITY = "news.example.org"


# What Atom requires


@pytest.mark.parametrize("url", [STREAM_FEED, PUBLISHER_FEED, SOURCE_FEED])
def test_each_feed_has_what_atom_requires(client, entry, url):
    feed = parsed(client, url)

    assert feed.version == "atom10"
    assert feed.feed.id
    assert feed.feed.title
    assert feed.feed.updated_parsed is not None
    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        f"http://testserver{url}"
    ]
    [item] = feed.entries
    assert item.id == atom_id(entry)
    assert item.title == "Amnesty International 'Unmasks' Russian Claims"
    assert item.updated_parsed is not None
    assert item.link == permalink(entry)
    assert item.content[0].type == "text/html"


def test_stream_feed_is_titled_after_the_stream_and_its_publisher(client, entry, stream_a):
    feed = parsed(client, STREAM_FEED)

    assert feed.feed.title == "Syria: December 23 — The Translator's Desk"
    assert feed.feed.id == f"tag:news.example.org,2015-12-23:stream/{stream_a.pk}"
    assert feed.feed.author == "The Translator's Desk"


def test_untitled_entry_gets_a_title_from_its_time(client, stream_a):
    factories.EntryFactory(stream=stream_a, title="", published_at=minutes_ago(5))

    [item] = parsed(client, STREAM_FEED).entries

    assert item.title == "Update of 23 December 2015, 17:55"


# Content


def test_content_is_the_whole_entry_with_its_quote(client, entry):
    [item] = parsed(client, STREAM_FEED).entries
    html = item.content[0].value

    assert "Writer&#x27;s text." in html or "Writer's text." in html
    assert "Amnesty International</a> reports:" in html
    assert "<blockquote" in html
    assert "Quoted text from Amnesty International." in html
    assert "More of the writer" in html


def test_content_links_are_absolute(client, entry):
    [item] = parsed(client, STREAM_FEED).entries
    html = item.content[0].value

    assert 'href="http://testserver/sources/amnesty/"' in html
    assert 'href="http://testserver/people/james-miller/"' in html


def test_content_is_sanitised(client, stream_a):
    factories.EntryFactory(
        stream=stream_a,
        text='<p>Calm.</p><script>alert("x")</script><img src=x onerror="alert(1)">',
    )

    [item] = parsed(client, STREAM_FEED).entries
    raw = client.get(STREAM_FEED).content.decode()

    assert "Calm." in item.content[0].value
    assert "<script" not in raw and "&lt;script" not in raw
    assert "onerror" not in raw


# Authors


def test_authors_are_the_bylines_in_order(client, entry):
    [item] = parsed(client, STREAM_FEED).entries

    assert [author.name for author in item.authors] == ["James Miller", "Anna Guest"]
    assert item.authors[0].href == "http://testserver/people/james-miller/"
    assert "href" not in item.authors[1]


def test_entry_without_byline_has_no_author_of_its_own(client, stream_a):
    factories.EntryFactory(stream=stream_a)

    raw = client.get(STREAM_FEED).content
    root = ElementTree.fromstring(raw)

    [atom_entry] = root.findall(f"{ATOM}entry")
    assert atom_entry.findall(f"{ATOM}author") == []
    # The feed's own author stands for it, as Atom requires.
    assert root.find(f"{ATOM}author/{ATOM}name").text == "The Translator's Desk"


# Corrections


def test_updated_moves_when_an_entry_is_corrected(client, entry):
    before = parsed(client, STREAM_FEED)
    assert before.entries[0].updated_parsed == before.entries[0].published_parsed

    with frozen(NOW + timedelta(hours=2)):
        services.entry_record_edit(entry=entry, note="The casualty figure was corrected.")
    after = parsed(client, STREAM_FEED)

    [item] = after.entries
    assert item.updated_parsed > item.published_parsed
    assert item.updated.startswith("2015-12-23T20:00:00")
    assert after.feed.updated.startswith("2015-12-23T20:00:00")
    assert item.id == atom_id(entry)


def test_correction_note_is_in_the_content(client, entry):
    with frozen(NOW + timedelta(hours=2)):
        services.entry_record_edit(entry=entry, note="The casualty figure was corrected.")

    [item] = parsed(client, STREAM_FEED).entries
    html = item.content[0].value

    assert "<strong>Updated" in html
    assert "23 December 2015, 20:00" in html
    assert "— The casualty figure was corrected." in html


# What never appears


def test_members_only_stream_feed_is_404_even_for_a_member(
    client, client_as, member, members_stream
):
    factories.EntryFactory(stream=members_stream)

    assert client.get("/streams/closed/feed/").status_code == 404
    assert client_as(member).get("/streams/closed/feed/").status_code == 404


def test_members_only_entries_never_reach_publisher_or_source_feeds(
    client_as, member, entry, members_stream, source
):
    secret = factories.EntryFactory(stream=members_stream, title="Members' secret", quotes=[source])

    reader = client_as(member)
    for url in (PUBLISHER_FEED, SOURCE_FEED):
        feed = parsed(reader, url)
        assert entry_ids(feed) == [atom_id(entry)], url
        assert atom_id(secret) not in entry_ids(feed)


def test_drafts_and_future_entries_never_appear(client, stream_a, source, entry):
    factories.EntryFactory(
        stream=stream_a, status=Entry.Status.DRAFT, published_at=None, quotes=[source]
    )
    scheduled_entry(stream_a, published_at=NOW + timedelta(hours=1), quotes=[source])
    draft_stream = factories.StreamFactory(
        publisher=stream_a.publisher, slug="draft-stream", status=Stream.Status.DRAFT
    )
    factories.EntryFactory(stream=draft_stream, quotes=[source])

    for url in (STREAM_FEED, PUBLISHER_FEED, SOURCE_FEED):
        assert entry_ids(parsed(client, url)) == [atom_id(entry)], url
    assert client.get("/streams/draft-stream/feed/").status_code == 404


def test_scheduled_entry_appears_once_its_time_comes(client, stream_a):
    later = scheduled_entry(stream_a, published_at=NOW + timedelta(hours=1))
    assert entry_ids(parsed(client, STREAM_FEED)) == []

    with frozen(NOW + timedelta(hours=2)):
        assert entry_ids(parsed(client, STREAM_FEED)) == [atom_id(later)]


def test_source_feed_lists_only_entries_quoting_it(client, stream_a, source, entry):
    other = factories.SourceFactory(name="Sputnik", slug="sputnik")
    factories.EntryFactory(stream=stream_a, quotes=[other])

    assert entry_ids(parsed(client, SOURCE_FEED)) == [atom_id(entry)]


def test_publisher_feed_lists_all_its_public_streams(client, publisher_a, stream_a, stream_b):
    second = factories.StreamFactory(publisher=publisher_a, slug="second")
    older = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(20))
    newer = factories.EntryFactory(stream=second, published_at=minutes_ago(10))
    factories.EntryFactory(stream=stream_b)

    assert entry_ids(parsed(client, PUBLISHER_FEED)) == [atom_id(newer), atom_id(older)]


@pytest.mark.parametrize(
    "url", ["/streams/nowhere/feed/", "/publishers/nowhere/feed/", "/sources/nowhere/feed/"]
)
def test_unknown_slug_is_404(client, db, url):
    assert client.get(url).status_code == 404


# Order and size


def test_feed_holds_the_latest_fifty_newest_first(client, stream_a):
    entries = [
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(100 - i))
        for i in range(55)
    ]

    ids = entry_ids(parsed(client, STREAM_FEED))

    assert ids == [atom_id(e) for e in reversed(entries[5:])]


# Bad data


def test_control_characters_never_break_the_xml(client, stream_a, entry):
    # Fields strip them on save; an update() in bulk does not go through the fields.
    Entry.objects.filter(pk=entry.pk).update(
        title="Bell\x07 and form\x0c feed", correction_note="Note\x0b with tab"
    )
    Block.objects.filter(entry=entry, kind=Block.Kind.TEXT).update(body="<p>Text\x1b here</p>")

    feed = parsed(client, STREAM_FEED)

    assert feed.entries[0].title == "Bell and form feed"
    assert "Text here" in feed.entries[0].content[0].value


# Speed


def test_query_count_does_not_grow_with_entries(client, stream_a, source, james):
    def queries_for(count: int) -> int:
        Entry.objects.all().delete()
        for i in range(count):
            rich_entry(stream_a, published_at=minutes_ago(i + 1), sources=[source], profile=james)
        with CaptureQueriesContext(connection) as captured:
            parsed(client, STREAM_FEED)
        return len(captured)

    assert queries_for(5) == queries_for(30)


@pytest.mark.parametrize("url", [PUBLISHER_FEED, SOURCE_FEED])
def test_cross_stream_feeds_query_count_does_not_grow(client, stream_a, source, james, url):
    def queries_for(count: int) -> int:
        Entry.objects.all().delete()
        for i in range(count):
            rich_entry(stream_a, published_at=minutes_ago(i + 1), sources=[source], profile=james)
        with CaptureQueriesContext(connection) as captured:
            parsed(client, url)
        return len(captured)

    assert queries_for(5) == queries_for(30)


# Discovery from the pages


def test_stream_page_links_its_feed(client, stream_a):
    assertContains(
        client.get("/streams/syria/"),
        '<link rel="alternate" type="application/atom+xml" '
        'title="Syria: December 23 — The Translator&#x27;s Desk (Atom)" '
        'href="/streams/syria/feed/">',
        html=True,
    )


def test_publisher_page_links_its_feed(client, publisher_a):
    assertContains(
        client.get("/publishers/translators-desk/"),
        'href="/publishers/translators-desk/feed/"',
    )


def test_source_page_links_its_feed(client, source):
    assertContains(client.get("/sources/amnesty/"), 'href="/sources/amnesty/feed/"')


def test_members_only_stream_page_offers_no_feed(client_as, member, members_stream):
    response = client_as(member).get("/streams/closed/")

    assert response.status_code == 200
    assert "application/atom+xml" not in response.content.decode()


# Permanent ids


@pytest.mark.parametrize("url", [STREAM_FEED, PUBLISHER_FEED, SOURCE_FEED])
def test_ids_are_the_same_under_another_host(client, settings, entry, url):
    settings.ALLOWED_HOSTS = ["testserver", "news.example.org", "127.0.0.1"]
    here = parsed(client, url)
    there = parsed(client, url, HTTP_HOST="127.0.0.1:8443", secure=True)

    # The links follow the host asked; the ids do not.
    assert here.feed.link != there.feed.link
    assert there.feed.id == here.feed.id
    assert entry_ids(there) == entry_ids(here) == [atom_id(entry)]


def test_ids_are_tag_uris_of_the_authority_the_day_and_the_object(client, stream_a, entry):
    feed = parsed(client, STREAM_FEED)

    assert feed.feed.id == f"tag:news.example.org,2015-12-23:stream/{stream_a.pk}"
    assert feed.entries[0].id == f"tag:news.example.org,2015-12-23:entry/{entry.pk}"


def test_source_and_publisher_feeds_have_ids_of_their_own(client, publisher_a, source, entry):
    publisher_feed = parsed(client, PUBLISHER_FEED)
    source_feed = parsed(client, SOURCE_FEED)

    assert publisher_feed.feed.id == f"tag:news.example.org,2015-12-23:publisher/{publisher_a.pk}"
    assert source_feed.feed.id == f"tag:news.example.org,2026-11-29:source/{source.pk}"
    # An entry is the same entry in every feed it appears in.
    assert entry_ids(publisher_feed) == entry_ids(source_feed) == [atom_id(entry)]


def test_an_entry_keeps_its_id_when_edited_renamed_and_republished(client, entry):
    before = entry_ids(parsed(client, STREAM_FEED))

    with frozen(NOW + timedelta(days=3)):
        entry.title = "A new title"
        entry.published_at = NOW - timedelta(minutes=1)
        entry.save()
        after = entry_ids(parsed(client, STREAM_FEED))

    assert after == before


def test_the_authority_comes_from_the_settings(client, settings, entry):
    settings.FEED_ID_AUTHORITY = "desk@pressimus.example"

    [item] = parsed(client, STREAM_FEED).entries

    assert item.id == f"tag:desk@pressimus.example,2015-12-23:entry/{entry.pk}"


# Key events


def test_a_pinned_entry_is_marked_as_a_key_event(client, stream_a, entry):
    pinned = factories.EntryFactory(
        stream=stream_a, title="Ceasefire", published_at=minutes_ago(10), pinned=True
    )

    root = ElementTree.fromstring(client.get(STREAM_FEED).content)

    categories = {
        atom_entry.find(f"{ATOM}id").text: [
            category.attrib for category in atom_entry.findall(f"{ATOM}category")
        ]
        for atom_entry in root.findall(f"{ATOM}entry")
    }
    assert categories == {
        atom_id(pinned): [{"term": "key-event", "label": "Key event"}],
        atom_id(entry): [],
    }


@pytest.mark.parametrize("url", [PUBLISHER_FEED, SOURCE_FEED])
def test_key_events_are_marked_in_the_cross_stream_feeds_too(client, stream_a, source, url):
    factories.EntryFactory(stream=stream_a, pinned=True, quotes=[source])

    [item] = parsed(client, url).entries

    assert [(tag.term, tag.label) for tag in item.tags] == [("key-event", "Key event")]
