"""Members-only streams: signed-in members read them; anonymous readers are sent to sign in on
their pages and find them in no listing and no live-update answer.

Feeds, search, the sitemap and the embed arrive with a later issue; each gets the same test then.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.auth.models import AnonymousUser
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from streams.models import Entry, Stream
from streams.paging import Cursor
from streams.views import MEMBERS_ONLY_MESSAGE
from tests import factories
from tests.fixtures_pages import content, flow_ids, minutes_ago, person

SECRET_TITLE = "Closed annex figures"
SECRET_TEXT = "Only members read this paragraph."
BADGE = '<span class="badge" title="Only signed-in members see this stream">Members</span>'


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def james(db):
    return person(display_name="James Miller", handle="james-miller")


@pytest.fixture
def briefing(publisher_a, source, james):
    """A live members-only stream of publisher A with two entries quoting the source."""
    stream = factories.StreamFactory(
        publisher=publisher_a,
        title="Members' briefing",
        slug="briefing",
        visibility=Stream.Visibility.MEMBERS,
        last_published_at=minutes_ago(1),
    )
    factories.EntryFactory(
        stream=stream, published_at=minutes_ago(20), quotes=[source], bylines=[james]
    )
    factories.EntryFactory(
        stream=stream,
        title=SECRET_TITLE,
        text=f"<p>{SECRET_TEXT}</p>",
        published_at=minutes_ago(1),
        quotes=[source],
        bylines=[james],
    )
    return stream


@pytest.fixture
def public_entry(stream_a, source, james):
    stream_a.last_published_at = minutes_ago(30)
    stream_a.save()
    return factories.EntryFactory(
        stream=stream_a,
        title="Public entry",
        published_at=minutes_ago(30),
        quotes=[source],
        bylines=[james],
    )


@pytest.fixture
def secret_entry(briefing) -> Entry:
    return briefing.entries.get(title=SECRET_TITLE)


@pytest.fixture
def reader(client_as, member):
    return client_as(member)


def _leaks(response) -> bool:
    page = content(response)
    return any(text in page for text in (SECRET_TITLE, SECRET_TEXT, "Members' briefing"))


# Anonymous readers: sent to sign in on the pages, nothing in listings


@pytest.mark.parametrize(
    "path",
    [
        "/streams/briefing/",
        "/streams/briefing/?order=oldest",
        "/streams/briefing/?before=4000000000000000_1",
    ],
)
def test_anonymous_reader_of_a_members_only_stream_is_sent_to_sign_in(client, briefing, path):
    response = client.get(path)

    assertRedirects(
        response, f"/accounts/login/?next={quote(path, safe='/')}", fetch_redirect_response=False
    )
    assert not _leaks(response)


def test_the_sign_in_page_says_why_the_reader_is_there(client, briefing):
    response = client.get("/streams/briefing/", follow=True)

    assertContains(response, MEMBERS_ONLY_MESSAGE)


def test_anonymous_reader_of_a_members_only_entry_is_sent_to_sign_in(client, secret_entry):
    path = secret_entry.get_absolute_url()

    response = client.get(path)

    assertRedirects(response, f"/accounts/login/?next={path}", fetch_redirect_response=False)
    assert not _leaks(response)


def test_after_signing_in_the_reader_lands_on_the_members_only_stream(client, member, briefing):
    response = client.get("/streams/briefing/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")

    client.force_login(member)

    assert client.get("/streams/briefing/").status_code == 200


@pytest.mark.parametrize("query", ["", "?after=1_1", "?after=4000000000000000_1"])
def test_updates_of_a_members_only_stream_are_a_404_for_anonymous_readers(client, briefing, query):
    response = client.get(f"/streams/briefing/updates/{query}")

    assert response.status_code == 404
    assert not _leaks(response)


def test_anonymous_home_does_not_list_members_only_streams(client, briefing, public_entry):
    response = client.get("/")

    assertContains(response, "Syria: December 23")
    assert not _leaks(response)
    assertNotContains(response, BADGE, html=True)


def test_anonymous_publisher_page_does_not_list_members_only_streams(
    client, briefing, public_entry
):
    response = client.get("/publishers/translators-desk/")

    assertContains(response, "Syria: December 23")
    assert not _leaks(response)


def test_anonymous_source_page_does_not_list_members_only_entries(client, briefing, public_entry):
    response = client.get("/sources/amnesty/")

    assert flow_ids(response) == [public_entry.pk]
    assert not _leaks(response)


def test_anonymous_profile_page_does_not_list_members_only_entries(client, briefing, public_entry):
    response = client.get("/people/james-miller/")

    assert flow_ids(response) == [public_entry.pk]
    assert not _leaks(response)


@pytest.mark.parametrize("as_member", [False, True], ids=["anonymous", "member"])
def test_robots_txt_names_no_members_only_stream(client, member, briefing, as_member):
    if as_member:
        client.force_login(member)

    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert "briefing" not in content(response)


def test_anonymous_reader_cannot_follow_a_members_only_stream(client, briefing):
    response = client.post("/streams/briefing/follow/")

    assertRedirects(
        response, "/accounts/login/?next=/streams/briefing/", fetch_redirect_response=False
    )
    assert not briefing.follows.exists()


def test_an_unknown_stream_is_still_a_404_not_a_sign_in(client, db):
    assert client.get("/streams/no-such-stream/").status_code == 404
    assert client.get("/streams/no-such-stream/entries/1/").status_code == 404


def test_a_draft_members_only_stream_is_a_404_for_everyone(client, reader, briefing):
    Stream.objects.filter(pk=briefing.pk).update(status=Stream.Status.DRAFT)

    for who in (client, reader):
        assert who.get("/streams/briefing/").status_code == 404
        assert who.get("/streams/briefing/updates/").status_code == 404


# Members: they read it, and see it marked


def test_member_reads_a_members_only_stream_marked_as_such(reader, briefing, secret_entry):
    response = reader.get("/streams/briefing/")

    assert response.status_code == 200
    assertContains(response, SECRET_TEXT)
    assertContains(response, BADGE, html=True)
    assert "private" in response["Cache-Control"]


def test_member_reads_a_members_only_entry(reader, secret_entry):
    response = reader.get(secret_entry.get_absolute_url())

    assert response.status_code == 200
    assertContains(response, SECRET_TEXT)
    assert "private" in response["Cache-Control"]


def test_member_polls_a_members_only_stream(reader, briefing, secret_entry):
    before = briefing.entries.exclude(pk=secret_entry.pk).get()

    response = reader.get("/streams/briefing/updates/", {"after": Cursor.of(before).encode()})

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert SECRET_TEXT in response.json()["html"]
    assert "private" in response["Cache-Control"]


def test_public_stream_pages_are_not_marked_private(client, reader, public_entry):
    for who in (client, reader):
        assert "private" not in who.get("/streams/syria/").get("Cache-Control", "")


def test_member_home_lists_members_only_streams_with_a_badge(reader, briefing):
    response = reader.get("/")

    assertContains(response, "Members&#x27; briefing")
    assertContains(response, BADGE, html=True)


def test_member_sees_members_only_streams_on_the_publisher_page(reader, briefing):
    response = reader.get("/publishers/translators-desk/")

    assertContains(response, "Members&#x27; briefing")
    assertContains(response, BADGE, html=True)


def test_member_sees_members_only_entries_on_the_source_page(
    reader, briefing, secret_entry, public_entry
):
    response = reader.get("/sources/amnesty/")

    assert secret_entry.pk in flow_ids(response)
    assert public_entry.pk in flow_ids(response)
    assertContains(response, BADGE, count=2)


def test_member_sees_members_only_entries_on_the_profile_page(reader, briefing, public_entry):
    response = reader.get("/people/james-miller/")

    assert len(flow_ids(response)) == 3
    assertContains(response, BADGE, count=2)


# The querysets every page goes through


def test_visible_to_shows_members_only_streams_to_active_signed_in_users_only(
    member, briefing, stream_a
):
    assert set(Stream.objects.visible_to(AnonymousUser())) == {stream_a}
    assert set(Stream.objects.visible_to(None)) == {stream_a}
    assert set(Stream.objects.visible_to(member)) == {stream_a, briefing}
    member.is_active = False
    assert set(Stream.objects.visible_to(member)) == {stream_a}


def test_listed_for_lists_members_only_entries_to_members_only(member, briefing, public_entry):
    assert set(Entry.objects.listed_for(AnonymousUser())) == {public_entry}
    assert set(Entry.objects.listed_for(member)) == {public_entry, *briefing.entries.all()}
