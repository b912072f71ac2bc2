"""The live-update endpoint ``/streams/<slug>/updates/?after=<cursor>`` the stream page polls."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest
from pytest_django.asserts import assertInHTML

from streams.models import Stream
from streams.paging import Cursor
from tests import factories
from tests.fixtures_pages import (
    NOW,
    content,
    draft_entry,
    frozen,
    minutes_ago,
    person,
    scheduled_entry,
    updates_url,
)

STREAM_URL = "/streams/syria/"
URL = "/streams/syria/updates/"


pytestmark = pytest.mark.usefixtures("frozen_clock")


def _ids(payload) -> list[int]:
    """The ids of the entries a poll brings, in the order of its HTML (newest first)."""
    return [int(pk) for pk in re.findall(r'<article [^>]*data-entry-id="(\d+)"', payload["html"])]


def _poll_url(client) -> str:
    """The updates URL the stream page hands to its script, as a reader's browser gets it."""
    url = updates_url(client.get(STREAM_URL))
    assert url is not None
    return url


def test_updates_return_entries_newer_than_the_cursor_newest_first_as_html(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    poll = _poll_url(client)
    later = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5), title="Later")
    sooner = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))

    response = client.get(poll)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert _ids(payload) == [later.pk, sooner.pk]
    assert payload["count"] == 2
    assertInHTML(
        f'<a href="/streams/syria/entries/{later.pk}/">Later</a>', payload["html"], count=1
    )
    assert payload["next"] == f"{URL}?after={Cursor.of(later).encode()}&v={payload['version']}"
    assert isinstance(payload["interval"], int)
    assert payload["interval"] > 0
    assert payload["live"] is True


def test_following_next_returns_only_what_is_newer_still(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    first = client.get(_poll_url(client)).json()
    newest = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    second = client.get(first["next"]).json()
    latest = factories.EntryFactory(stream=stream_a, published_at=NOW)
    third = client.get(second["next"]).json()

    assert _ids(first) == []
    assert _ids(second) == [newest.pk]
    assert _ids(third) == [latest.pk]


def test_updates_with_nothing_new_return_no_entries_and_the_same_cursor(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    poll = _poll_url(client)

    payload = client.get(poll).json()

    assert payload["count"] == 0
    assert payload["html"] == ""
    assert payload["next"] == poll


def test_updates_include_an_entry_published_at_the_same_moment_as_the_cursor(client, stream_a):
    moment = minutes_ago(10)
    factories.EntryFactory(stream=stream_a, published_at=moment)
    poll = _poll_url(client)
    twin = factories.EntryFactory(stream=stream_a, published_at=moment)

    payload = client.get(poll).json()

    assert _ids(payload) == [twin.pk]


def test_updates_without_a_cursor_return_the_whole_stream(client, stream_a):
    old = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    new = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))

    payload = client.get(URL).json()

    assert _ids(payload) == [new.pk, old.pk]


def test_updates_leave_out_drafts_and_entries_scheduled_for_later(client, stream_a):
    poll = _poll_url(client)
    draft_entry(stream_a)
    scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=1))

    payload = client.get(poll).json()

    assert _ids(payload) == []


def test_updates_bring_a_scheduled_entry_once_its_time_comes(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    entry = scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=1))
    poll = _poll_url(client)

    with frozen(NOW + timedelta(minutes=2)):
        payload = client.get(poll).json()

    assert _ids(payload) == [entry.pk]


def test_updates_render_an_entry_exactly_as_the_stream_page_does(client, stream_a, source):
    poll = _poll_url(client)
    profile = person(display_name="James Miller")
    factories.EntryFactory(stream=stream_a, quotes=[source], bylines=[profile, "Anna Guest"])

    fragment = client.get(poll).json()["html"]
    page = content(client.get(STREAM_URL))

    assertInHTML(fragment, page, count=1)


@pytest.mark.parametrize("cursor", ["abc", "-5_1", "1_", "99999999999999999999_1", "1_" + "9" * 20])
def test_updates_with_a_malformed_cursor_give_404(client, stream_a, cursor):
    response = client.get(URL, {"after": cursor})

    assert response.status_code == 404


def test_updates_with_a_cursor_in_the_future_return_nothing(client, stream_a):
    factories.EntryFactory(stream=stream_a)

    payload = client.get(URL, {"after": "4000000000000000_1"}).json()

    assert _ids(payload) == []


@pytest.mark.parametrize(
    "change",
    [{"status": Stream.Status.DRAFT}, {"visibility": Stream.Visibility.MEMBERS}],
    ids=["draft stream", "members-only stream"],
)
def test_updates_of_a_hidden_stream_give_404(client, stream_a, change):
    factories.EntryFactory(stream=stream_a)
    Stream.objects.filter(pk=stream_a.pk).update(**change)

    assert client.get(URL).status_code == 404
    assert client.get(URL, {"after": "1_1"}).status_code == 404


def test_updates_of_an_unknown_stream_give_404(client, db):
    assert client.get("/streams/no-such-stream/updates/").status_code == 404


def test_polling_a_stream_first_costs_a_few_queries(
    client, stream_a, django_assert_max_num_queries
):
    for n in range(5):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n + 1))
    poll = _poll_url(client)

    with django_assert_max_num_queries(5):
        payload = client.get(poll).json()

    assert payload["count"] == 0


def test_polling_an_unchanged_stream_again_costs_no_query(
    client, stream_a, django_assert_num_queries
):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    poll = _poll_url(client)
    client.get(poll)

    with django_assert_num_queries(0):
        response = client.get(poll)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_polling_a_stream_first_seen_by_the_poll_costs_no_query_the_second_time(
    client, stream_a, django_assert_num_queries
):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    client.get(URL)

    with django_assert_num_queries(0):
        assert client.get(URL).status_code == 200


def test_polling_costs_the_same_queries_however_many_entries_are_new(
    client, stream_a, source, django_assert_max_num_queries
):
    profile = person()
    for n in range(10):
        factories.EntryFactory(
            stream=stream_a, published_at=minutes_ago(n + 1), quotes=[source], bylines=[profile]
        )

    with django_assert_max_num_queries(9):
        payload = client.get(URL).json()

    assert len(_ids(payload)) == 10


def test_an_unchanged_poll_answers_304_to_its_etag(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    poll = _poll_url(client)
    first = client.get(poll)

    again = client.get(poll, headers={"If-None-Match": first["ETag"]})

    assert first["ETag"].startswith('"')
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_a_public_stream_may_be_cached_briefly_by_a_cdn(client, stream_a):
    response = client.get(_poll_url(client))

    for directive in ["public", "max-age=5", "stale-while-revalidate=30", "stale-if-error=300"]:
        assert directive in response["Cache-Control"]


def test_a_members_only_stream_is_polled_privately_by_a_member(client_as, member, stream_a):
    Stream.objects.filter(pk=stream_a.pk).update(visibility=Stream.Visibility.MEMBERS)
    client = client_as(member)

    response = client.get(URL)

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_members_only_stream_cached_for_a_member_stays_404_for_anonymous_readers(
    client, client_as, member, stream_a
):
    factories.EntryFactory(stream=stream_a)
    Stream.objects.filter(pk=stream_a.pk).update(visibility=Stream.Visibility.MEMBERS)
    assert client_as(member).get(URL).status_code == 200

    assert client.get(URL).status_code == 404


def test_a_stream_made_members_only_is_404_for_anonymous_readers_on_the_next_poll(client, stream_a):
    assert client.get(URL).status_code == 200
    stream_a.visibility = Stream.Visibility.MEMBERS
    stream_a.save()

    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("version", ["abc", "-1", "1" * 30])
def test_updates_with_a_malformed_version_give_404(client, stream_a, version):
    assert client.get(URL, {"v": version}).status_code == 404


def test_the_next_poll_after_an_edit_brings_the_entry_as_it_is_now(client, stream_a):
    from streams import services

    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll_url(client)
    assert client.get(poll).json()["changed"] == []

    services.entry_record_edit(entry=entry, note="A name was misspelt.")
    payload = client.get(poll).json()

    assert payload["changed"] == [entry.pk]
    assert "A name was misspelt." in payload["changed_html"][str(entry.pk)]
    assert payload["count"] == 0


def test_the_next_poll_after_an_unpublish_reports_the_entry_removed(client, stream_a):
    from streams import services

    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll_url(client)

    services.entry_unpublish(entry=entry)
    payload = client.get(poll).json()

    assert payload["removed"] == [entry.pk]
    assert str(entry.pk) not in payload["visible"]


def test_an_anonymous_poll_never_reveals_drafts_nobody_has_seen(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll_url(client)

    # Written, edited, even given a publish time in the past: never out.
    draft = draft_entry(stream_a, title="Embargoed")
    draft.published_at = minutes_ago(1)
    draft.save()
    submitted = factories.EntryFactory(stream=stream_a, status="submitted", published_at=None)
    payload = client.get(poll).json()

    assert payload["removed"] == []
    assert str(draft.pk) not in payload["visible"]
    assert str(submitted.pk) not in payload["visible"]


def test_an_anonymous_poll_never_reveals_a_schedule_before_its_time(client, stream_a):
    from streams import services

    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll_url(client)

    scheduled = scheduled_entry(stream_a, published_at=NOW + timedelta(hours=1))
    services.entry_pin(entry=scheduled, pinned=True)
    # Withdrawn before its time: nobody ever saw it either.
    withdrawn = scheduled_entry(stream_a, published_at=NOW + timedelta(hours=2))
    services.entry_unpublish(entry=withdrawn)
    payload = client.get(poll).json()

    assert payload["removed"] == []
    assert payload["pinned"] == []


def test_an_entry_rescheduled_after_readers_saw_it_is_removed_from_their_pages(client, stream_a):
    from streams import services

    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll_url(client)

    services.entry_publish(entry=entry, at=NOW + timedelta(hours=1))
    payload = client.get(poll).json()

    assert payload["removed"] == [entry.pk]


def test_a_schedule_that_came_due_and_was_then_unpublished_is_removed(client, stream_a):
    from streams import services

    entry = scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=1))
    with frozen(NOW + timedelta(minutes=2)):
        poll = _poll_url(client)
        services.entry_unpublish(entry=entry)
        payload = client.get(poll).json()

    assert payload["removed"] == [entry.pk]


def test_the_next_poll_after_a_deletion_no_longer_lists_the_entry(client, stream_a):
    kept = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll_url(client)

    entry.delete()
    payload = client.get(poll).json()

    assert list(payload["visible"]) == [str(kept.pk)]


def test_the_next_poll_after_pinning_lists_the_pinned_entry(client, stream_a):
    from streams import services

    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll_url(client)

    services.entry_pin(entry=entry, pinned=True)

    assert client.get(poll).json()["pinned"] == [entry.pk]


def test_pinning_an_old_entry_sends_it_for_the_key_events_section(client, stream_a):
    from streams import services

    old = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(600), title="Old")
    for n in range(55):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n))
    poll = _poll_url(client)

    services.entry_pin(entry=old, pinned=True)
    payload = client.get(poll).json()

    assert payload["pinned"] == [old.pk]
    assert list(payload["pinned_html"]) == [str(old.pk)]
    item = payload["pinned_html"][str(old.pk)]
    assert item.startswith(f'<li class="key-event" data-entry-id="{old.pk}">')
    assertInHTML('<span class="key-event__title">Old</span>', item)
    assert f'href="/streams/syria/entries/{old.pk}/"' in item


def test_an_edited_key_event_is_sent_again_and_an_unpinned_one_leaves_the_list(client, stream_a):
    from streams import services

    edited = factories.EntryFactory(stream=stream_a, pinned=True, published_at=minutes_ago(9))
    unpinned = factories.EntryFactory(stream=stream_a, pinned=True, published_at=minutes_ago(8))
    poll = _poll_url(client)

    services.entry_pin(entry=unpinned, pinned=False)
    edited.title = "Corrected key event"
    edited.save()
    payload = client.get(poll).json()

    assert payload["pinned"] == [edited.pk]
    assert list(payload["pinned_html"]) == [str(edited.pk)]
    assert "Corrected key event" in payload["pinned_html"][str(edited.pk)]


def test_a_pinned_entry_scheduled_earlier_is_sent_for_key_events_when_it_falls_due(
    client, stream_a
):
    poll = _poll_url(client)
    with frozen(NOW - timedelta(hours=1)):
        due = scheduled_entry(
            stream_a, published_at=NOW + timedelta(minutes=1), pinned=True, title="Due"
        )

    with frozen(NOW + timedelta(minutes=2)):
        payload = client.get(poll).json()

    assert _ids(payload) == [due.pk]
    assert payload["pinned"] == [due.pk]
    assert list(payload["pinned_html"]) == [str(due.pk)]


def test_a_poll_with_nothing_changed_sends_no_key_event_html(client, stream_a):
    factories.EntryFactory(stream=stream_a, pinned=True, published_at=minutes_ago(9))

    payload = client.get(_poll_url(client)).json()

    assert payload["pinned_html"] == {}


def test_the_interval_comes_from_the_setting(client, stream_a, settings):
    settings.LIVE_POLL_INTERVAL_MS = 1234

    assert client.get(URL).json()["interval"] == 1234


def test_a_poll_answer_is_data_that_may_load_and_frame_nothing(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = updates_url(client.get("/streams/syria/"))

    policy = client.get(poll)["Content-Security-Policy"]

    # The pages' policy, some 700 bytes, would ride on every one of the readers' polls.
    assert sorted(part.strip() for part in policy.split(";")) == [
        "default-src 'none'",
        "frame-ancestors 'none'",
    ]


def test_a_poll_answer_is_compressed_for_browsers_and_still_revalidates(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = updates_url(client.get("/streams/syria/"))
    # An answer with news in it: a bare "nothing new" may be under the 200 bytes below which
    # compressing is not worth it (its length moves with the ids and times it names).
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    plain = client.get(poll)
    assert plain.json()["count"] == 1

    compressed = client.get(poll, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain.content
    # The compressed answer's weak tag revalidates it, as the plain one's does.
    again = client.get(poll, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=compressed["ETag"])
    assert again.status_code == 304
    assert client.get(poll, HTTP_IF_NONE_MATCH=plain["ETag"]).status_code == 304
