"""The anonymous stream page and the unchanged poll, answered from the cache per version."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from streams.models import Entry, Stream
from tests import factories
from tests.fixtures_pages import NOW, content, flow_ids, minutes_ago, scheduled_entry

URL = "/streams/syria/"
PAGE_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def entry(stream_a):
    return factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5), title="First")


@pytest.fixture
def members_only(stream_a):
    stream_a.visibility = Stream.Visibility.MEMBERS
    stream_a.save()
    return stream_a


def _assert_kept_headers(response) -> None:
    assert response["Cache-Control"] == PAGE_CACHE_CONTROL
    assert "Cookie" in [part.strip() for part in response["Vary"].split(",")]
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in content(response)


def test_the_anonymous_page_is_served_warm_without_a_query(
    client, entry, django_assert_num_queries
):
    cold = client.get(URL)

    with django_assert_num_queries(0):
        warm = client.get(URL)

    assert warm.status_code == 200
    assert warm.content == cold.content
    assert flow_ids(warm) == [entry.pk]


def test_made_up_order_values_share_the_newest_first_page_rather_than_fill_the_cache(
    client, entry, django_assert_num_queries
):
    cold = client.get(f"{URL}?order=x1")

    with django_assert_num_queries(0):
        other = client.get(f"{URL}?order=x2")
        newest = client.get(f"{URL}?order=newest")

    assert other.content == cold.content == newest.content


def test_the_anonymous_page_has_shared_cache_headers_cold_and_warm(client, entry):
    cold = client.get(URL)
    warm = client.get(URL)

    _assert_kept_headers(cold)
    _assert_kept_headers(warm)
    assert warm["Content-Type"] == cold["Content-Type"]


def test_the_warm_page_costs_one_cache_round_trip(client, entry, cache_calls):
    client.get(URL)
    cache_calls.clear()

    client.get(URL)

    assert cache_calls == ["get_many"]


def test_a_published_entry_appears_on_the_next_request(client, stream_a, entry):
    client.get(URL)

    fresh = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1), title="Fresh")

    assert flow_ids(client.get(URL)) == [fresh.pk, entry.pk]


def test_an_edited_entry_shows_its_new_title_on_the_next_request(client, entry):
    client.get(URL)

    entry.title = "Corrected title"
    entry.save()

    assert "Corrected title" in content(client.get(URL))


def test_an_unpublished_entry_disappears_on_the_next_request(client, stream_a, entry):
    other = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(10))
    client.get(URL)

    entry.status = Entry.Status.DRAFT
    entry.save()

    assert flow_ids(client.get(URL)) == [other.pk]


def test_a_deleted_entry_disappears_on_the_next_request(client, entry):
    client.get(URL)

    entry.delete()

    assert flow_ids(client.get(URL)) == []


def test_a_stream_made_members_only_is_no_longer_served_to_anonymous_readers(client, entry):
    client.get(URL)
    stream = entry.stream
    stream.visibility = Stream.Visibility.MEMBERS
    stream.save()

    response = client.get(URL)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_scheduled_entry_appears_once_its_time_has_come(client, stream_a, entry):
    due = scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=1), title="Embargo")
    assert flow_ids(client.get(URL)) == [entry.pk]

    with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
        assert flow_ids(client.get(URL)) == [due.pk, entry.pk]


def test_each_order_and_page_is_kept_apart(client, stream_a, settings):
    settings.STREAM_PAGE_SIZE = 2
    entries = [
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n + 1)) for n in range(3)
    ]
    newest = flow_ids(client.get(URL))
    oldest = flow_ids(client.get(f"{URL}?order=oldest"))

    assert newest == [entries[0].pk, entries[1].pk]
    assert oldest == [entries[2].pk, entries[1].pk]
    assert flow_ids(client.get(URL)) == newest
    assert flow_ids(client.get(f"{URL}?order=oldest")) == oldest


def test_a_members_only_stream_is_never_kept(
    client_as, member, members_only, django_assert_max_num_queries
):
    factories.EntryFactory(stream=members_only, published_at=minutes_ago(1))
    reader = client_as(member)
    reader.get(URL)

    response = reader.get(URL)

    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_members_only_stream_costs_queries_warm_for_a_member(client_as, member, members_only):
    reader = client_as(member)
    reader.get(URL)

    # Were the page kept, this request would cost no query at all.
    with CaptureQueriesContext(connection) as queries:
        assert reader.get(URL).status_code == 200

    assert len(queries) > 0


def test_a_signed_in_readers_page_costs_queries_warm(client_as, member, entry):
    reader = client_as(member)
    reader.get(URL)

    with CaptureQueriesContext(connection) as queries:
        assert reader.get(URL).status_code == 200

    assert len(queries) > 0


def test_a_members_only_stream_still_sends_anonymous_readers_to_sign_in(client, members_only):
    client.get(URL)

    assert client.get(URL).status_code == 302


def test_a_signed_in_readers_page_is_never_kept_nor_handed_to_others(
    client, client_as, member, entry
):
    reader = client_as(member)
    own = reader.get(URL)
    assert "Sign in" not in content(own)
    assert "public" not in own.get("Cache-Control", "")

    anonymous = client.get(URL)

    assert "Sign in" in content(anonymous)
    assert "Mia Member" not in content(anonymous)
    assert 'data-live-updates="button"' in content(anonymous)


def test_a_signed_in_reader_is_not_handed_the_anonymous_page(client, client_as, member, entry):
    client.get(URL)
    client.get(URL)

    own = client_as(member).get(URL)

    assert "Sign in" not in content(own)
    assert "public" not in own.get("Cache-Control", "")


def test_a_reader_with_a_messages_cookie_gets_a_fresh_page(client, entry, cache_calls):
    client.get(URL)
    client.cookies["messages"] = "anything"
    cache_calls.clear()

    client.get(URL)

    assert "get_many" not in cache_calls


# The updates poll ---------------------------------------------------------------------------


def test_an_unchanged_poll_costs_one_cache_round_trip_and_no_query(
    client, entry, cache_calls, django_assert_num_queries
):
    poll = client.get(URL).content.decode().split('data-updates-url="')[1].split('"')[0]
    poll = poll.replace("&amp;", "&")
    first = client.get(poll)
    cache_calls.clear()

    with django_assert_num_queries(0):
        again = client.get(poll)

    assert cache_calls == ["get_many"]
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]


def test_an_unchanged_poll_of_a_members_only_stream_stays_404_for_anonymous_readers(
    client, client_as, member, members_only
):
    client_as(member).get("/streams/syria/updates/")

    assert client.get("/streams/syria/updates/").status_code == 404
