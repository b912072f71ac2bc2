"""Following streams and publishers: the service, the two POST endpoints and the buttons."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from streams.models import Follow, Stream
from streams.services import follow_toggle
from tests import factories
from tests.fixtures_pages import minutes_ago, person, rich_entry

STREAM = "/streams/syria/"
PUBLISHER = "/publishers/translators-desk/"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def reader(client_as, member):
    return client_as(member)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# The service


def test_follow_toggle_follows_then_unfollows_a_stream(member, stream_a):
    assert follow_toggle(user=member, stream=stream_a) is True
    assert Follow.objects.filter(user=member, stream=stream_a).count() == 1

    assert follow_toggle(user=member, stream=stream_a) is False
    assert not Follow.objects.filter(user=member).exists()


def test_follow_toggle_follows_then_unfollows_a_publisher(member, publisher_a):
    assert follow_toggle(user=member, publisher=publisher_a) is True
    assert follow_toggle(user=member, publisher=publisher_a) is False
    assert not Follow.objects.exists()


def test_asking_for_a_state_twice_ends_in_that_state(member, stream_a):
    assert follow_toggle(user=member, stream=stream_a, follow=True) is True
    assert follow_toggle(user=member, stream=stream_a, follow=True) is True
    assert Follow.objects.count() == 1

    assert follow_toggle(user=member, stream=stream_a, follow=False) is False
    assert follow_toggle(user=member, stream=stream_a, follow=False) is False
    assert not Follow.objects.exists()


def test_following_a_stream_leaves_its_publisher_and_other_readers_alone(
    member, stream_a, publisher_a
):
    other = factories.UserFactory()
    follow_toggle(user=other, stream=stream_a)
    follow_toggle(user=member, publisher=publisher_a)

    follow_toggle(user=member, stream=stream_a)
    follow_toggle(user=member, stream=stream_a)

    assert Follow.objects.filter(user=other, stream=stream_a).exists()
    assert Follow.objects.filter(user=member, publisher=publisher_a).exists()


@pytest.mark.parametrize("targets", ["none", "both"])
def test_follow_toggle_wants_exactly_one_target(member, stream_a, publisher_a, targets):
    kwargs = {} if targets == "none" else {"stream": stream_a, "publisher": publisher_a}

    with pytest.raises(ValueError, match="either a stream or a publisher"):
        follow_toggle(user=member, **kwargs)


# The endpoints


def test_member_follows_a_stream_and_is_sent_back_with_a_message(reader, member, stream_a):
    response = reader.post(f"{STREAM}follow/", {"follow": "1", "next": STREAM})

    assertRedirects(response, STREAM, fetch_redirect_response=False)
    assert Follow.objects.filter(user=member, stream=stream_a).exists()
    assert messages_of(response) == [
        "You follow “Syria: December 23”: its new entries appear on your home page."
    ]


def test_member_unfollows_a_stream(reader, member, stream_a):
    follow_toggle(user=member, stream=stream_a)

    response = reader.post(f"{STREAM}follow/", {"follow": "0", "next": STREAM})

    assertRedirects(response, STREAM, fetch_redirect_response=False)
    assert not Follow.objects.exists()
    assert messages_of(response) == ["You no longer follow “Syria: December 23”."]


def test_a_follow_form_sent_twice_still_follows(reader, member, stream_a):
    reader.post(f"{STREAM}follow/", {"follow": "1"})
    reader.post(f"{STREAM}follow/", {"follow": "1"})

    assert Follow.objects.filter(user=member, stream=stream_a).count() == 1


def test_a_form_without_a_state_toggles(reader, member, stream_a):
    reader.post(f"{STREAM}follow/")
    assert Follow.objects.filter(user=member).count() == 1

    reader.post(f"{STREAM}follow/")
    assert not Follow.objects.filter(user=member).exists()


def test_member_follows_and_unfollows_a_publisher(reader, member, publisher_a):
    followed = reader.post(f"{PUBLISHER}follow/", {"follow": "1", "next": PUBLISHER})

    assertRedirects(followed, PUBLISHER, fetch_redirect_response=False)
    assert Follow.objects.filter(user=member, publisher=publisher_a).exists()
    assert messages_of(followed) == [
        "You follow The Translator's Desk: new entries in all its streams appear on your home page."
    ]

    reader.post(f"{PUBLISHER}follow/", {"follow": "0"})
    assert not Follow.objects.exists()


def test_without_next_the_reader_goes_back_to_the_stream(reader, stream_a):
    response = reader.post(f"{STREAM}follow/", {"follow": "1"})

    assertRedirects(response, STREAM, fetch_redirect_response=False)


def test_follow_from_the_home_page_goes_back_home(reader, stream_a):
    response = reader.post(f"{STREAM}follow/", {"follow": "1", "next": "/"})

    assertRedirects(response, "/", fetch_redirect_response=False)


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_next_pointing_elsewhere_is_ignored(reader, stream_a, next_url):
    response = reader.post(f"{STREAM}follow/", {"follow": "1", "next": next_url})

    assertRedirects(response, STREAM, fetch_redirect_response=False)


@pytest.mark.parametrize("path", [f"{STREAM}follow/", f"{PUBLISHER}follow/"])
def test_anonymous_reader_is_sent_to_sign_in_and_back_to_the_page(client, stream_a, path):
    response = client.post(path, {"follow": "1"})

    page = path.removesuffix("follow/")
    assertRedirects(response, f"/accounts/login/?next={page}", fetch_redirect_response=False)
    assert not Follow.objects.exists()


@pytest.mark.parametrize("path", [f"{STREAM}follow/", f"{PUBLISHER}follow/"])
def test_follow_endpoints_take_no_get(reader, stream_a, path):
    assert reader.get(path).status_code == 405
    assert not Follow.objects.exists()


def test_follow_needs_the_csrf_token(member, stream_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    response = client.post(f"{STREAM}follow/", {"follow": "1"})

    assert response.status_code == 403
    assert not Follow.objects.exists()


def test_follow_with_the_csrf_token_from_the_page_works(member, stream_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    page = client.get(STREAM)
    token = page.context["csrf_token"]

    response = client.post(f"{STREAM}follow/", {"follow": "1", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Follow.objects.filter(user=member).exists()


@pytest.mark.parametrize(
    "path", ["/streams/no-such-stream/follow/", "/publishers/no-such-journal/follow/"]
)
def test_following_something_unknown_gives_404(reader, db, path):
    assert reader.post(path, {"follow": "1"}).status_code == 404


def test_a_draft_stream_cannot_be_followed(reader, stream_a):
    Stream.objects.filter(pk=stream_a.pk).update(status=Stream.Status.DRAFT)

    assert reader.post(f"{STREAM}follow/", {"follow": "1"}).status_code == 404
    assert not Follow.objects.exists()


def test_member_follows_a_members_only_stream(reader, member, stream_a):
    Stream.objects.filter(pk=stream_a.pk).update(visibility=Stream.Visibility.MEMBERS)

    reader.post(f"{STREAM}follow/", {"follow": "1"})

    assert Follow.objects.filter(user=member, stream=stream_a).exists()


# The buttons


def _button(label: str, name: str) -> str:
    if label == "Follow":
        hidden = f" {name}"
        css = "button"
    else:
        hidden = f" {name}: stop following"
        css = "button button--secondary"
    return (
        f'<button class="{css}" type="submit">{label}'
        f'<span class="visually-hidden">{hidden}</span></button>'
    )


def test_stream_page_offers_a_member_to_follow(reader, stream_a):
    response = reader.get(STREAM)

    assertContains(response, _button("Follow", "Syria: December 23"), html=True)
    assertContains(
        response, '<form class="follow-form" method="post" action="/streams/syria/follow/">'
    )
    assertContains(response, '<input type="hidden" name="follow" value="1">', html=True)
    assertContains(response, '<input type="hidden" name="next" value="/streams/syria/">', html=True)


def test_stream_page_shows_following_to_a_follower(reader, member, stream_a):
    follow_toggle(user=member, stream=stream_a)

    response = reader.get(STREAM)

    assertContains(response, _button("Following", "Syria: December 23"), html=True)
    assertContains(response, '<input type="hidden" name="follow" value="0">', html=True)


def test_following_the_publisher_is_not_following_the_stream(reader, member, stream_a):
    follow_toggle(user=member, publisher=stream_a.publisher)

    response = reader.get(STREAM)

    assertContains(response, _button("Follow", "Syria: December 23"), html=True)


def test_publisher_page_offers_follow_then_shows_following(reader, member, publisher_a):
    name = "The Translator&#x27;s Desk"
    assertContains(reader.get(PUBLISHER), _button("Follow", name), html=True)

    follow_toggle(user=member, publisher=publisher_a)

    assertContains(reader.get(PUBLISHER), _button("Following", name), html=True)


def test_another_readers_follow_does_not_show_as_mine(reader, stream_a):
    follow_toggle(user=factories.UserFactory(), stream=stream_a)

    assertContains(reader.get(STREAM), _button("Follow", "Syria: December 23"), html=True)


@pytest.mark.parametrize("path", [STREAM, PUBLISHER])
def test_anonymous_readers_see_no_follow_button(client, stream_a, path):
    assertNotContains(client.get(path), "follow-form")


def test_stream_page_for_a_member_costs_the_same_queries_for_5_and_50_entries(
    reader, member, settings, stream_a
):
    settings.STREAM_PAGE_SIZE = 50
    james = person(display_name="James Miller")
    sources = [factories.SourceFactory() for _ in range(3)]
    long = factories.StreamFactory(slug="long")
    for stream, count in ((stream_a, 5), (long, 50)):
        for n in range(count):
            rich_entry(stream, published_at=minutes_ago(n + 1), sources=sources, profile=james)
    follow_toggle(user=member, stream=long)

    counts = []
    for url in (STREAM, "/streams/long/"):
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
    # The anonymous page's 5, and the session and user of a signed-in reader.
    assert counts[0] <= 7 + 2
