"""oEmbed at ``/oembed/?url=``, the entry embed it frames, and the discovery links."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories
from tests.fixtures_api import PERSONAS, members_only_stream
from tests.fixtures_pages import minutes_ago

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def members_stream(publisher_b):
    return members_only_stream(publisher_b)


STREAM_URL = "http://testserver/streams/syria/"
DISCOVERY = re.compile(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"')


def oembed(client, url, **params):
    return client.get("/oembed/", {"url": url, **params})


# The answer


def test_a_stream_url_gets_a_rich_embed_of_the_stream(client, stream_a):
    response = oembed(client, STREAM_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer == {
        "type": "rich",
        "version": "1.0",
        "title": "Syria: December 23",
        "author_name": "The Translator's Desk",
        "author_url": "http://testserver/publishers/translators-desk/",
        "provider_name": "Pressimus",
        "provider_url": "http://testserver/",
        "html": '<iframe src="http://testserver/streams/syria/embed/" '
        'title="Syria: December 23 — The Translator&#x27;s Desk" width="600" height="600" '
        'loading="lazy"></iframe>',
        "width": 600,
        "height": 600,
    }


def test_an_entry_url_gets_an_embed_of_that_one_entry(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="Amnesty 'unmasks' claims")

    answer = oembed(client, f"http://testserver{entry.get_absolute_url()}").json()

    assert answer["title"] == "Amnesty 'unmasks' claims"
    assert f'src="http://testserver/streams/syria/entries/{entry.pk}/embed/"' in answer["html"]
    assert (answer["width"], answer["height"]) == (600, 400)


def test_an_untitled_entry_is_named_by_its_time_in_the_newsroom(client, stream_a):
    stream_a.publisher.time_zone = "Europe/Moscow"
    stream_a.publisher.save()
    entry = factories.EntryFactory(stream=stream_a, title="", published_at=minutes_ago(5))

    answer = oembed(client, f"http://testserver{entry.get_absolute_url()}").json()

    assert answer["title"] == "Update of 23 December 2015, 20:55"


def test_maxwidth_and_maxheight_are_honoured(client, stream_a):
    answer = oembed(client, STREAM_URL, maxwidth="320", maxheight="240").json()

    assert (answer["width"], answer["height"]) == (320, 240)
    assert 'width="320" height="240"' in answer["html"]


def test_larger_maxima_leave_our_sizes(client, stream_a):
    answer = oembed(client, STREAM_URL, maxwidth="4000", maxheight="3000").json()

    assert (answer["width"], answer["height"]) == (600, 600)


@pytest.mark.parametrize("value", ["wide", "-5", "0", "12", "1e3", "99999999999"])
def test_a_bad_size_is_400(client, stream_a, value):
    response = oembed(client, STREAM_URL, maxwidth=value)

    assert response.status_code == 400
    assert "maxwidth" in response.json()["detail"]


def test_format_json_is_served_and_another_format_is_501(client, stream_a):
    assert oembed(client, STREAM_URL, format="json").status_code == 200
    response = oembed(client, STREAM_URL, format="xml")
    assert response.status_code == 501
    assert response.json()["detail"] == "Only format=json is offered."


def test_the_answer_is_public_and_open_to_any_site(client, stream_a):
    response = oembed(client, STREAM_URL)

    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"].startswith("public")
    assert response["ETag"]


# Refusals


def test_a_missing_url_is_400(client, db):
    response = client.get("/oembed/")

    assert response.status_code == 400
    assert "?url=" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "https://elsewhere.example/streams/syria/",
        "http://testserver.evil.example/streams/syria/",
        "ftp://testserver/streams/syria/",
        "//testserver/streams/syria/",
        "javascript:alert(1)",
        "http://[::1/streams/syria/",
        "http://testserver/",
        "http://testserver/publishers/translators-desk/",
        "http://testserver/streams/syria/feed/",
        "http://testserver/streams/syria/embed/",
        "http://testserver/streams/nowhere/",
        "http://testserver/streams/syria/entries/999999/",
        f"http://testserver/streams/syria/entries/{2**64}/",
        "http://testserver/no/such/path/",
    ],
)
def test_an_url_of_another_site_or_no_stream_is_404_json_with_a_message(client, stream_a, url):
    response = oembed(client, url)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "not the address of a public stream or entry on this site" in response.json()["detail"]


def test_a_members_stream_or_entry_is_404_for_everyone(client, client_as, member, members_stream):
    entry = factories.EntryFactory(stream=members_stream)

    for who in (client, client_as(member)):
        assert oembed(who, "http://testserver/streams/closed/").status_code == 404
        entry_url = f"http://testserver{entry.get_absolute_url()}"
        assert oembed(who, entry_url).status_code == 404


def test_an_unpublished_entry_is_404(client, stream_a):
    draft = factories.EntryFactory(stream=stream_a, status="draft", published_at=None)

    assert oembed(client, f"http://testserver{draft.get_absolute_url()}").status_code == 404


def test_writing_is_405_json(client, stream_a):
    response = client.post("/oembed/", {"url": STREAM_URL})

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"


# The entry embed it frames


def test_the_entry_embed_shows_that_entry_and_may_be_framed_anywhere(client, stream_a, source):
    entry = factories.EntryFactory(stream=stream_a, title="Amnesty report", quotes=[source])
    factories.EntryFactory(stream=stream_a, title="Another entry")

    response = client.get(f"/streams/syria/entries/{entry.pk}/embed/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assertContains(response, "Amnesty report")
    assertContains(response, "Quoted text from Amnesty International.")
    assertNotContains(response, "Another entry")
    assertContains(response, f'href="{entry.get_absolute_url()}"')


def test_the_entry_embed_of_a_members_stream_is_404_even_to_a_member(
    client_as, member, members_stream
):
    entry = factories.EntryFactory(stream=members_stream)

    assert client_as(member).get(f"/streams/closed/entries/{entry.pk}/embed/").status_code == 404


def test_the_entry_embed_of_a_draft_or_an_unknown_entry_is_404(client, stream_a):
    draft = factories.EntryFactory(stream=stream_a, status="draft", published_at=None)

    assert client.get(f"/streams/syria/entries/{draft.pk}/embed/").status_code == 404
    assert client.get(f"/streams/syria/entries/{2**64}/embed/").status_code == 404


# Discovery


def _discovered(response) -> dict:
    href = html.unescape(DISCOVERY.search(response.content.decode())[1])
    parts = urlsplit(href)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "http://testserver/oembed/"
    return {name: values[0] for name, values in parse_qs(parts.query).items()}


def test_the_stream_page_names_its_oembed(client, stream_a):
    response = client.get("/streams/syria/")

    assert _discovered(response) == {"url": STREAM_URL, "format": "json"}
    assertContains(response, 'title="Syria: December 23 — The Translator&#x27;s Desk"')


def test_the_entry_page_names_its_oembed_and_it_answers(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="Amnesty report")

    query = _discovered(client.get(entry.get_absolute_url()))

    assert query["url"] == f"http://testserver{entry.get_absolute_url()}"
    answer = client.get("/oembed/", query).json()
    assert answer["title"] == "Amnesty report"


@pytest.mark.parametrize("persona", PERSONAS)
def test_members_only_pages_name_no_oembed(client_as, request, members_stream, persona):
    client = client_as(request.getfixturevalue(persona))
    entry = factories.EntryFactory(stream=members_stream)

    assertNotContains(client.get("/streams/closed/"), "json+oembed")
    assertNotContains(client.get(entry.get_absolute_url()), "json+oembed")
