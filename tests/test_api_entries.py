"""``/api/streams/<slug>/entries`` and ``/api/streams/<slug>/entries/<id>``: pages of entries
by cursor, both orders, what an entry holds, and who may read them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streams.models import Block, Entry
from streams.paging import Cursor
from tests import factories
from tests.fixtures_api import PERSONAS, bearer, ids, members_only_stream, token_for
from tests.fixtures_pages import NOW, minutes_ago, person, rich_entry

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def members_stream(publisher_b):
    return members_only_stream(publisher_b)


URL = "/api/streams/syria/entries"


def _entries(stream, count: int) -> list[Entry]:
    return [
        factories.EntryFactory(stream=stream, published_at=minutes_ago(count - i))
        for i in range(count)
    ]


def _walk(client, url: str, **headers) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url, **headers)
        assert response.status_code == 200, response.content
        answer = response.json()
        pages.append(ids(answer))
        url = answer["next"]
        assert len(pages) < 50
    return pages


# Paging


def test_entries_come_newest_first_twenty_to_a_page(client, stream_a):
    entries = _entries(stream_a, 25)

    answer = client.get(URL).json()

    assert answer["order"] == "newest"
    assert ids(answer) == [entry.pk for entry in reversed(entries)][:20]
    assert answer["next_cursor"] == Cursor.of(entries[5]).encode()
    assert answer["next"] == f"http://testserver{URL}?cursor={answer['next_cursor']}"


def test_following_next_walks_every_entry_once_newest_first(client, stream_a):
    entries = _entries(stream_a, 7)

    pages = _walk(client, f"{URL}?limit=3")

    assert pages == [
        [entries[6].pk, entries[5].pk, entries[4].pk],
        [entries[3].pk, entries[2].pk, entries[1].pk],
        [entries[0].pk],
    ]


def test_following_next_walks_every_entry_once_oldest_first(client, stream_a):
    entries = _entries(stream_a, 7)

    pages = _walk(client, f"{URL}?order=oldest&limit=3")

    assert pages == [
        [entries[0].pk, entries[1].pk, entries[2].pk],
        [entries[3].pk, entries[4].pk, entries[5].pk],
        [entries[6].pk],
    ]


def test_the_cursor_keeps_its_place_while_new_entries_arrive(client, stream_a):
    entries = _entries(stream_a, 4)
    first = client.get(f"{URL}?limit=2").json()
    factories.EntryFactory(stream=stream_a, published_at=NOW - timedelta(seconds=1))

    second = client.get(first["next"]).json()

    assert ids(second) == [entries[1].pk, entries[0].pk]


def test_entries_published_in_the_same_microsecond_are_each_listed_once(client, stream_a):
    same = [factories.EntryFactory(stream=stream_a, published_at=minutes_ago(3)) for _ in range(5)]

    pages = _walk(client, f"{URL}?limit=2")

    assert sorted(pk for page in pages for pk in page) == sorted(entry.pk for entry in same)


def test_a_cursor_past_the_end_is_an_empty_last_page(client, stream_a):
    entries = _entries(stream_a, 2)

    answer = client.get(f"{URL}?cursor={Cursor.of(entries[0]).encode()}").json()

    assert answer["items"] == []
    assert answer["next_cursor"] is None
    assert answer["next"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "bad",
        "12_",
        "_12",
        "1.5_2",
        "-1_2",
        "12_34_56",
        "1" * 17 + "_1",
        "1_" + "9" * 19,
        "\uff11_\uff11",
    ],  # full-width digits
)
def test_a_malformed_cursor_is_a_clean_400(client, stream_a, cursor):
    _entries(stream_a, 2)

    response = client.get(URL, {"cursor": cursor})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert "cursor is malformed" in answer["detail"]
    assert answer["errors"][0]["location"] == "query.cursor"


@pytest.mark.parametrize("limit", ["100000", "0", "-1", "many", "101"])
def test_a_limit_out_of_bounds_is_refused_with_400_not_cut(client, stream_a, limit):
    response = client.get(URL, {"limit": limit})

    assert response.status_code == 400
    answer = response.json()
    assert answer["errors"][0]["location"] == "query.limit"
    assert "query.limit" in answer["detail"]


def test_a_limit_of_a_hundred_is_served(client, stream_a):
    _entries(stream_a, 3)

    assert client.get(URL, {"limit": "100"}).status_code == 200


def test_an_unknown_order_is_a_400(client, stream_a):
    response = client.get(URL, {"order": "random"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["location"] == "query.order"


def test_key_events_only_lists_pinned_entries(client, stream_a):
    pinned = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(9), pinned=True)
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(3))

    answer = client.get(URL, {"key_events": "true"}).json()

    assert ids(answer) == [pinned.pk]
    assert answer["items"][0]["key_event"] is True


def test_drafts_scheduled_and_unpublished_entries_are_never_listed(client, stream_a):
    shown = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    factories.EntryFactory(stream=stream_a, status=Entry.Status.DRAFT, published_at=None)
    factories.EntryFactory(
        stream=stream_a, status=Entry.Status.SCHEDULED, published_at=NOW + timedelta(hours=1)
    )
    factories.EntryFactory(
        stream=stream_a, status=Entry.Status.SUBMITTED, published_at=None, title="Waiting"
    )

    assert ids(client.get(URL).json()) == [shown.pk]


# What an entry holds


def test_an_entry_holds_its_blocks_bylines_times_and_correction(client, stream_a, source):
    writer = person(display_name="James Miller", handle="james")
    entry = rich_entry(
        stream_a,
        published_at=minutes_ago(5),
        sources=[source],
        profile=writer,
        title="Amnesty 'unmasks' claims",
        pinned=True,
        correction_note="The casualty figure was corrected.",
        updated_at=minutes_ago(1),
    )
    quote = entry.blocks.get(kind=Block.Kind.QUOTE)
    quote.original = "<p>Оригинал &amp; <em>текст</em>.</p>"
    quote.original_language = "ru"
    quote.save()

    answer = client.get(f"{URL}/{entry.pk}").json()

    assert answer["id"] == entry.pk
    assert answer["title"] == "Amnesty 'unmasks' claims"
    assert answer["url"] == f"http://testserver/streams/syria/entries/{entry.pk}/"
    assert answer["api_url"] == f"http://testserver/api/streams/syria/entries/{entry.pk}"
    assert answer["published_at"] == "2015-12-23T17:55:00Z"
    assert answer["key_event"] is True
    assert answer["correction"] == {
        "note": "The casualty figure was corrected.",
        "corrected_at": "2015-12-23T17:59:00Z",
    }
    assert answer["stream"]["slug"] == "syria"
    assert answer["stream"]["members_only"] is False
    assert [block["kind"] for block in answer["blocks"]] == ["text", "quote", "text", "text"]
    text = answer["blocks"][0]
    assert text["html"] == "<p>Writer's text.</p>"
    assert text["text"] == "Writer's text."
    assert text["source"] is None
    quoted = answer["blocks"][1]
    assert quoted["html"] == "<p>Quoted text from Amnesty International.</p>"
    assert quoted["text"] == "Quoted text from Amnesty International."
    assert quoted["source"] == {
        "slug": "amnesty",
        "name": "Amnesty International",
        "home_page": "https://www.amnesty.org/",
        "url": "http://testserver/sources/amnesty/",
        "api_url": "http://testserver/api/sources/amnesty",
    }
    assert quoted["cited_url"] == f"https://www.amnesty.org/article/{entry.pk}"
    assert quoted["original"] == {
        "html": "<p>Оригинал &amp; <em>текст</em>.</p>",
        "text": "Оригинал & текст.",
        "language": "ru",
        "language_name": "Russian",
    }
    assert answer["bylines"] == [
        {
            "name": "James Miller",
            "profile": {
                "handle": "james",
                "display_name": "James Miller",
                "url": "http://testserver/people/james/",
            },
        },
        {"name": "Anna Guest", "profile": None},
    ]


def test_an_entry_without_correction_has_none(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    assert client.get(f"{URL}/{entry.pk}").json()["correction"] is None


def test_text_is_sanitised_html_and_plain_text(client, stream_a):
    entry = factories.EntryFactory(
        stream=stream_a,
        text='<p>1 &lt; 2 <script>alert("x")</script><a href="javascript:x">a</a></p>',
    )

    block = client.get(f"{URL}/{entry.pk}").json()["blocks"][0]

    assert "<script" not in block["html"]
    assert "javascript:" not in block["html"]
    assert block["text"] == "1 < 2 a"


def test_an_image_block_gives_its_renditions_and_alt_text(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    Block.objects.create(
        entry=entry,
        position=1,
        kind=Block.Kind.IMAGE,
        image="entries/2015/12/ruins.webp",
        image_width=1600,
        image_height=900,
        renditions=[
            {"name": "entries/2015/12/ruins-480.webp", "width": 480, "height": 270},
            {"name": "entries/2015/12/ruins.webp", "width": 1600, "height": 900},
        ],
        alt_text="A street of ruined houses",
        caption="Aleppo, 23 December",
        credit="Reuters",
    )

    block = client.get(f"{URL}/{entry.pk}").json()["blocks"][1]

    assert block["kind"] == "image"
    assert block["html"] is None
    assert block["image"] == {
        "url": "http://testserver/media/entries/2015/12/ruins.webp",
        "width": 1600,
        "height": 900,
        "alt_text": "A street of ruined houses",
        "caption": "Aleppo, 23 December",
        "credit": "Reuters",
        "renditions": [
            {
                "url": "http://testserver/media/entries/2015/12/ruins-480.webp",
                "width": 480,
                "height": 270,
            },
            {
                "url": "http://testserver/media/entries/2015/12/ruins.webp",
                "width": 1600,
                "height": 900,
            },
        ],
    }


def test_an_embed_is_a_card_never_the_providers_html(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    Block.objects.create(
        entry=entry,
        position=1,
        kind=Block.Kind.EMBED,
        embed_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        embed_provider="youtube",
        embed_title="Briefing",
        embed_author_name="UN News",
        embed_author_url="https://www.youtube.com/@UNnews",
        embed_player_url="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1",
        embed_thumbnail="embeds/2015/12/thumb.webp",
        embed_thumbnail_width=480,
        embed_thumbnail_height=360,
    )

    response = client.get(f"{URL}/{entry.pk}")

    block = response.json()["blocks"][1]
    assert block["embed"] == {
        "provider": "youtube",
        "provider_name": "YouTube",
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "title": "Briefing",
        "author_name": "UN News",
        "author_url": "https://www.youtube.com/@UNnews",
        "is_video": True,
        "thumbnail": {
            "url": "http://testserver/media/embeds/2015/12/thumb.webp",
            "width": 480,
            "height": 360,
        },
    }
    assert b"<iframe" not in response.content
    assert b"youtube-nocookie" not in response.content


def test_an_entry_of_another_stream_is_404(client, stream_a, stream_b):
    other = factories.EntryFactory(stream=stream_b)

    response = client.get(f"{URL}/{other.pk}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("entry_id", ["0", "-3", str(2**63), "9" * 30, "x"])
def test_an_entry_id_out_of_range_is_a_4xx_never_a_500(client, stream_a, entry_id):
    response = client.get(f"{URL}/{entry_id}")

    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/json"


def test_a_draft_entry_is_404(client, stream_a):
    draft = factories.EntryFactory(stream=stream_a, status=Entry.Status.DRAFT, published_at=None)

    assert client.get(f"{URL}/{draft.pk}").status_code == 404


# Who may read them


def test_anonymous_readers_get_404_for_a_members_streams_entries(client, members_stream):
    entry = factories.EntryFactory(stream=members_stream)

    assert client.get("/api/streams/closed/entries").status_code == 404
    response = client.get(f"/api/streams/closed/entries/{entry.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Stream matches the given query."}


def test_the_404_for_members_only_reads_as_the_one_for_nothing(client, members_stream):
    closed = client.get("/api/streams/closed/entries")
    missing = client.get("/api/streams/nowhere/entries")

    assert closed.status_code == missing.status_code == 404
    assert closed.json() == missing.json()


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_signed_in_persona_reads_members_only_entries(
    client_as, request, members_stream, persona
):
    entry = factories.EntryFactory(stream=members_stream)
    client = client_as(request.getfixturevalue(persona))

    response = client.get("/api/streams/closed/entries")

    assert response.status_code == 200
    assert ids(response.json()) == [entry.pk]
    assert client.get(f"/api/streams/closed/entries/{entry.pk}").status_code == 200


def test_a_token_reads_members_only_entries(client, member, members_stream):
    entry = factories.EntryFactory(stream=members_stream)

    response = client.get("/api/streams/closed/entries", **bearer(token_for(member)))

    assert response.status_code == 200
    assert ids(response.json()) == [entry.pk]


def test_an_inactive_members_session_reads_public_entries_only(client_as, member, members_stream):
    client = client_as(member)
    member.is_active = False
    member.save()

    assert client.get("/api/streams/closed/entries").status_code == 404


def test_a_draft_stream_is_404_even_to_its_editor(client_as, editor_a, publisher_a):
    factories.StreamFactory(publisher=publisher_a, slug="unready", status="draft")

    assert client_as(editor_a).get("/api/streams/unready/entries").status_code == 404


# Cost


def _filled(stream, count: int, sources, profile) -> None:
    for i in range(count):
        rich_entry(stream, published_at=minutes_ago(i + 1), sources=sources, profile=profile)


def test_a_page_costs_the_same_queries_whatever_its_length(
    client, stream_a, source, django_assert_num_queries
):
    other = factories.SourceFactory()
    writer = person()
    _filled(stream_a, 2, [source], writer)
    with django_assert_num_queries(4):  # the stream, the page, its blocks, its bylines
        client.get(f"{URL}?limit=100")

    _filled(stream_a, 30, [source, other], writer)
    with django_assert_num_queries(4):
        answer = client.get(f"{URL}?limit=100").json()
    assert len(answer["items"]) == 32


def test_a_members_page_read_with_a_token_costs_a_constant_few_queries_more(
    client, member, members_stream, source, django_assert_num_queries
):
    secret = token_for(member)
    _filled(members_stream, 12, [source], person())

    # The token (with its user), then as for anyone.
    with django_assert_num_queries(6):  # + the token's first "last used" stamp
        client.get("/api/streams/closed/entries?limit=100", **bearer(secret))
    with django_assert_num_queries(5):
        client.get("/api/streams/closed/entries?limit=100", **bearer(secret))
