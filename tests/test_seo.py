"""Structured data and sharing: canonical addresses, Open Graph, schema.org JSON-LD."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from streams import seo
from streams.models import Stream
from tests import factories
from tests.fixtures_pages import NOW, content, frozen, minutes_ago, older_link, person

_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
_META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')
_CANONICAL = re.compile(r'<link rel="canonical" href="([^"]*)">')


def ld(response) -> dict:
    blocks = _LD.findall(content(response))
    assert len(blocks) == 1
    return json.loads(blocks[0])


def metas(response) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _META.findall(content(response))}


def canonical(response) -> str:
    return html.unescape(_CANONICAL.search(content(response))[1])


@pytest.fixture
def writer(db):
    return person(display_name="James Snell", handle="james")


@pytest.fixture
def entry(stream_a, source, writer):
    with frozen():
        return factories.EntryFactory(
            stream=stream_a,
            title="Strikes reported near Aleppo",
            published_at=minutes_ago(30),
            quotes=[source],
            bylines=[writer, "Anna Guest"],
        )


# The escaping helper -----------------------------------------------------------------------


def test_ld_json_escapes_what_could_close_the_script_element():
    text = seo.ld_json({"headline": "</script><script>alert(1)</script> & more"})

    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"headline": "</script><script>alert(1)</script> & more"}


def test_canonical_url_keeps_only_the_paging_cursor():
    url = seo.canonical_url(
        "https", "pressimus.example", "/streams/syria/", {"order": "oldest", "before": "abc"}
    )

    assert url == "https://pressimus.example/streams/syria/?before=abc"


# The stream page ---------------------------------------------------------------------------


def test_stream_page_describes_itself_as_a_live_blog_with_its_updates(client, entry, source):
    with frozen():
        response = client.get("/streams/syria/")

    data = ld(response)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "LiveBlogPosting"
    assert data["headline"] == "Syria: December 23"
    assert data["url"] == "http://testserver/streams/syria/"
    assert data["coverageStartTime"] == entry.published_at.isoformat()
    assert "coverageEndTime" not in data
    assert data["datePublished"] and data["dateModified"] and data["description"]
    assert data["publisher"] == {
        "@type": "Organization",
        "name": "The Translator's Desk",
        "url": "http://testserver/publishers/translators-desk/",
    }
    [update] = data["liveBlogUpdate"]
    assert update["@type"] == "BlogPosting"
    assert update["headline"] == "Strikes reported near Aleppo"
    assert update["url"] == f"http://testserver/streams/syria/entries/{entry.pk}/"
    assert update["datePublished"] == entry.published_at.isoformat()
    assert update["dateModified"] == entry.published_at.isoformat()
    assert "Writer's text." in update["articleBody"]
    assert "<p>" not in update["articleBody"]
    assert [author["name"] for author in update["author"]] == ["James Snell", "Anna Guest"]
    assert update["author"][0]["url"] == "http://testserver/people/james/"
    assert update["citation"] == [
        {
            "@type": "CreativeWork",
            "name": "Amnesty International",
            "url": f"https://www.amnesty.org/article/{entry.pk}",
        }
    ]


def test_stream_started_at_is_the_coverage_start(client, stream_a, entry):
    stream_a.started_at = NOW - timedelta(hours=3)
    stream_a.save()

    with frozen():
        data = ld(client.get("/streams/syria/"))

    assert data["coverageStartTime"] == stream_a.started_at.isoformat()


def test_an_ended_stream_gets_a_coverage_end_time(client, stream_a, entry):
    stream_a.status = Stream.Status.ENDED
    stream_a.ended_at = NOW - timedelta(minutes=10)
    stream_a.save()

    with frozen():
        data = ld(client.get("/streams/syria/"))

    assert data["coverageEndTime"] == stream_a.ended_at.isoformat()


def test_a_title_cannot_break_out_of_the_json_ld(client, stream_a):
    stream_a.title = "</script><script>alert(1)</script>"
    stream_a.save()
    with frozen():
        factories.EntryFactory(stream=stream_a, title="</script>&<b>", published_at=minutes_ago(5))

        response = client.get("/streams/syria/")

    page = content(response)
    assert "<script>alert(1)" not in page
    data = ld(response)
    assert data["headline"] == "</script><script>alert(1)</script>"
    assert data["liveBlogUpdate"][0]["headline"] == "</script>&<b>"


def test_stream_page_has_canonical_open_graph_and_twitter_tags(client, stream_a, entry):
    stream_a.summary = "Reports from the north of Syria."
    stream_a.save()

    with frozen():
        response = client.get("/streams/syria/?order=oldest&utm_source=x")

    assert canonical(response) == "http://testserver/streams/syria/"
    tags = metas(response)
    assert tags["og:type"] == "website"
    assert tags["og:title"] == "Syria: December 23 — The Translator's Desk"
    assert tags["og:description"] == "Reports from the north of Syria."
    assert tags["og:url"] == "http://testserver/streams/syria/"
    assert tags["og:site_name"] == "Pressimus"
    assert tags["twitter:card"] == "summary_large_image"


def test_an_older_page_is_its_own_canonical_address(client, settings, stream_a):
    settings.STREAM_PAGE_SIZE = 1
    with frozen():
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
        link = older_link(client.get("/streams/syria/"))
        response = client.get(f"/streams/syria/{link}&order=newest")

    assert link is not None
    assert canonical(response) == f"http://testserver/streams/syria/{link}"


def test_structured_data_costs_no_query_on_the_stream_page(
    client, stream_a, source, writer, django_assert_max_num_queries
):
    with frozen():
        for minutes in range(5):
            factories.EntryFactory(
                stream=stream_a,
                published_at=minutes_ago(minutes + 1),
                quotes=[source],
                bylines=[writer],
                pinned=minutes == 0,
            )
        with django_assert_max_num_queries(7):
            response = client.get("/streams/syria/")

    assert len(ld(response)["liveBlogUpdate"]) == 5


def test_a_publisher_logo_is_in_the_publisher_data(publisher_a):
    publisher_a.logo.name = "publishers/desk.png"

    data = seo.publisher_data(publisher_a, lambda path: f"https://p.example{path}")

    assert data["logo"]["url"].startswith("https://p.example/")
    assert data["logo"]["url"].endswith("publishers/desk.png")


# The permalink -----------------------------------------------------------------------------


def test_permalink_is_a_news_article(client, entry):
    with frozen():
        response = client.get(entry.get_absolute_url())

    data = ld(response)
    url = f"http://testserver/streams/syria/entries/{entry.pk}/"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Strikes reported near Aleppo"
    assert data["datePublished"] == entry.published_at.isoformat()
    assert data["dateModified"] == entry.published_at.isoformat()
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url}
    assert [author["name"] for author in data["author"]] == ["James Snell", "Anna Guest"]
    assert data["publisher"]["name"] == "The Translator's Desk"
    assert data["citation"][0]["name"] == "Amnesty International"
    assert "correction" not in data


def test_a_corrected_permalink_carries_its_correction(client, entry):
    entry.correction_note = "An earlier version gave the wrong town."
    entry.updated_at = NOW - timedelta(minutes=5)
    entry.save()

    with frozen():
        response = client.get(entry.get_absolute_url())

    data = ld(response)
    assert data["correction"] == {
        "@type": "CorrectionComment",
        "text": "An earlier version gave the wrong town.",
        "datePublished": entry.updated_at.isoformat(),
    }
    assert data["dateModified"] == entry.updated_at.isoformat()
    assert metas(response)["article:modified_time"] == entry.updated_at.isoformat()


def test_a_correction_appears_in_the_stream_updates_too(client, entry):
    entry.correction_note = "Corrected the town."
    entry.updated_at = NOW - timedelta(minutes=5)
    entry.save()

    with frozen():
        data = ld(client.get("/streams/syria/"))

    assert data["liveBlogUpdate"][0]["correction"]["text"] == "Corrected the town."
    assert data["dateModified"] == entry.updated_at.isoformat()


def test_permalink_is_an_article_for_open_graph(client, entry):
    with frozen():
        response = client.get(entry.get_absolute_url() + "?utm_source=x")

    url = f"http://testserver/streams/syria/entries/{entry.pk}/"
    assert canonical(response) == url
    tags = metas(response)
    assert tags["og:type"] == "article"
    assert tags["og:url"] == url
    assert tags["og:title"] == "Strikes reported near Aleppo — Syria: December 23"
    assert "Writer's text." in tags["og:description"]
    assert tags["article:published_time"] == entry.published_at.isoformat()
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["description"] == tags["og:description"]


def test_every_page_has_an_absolute_canonical_address(client, db):
    response = client.get("/?utm_source=x")

    assert canonical(response) == "http://testserver/"
    assert metas(response)["og:site_name"] == "Pressimus"


# Key events --------------------------------------------------------------------------------


def test_a_key_event_is_tagged_among_the_live_blog_updates(client, stream_a, entry):
    with frozen():
        pinned = factories.EntryFactory(
            stream=stream_a, title="Ceasefire announced", published_at=minutes_ago(10), pinned=True
        )
        data = ld(client.get("/streams/syria/"))

    keywords = {update["url"]: update.get("keywords") for update in data["liveBlogUpdate"]}
    assert keywords == {
        f"http://testserver/streams/syria/entries/{pinned.pk}/": ["key event"],
        f"http://testserver/streams/syria/entries/{entry.pk}/": None,
    }


def test_a_key_events_permalink_is_tagged_too(client, entry):
    entry.pinned = True
    entry.save()

    with frozen():
        data = ld(client.get(entry.get_absolute_url()))

    assert data["keywords"] == ["key event"]


def test_an_ordinary_permalink_has_no_keywords(client, entry):
    with frozen():
        data = ld(client.get(entry.get_absolute_url()))

    assert "keywords" not in data
