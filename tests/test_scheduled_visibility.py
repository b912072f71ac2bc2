"""A scheduled entry appears to readers at its time, with no job run: page, permalink, updates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streams.models import Entry
from tests import factories
from tests.fixtures_pages import NOW, flow_ids, frozen, scheduled_entry

STREAM_URL = "/streams/syria/"
UPDATES_URL = "/streams/syria/updates/"
AT = NOW + timedelta(minutes=30)


@pytest.fixture
def earlier(stream_a) -> Entry:
    with frozen():
        return factories.EntryFactory(stream=stream_a, published_at=NOW - timedelta(minutes=10))


@pytest.fixture
def scheduled(stream_a, earlier) -> Entry:
    with frozen():
        return scheduled_entry(stream_a, published_at=AT, title="Ceasefire announced")


def test_the_stream_page_shows_a_scheduled_entry_from_its_time_on(client, earlier, scheduled):
    with frozen(AT - timedelta(seconds=1)):
        assert flow_ids(client.get(STREAM_URL)) == [earlier.pk]

    with frozen(AT):
        assert flow_ids(client.get(STREAM_URL)) == [scheduled.pk, earlier.pk]


def test_the_permalink_is_missing_until_the_time_then_shown(client, scheduled):
    url = f"{STREAM_URL}entries/{scheduled.pk}/"
    with frozen(AT - timedelta(minutes=1)):
        assert client.get(url).status_code == 404

    with frozen(AT + timedelta(minutes=1)):
        response = client.get(url)

    assert response.status_code == 200
    assert "Ceasefire announced" in response.content.decode()


def test_the_updates_endpoint_brings_a_scheduled_entry_when_its_time_comes(
    client, earlier, scheduled
):
    with frozen():
        poll = client.get(STREAM_URL)
    cursor_url = poll.content.decode().split('data-updates-url="', 1)[1].split('"', 1)[0]
    cursor_url = cursor_url.replace("&amp;", "&")

    with frozen(AT - timedelta(seconds=1)):
        assert client.get(cursor_url).json()["count"] == 0

    with frozen(AT + timedelta(seconds=1)):
        payload = client.get(cursor_url).json()

    assert payload["count"] == 1
    assert f'data-entry-id="{scheduled.pk}"' in payload["html"]


def test_a_scheduled_entry_is_invisible_on_the_previous_and_next_links(client, earlier, scheduled):
    with frozen():
        page = client.get(f"{STREAM_URL}entries/{earlier.pk}/").content.decode()

    assert f"/entries/{scheduled.pk}/" not in page


def test_a_submitted_entry_is_never_shown_whatever_its_time(client, stream_a):
    with frozen():
        entry = factories.EntryFactory(
            stream=stream_a, status=Entry.Status.SUBMITTED, published_at=NOW - timedelta(hours=1)
        )
        assert flow_ids(client.get(STREAM_URL)) == []
        assert client.get(f"{STREAM_URL}entries/{entry.pk}/").status_code == 404
        assert client.get(UPDATES_URL).json()["count"] == 0
