"""An entry's permalink at ``/streams/<slug>/entries/<id>/``, with its neighbours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from streams.models import Stream
from tests import factories
from tests.fixtures_pages import (
    NOW,
    draft_entry,
    minutes_ago,
    person,
    rich_entry,
    scheduled_entry,
)

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def three(stream_a):
    """Three published entries of stream A, oldest first."""
    return [
        factories.EntryFactory(stream=stream_a, title=title, published_at=minutes_ago(age))
        for title, age in (("Oldest", 30), ("Middle", 20), ("Newest", 10))
    ]


def _url(entry) -> str:
    return f"/streams/{entry.stream.slug}/entries/{entry.pk}/"


def _prev_link(entry) -> str:
    return (
        f'<a class="entry-nav__prev" href="{_url(entry)}" rel="prev">'
        f"<span>← Previous entry</span> {entry.title}</a>"
    )


def _next_link(entry) -> str:
    return (
        f'<a class="entry-nav__next" href="{_url(entry)}" rel="next">'
        f"<span>Next entry →</span> {entry.title}</a>"
    )


def test_permalink_shows_the_entry_with_its_title_as_h1(client, stream_a, source):
    entry = factories.EntryFactory(
        stream=stream_a, title="Amnesty 'unmasks' Russian claims", quotes=[source]
    )

    response = client.get(_url(entry))

    assert response.status_code == 200
    assertContains(
        response,
        f'<h1 class="entry__title" id="entry-{entry.pk}-title">'
        f"<a href=\"{_url(entry)}\">Amnesty 'unmasks' Russian claims</a></h1>",
        html=True,
    )
    assertContains(response, "<p>Quoted text from Amnesty International.</p>", html=True)
    assertContains(
        response,
        '<a href="/streams/syria/">Syria: December 23</a>',
        html=True,
    )


def test_middle_entry_links_to_previous_and_next(client, three):
    oldest, middle, newest = three

    response = client.get(_url(middle))

    assertContains(response, _prev_link(oldest), html=True)
    assertContains(response, _next_link(newest), html=True)
    assertContains(response, f'<link rel="prev" href="{_url(oldest)}">', html=True)
    assertContains(response, f'<link rel="next" href="{_url(newest)}">', html=True)


def test_first_entry_has_no_previous(client, three):
    oldest, middle, _ = three

    response = client.get(_url(oldest))

    assertNotContains(response, 'rel="prev"')
    assertContains(response, _next_link(middle), html=True)


def test_last_entry_has_no_next(client, three):
    _, middle, newest = three

    response = client.get(_url(newest))

    assertNotContains(response, 'rel="next"')
    assertContains(response, _prev_link(middle), html=True)


def test_untitled_neighbour_is_named_by_its_time(client, stream_a):
    untitled = factories.EntryFactory(stream=stream_a, title="", published_at=minutes_ago(20))
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))

    response = client.get(_url(entry))

    assertContains(
        response,
        f'<a class="entry-nav__prev" href="{_url(untitled)}" rel="prev">'
        "<span>← Previous entry</span> Update of 23 December 2015, 17:40</a>",
        html=True,
    )


def test_neighbours_skip_drafts_and_entries_scheduled_for_later(client, stream_a, three):
    _, middle, newest = three
    draft_entry(stream_a, title="Draft in between")
    scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=5), title="Embargoed")

    response = client.get(_url(newest))

    assertContains(response, _prev_link(middle), html=True)
    assertNotContains(response, 'rel="next"')
    assertNotContains(response, "Draft in between")
    assertNotContains(response, "Embargoed")


def test_neighbours_skip_draft_between_two_entries(client, stream_a):
    older = factories.EntryFactory(stream=stream_a, title="Older", published_at=minutes_ago(30))
    hidden = factories.EntryFactory(stream=stream_a, title="Hidden", published_at=minutes_ago(20))
    hidden.status = "draft"
    hidden.save()
    newer = factories.EntryFactory(stream=stream_a, title="Newer", published_at=minutes_ago(10))

    response = client.get(_url(newer))

    assertContains(response, _prev_link(older), html=True)


def test_neighbours_stay_within_the_stream(client, stream_a, stream_b):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(20))
    factories.EntryFactory(stream=stream_b, published_at=minutes_ago(30))
    factories.EntryFactory(stream=stream_b, published_at=minutes_ago(10))

    response = client.get(_url(entry))

    assertNotContains(response, 'rel="prev"')
    assertNotContains(response, 'rel="next"')


def test_neighbours_of_entries_published_at_the_same_moment_follow_their_ids(client, stream_a):
    moment = minutes_ago(10)
    first, second, third = (
        factories.EntryFactory(stream=stream_a, title=title, published_at=moment)
        for title in ("First", "Second", "Third")
    )

    response = client.get(_url(second))

    assertContains(response, _prev_link(first), html=True)
    assertContains(response, _next_link(third), html=True)


def test_entry_under_another_streams_slug_gives_404(client, stream_a, stream_b):
    entry = factories.EntryFactory(stream=stream_a)

    response = client.get(f"/streams/flood-watch/entries/{entry.pk}/")

    assertContains(response, "We could not find that page", status_code=404)


@pytest.mark.parametrize("pk", ["999999", "99999999999999999999"])
def test_unknown_entry_id_gives_404(client, stream_a, pk):
    factories.EntryFactory(stream=stream_a)

    response = client.get(f"/streams/syria/entries/{pk}/")

    assert response.status_code == 404


def test_draft_entry_gives_404_on_its_permalink(client, stream_a):
    entry = draft_entry(stream_a)

    assert client.get(_url(entry)).status_code == 404


def test_entry_scheduled_for_later_gives_404_on_its_permalink(client, stream_a):
    entry = scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=1))

    assert client.get(_url(entry)).status_code == 404


def test_scheduled_entry_is_shown_once_its_time_has_passed(client, stream_a):
    entry = scheduled_entry(stream_a, published_at=minutes_ago(1), title="Embargo lifted")

    response = client.get(_url(entry))

    assertContains(response, "Embargo lifted")


@pytest.mark.parametrize(
    "change",
    [
        {"status": Stream.Status.DRAFT},
        {"status": Stream.Status.DRAFT, "visibility": Stream.Visibility.MEMBERS},
    ],
    ids=["draft stream", "draft members-only stream"],
)
def test_entry_of_a_draft_stream_gives_404(client, stream_a, change):
    entry = factories.EntryFactory(stream=stream_a)
    Stream.objects.filter(pk=stream_a.pk).update(**change)

    assert client.get(_url(entry)).status_code == 404


def test_entry_of_a_members_only_stream_sends_an_anonymous_reader_to_sign_in(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, title="For members")
    Stream.objects.filter(pk=stream_a.pk).update(visibility=Stream.Visibility.MEMBERS)

    response = client.get(_url(entry))

    assertRedirects(response, f"/accounts/login/?next={_url(entry)}", fetch_redirect_response=False)
    assertNotContains(response, "For members", status_code=302)


def test_permalink_costs_a_bounded_number_of_queries(
    client, stream_a, django_assert_max_num_queries
):
    profile = person(display_name="James Miller")
    sources = [factories.SourceFactory() for _ in range(3)]
    entries = [
        rich_entry(stream_a, published_at=minutes_ago(n + 1), sources=sources, profile=profile)
        for n in range(3)
    ]

    with django_assert_max_num_queries(8):
        response = client.get(_url(entries[1]))

    assertContains(response, "reports:", count=3)
    assertContains(response, 'rel="prev"', count=2)
    assertContains(response, 'rel="next"', count=2)
