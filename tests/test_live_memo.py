"""A web process remembers an unchanged poll's answer for LIVE_MEMO_MS (live.versions)."""

from __future__ import annotations

import pytest

from live import versions as live
from tests import factories
from tests.fixtures_pages import minutes_ago, updates_url

pytestmark = pytest.mark.usefixtures("frozen_clock")

STREAM_URL = "/streams/syria/"


@pytest.fixture
def memo(settings, monkeypatch):
    settings.LIVE_MEMO_MS = 1000
    clock = {"now": 1000.0}
    monkeypatch.setattr(live.time, "monotonic", lambda: clock["now"])
    return clock


def _poll(client) -> str:
    url = updates_url(client.get(STREAM_URL))
    assert url is not None
    return url


def test_a_repeated_poll_within_the_memo_is_answered_without_the_cache(
    client, stream_a, memo, cache_calls, django_assert_num_queries
):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll(client)
    first = client.get(poll)
    cache_calls.clear()

    with django_assert_num_queries(0):
        again = client.get(poll)

    assert again.status_code == 200
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert cache_calls == []


def test_after_the_memo_the_poll_asks_the_cache_and_sees_the_change(
    client, stream_a, memo, cache_calls
):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = _poll(client)
    client.get(poll)
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1), title="Breaking")

    within = client.get(poll).json()
    memo["now"] += 1.001
    after = client.get(poll).json()

    assert within["count"] == 0
    assert after["count"] == 1
    assert "Breaking" in after["html"]


def test_a_remembered_members_only_answer_is_still_refused_to_anonymous_readers(
    client_as, client, member, publisher_a, memo
):
    from streams.models import Stream

    stream = factories.StreamFactory(
        publisher=publisher_a, slug="closed", visibility=Stream.Visibility.MEMBERS
    )
    factories.EntryFactory(stream=stream, published_at=minutes_ago(5))
    reader = client_as(member)
    poll = updates_url(reader.get("/streams/closed/"))
    assert reader.get(poll).status_code == 200

    assert client.get(poll).status_code == 404


def test_with_the_memo_off_every_poll_asks_the_cache(client, stream_a, settings, cache_calls):
    settings.LIVE_MEMO_MS = 0
    poll = _poll(client)
    client.get(poll)
    cache_calls.clear()

    client.get(poll)

    assert cache_calls == ["get_many"]


def test_the_memo_stays_bounded_dropping_expired_answers_first(memo, monkeypatch):
    monkeypatch.setattr(live, "_MEMO_MAX", 4)
    for n in range(3):
        live._remember("syria", f"old-{n}", {"n": n})
    memo["now"] += 2
    live._remember("syria", "current", {"n": 3})

    live._remember("syria", "newest", {"n": 4})

    assert set(live._memo) == {("syria", "current"), ("syria", "newest")}
    for n in range(5, 12):
        live._remember("syria", f"more-{n}", {"n": n})
    assert len(live._memo) <= 4


def test_a_remembered_answer_lasts_exactly_the_memo(stream_a, memo, cache_calls):
    live.keep(live.stream_meta("syria"), "page", {"body": "kept"}, 60)
    kept_at = memo["now"]

    memo["now"] = kept_at + 0.9995
    cache_calls.clear()
    assert live.kept("syria", "page")["body"] == "kept"
    assert cache_calls == []

    memo["now"] = kept_at + 1.0
    assert live.kept("syria", "page")["body"] == "kept"
    assert cache_calls == ["get_many"]


def test_the_memo_drops_answers_the_moment_they_expire(memo, monkeypatch):
    monkeypatch.setattr(live, "_MEMO_MAX", 2)
    live._remember("syria", "old", {"n": 0})
    memo["now"] += 0.5
    live._remember("syria", "newer", {"n": 1})
    memo["now"] += 0.5

    live._remember("syria", "newest", {"n": 2})

    assert set(live._memo) == {("syria", "newer"), ("syria", "newest")}


def test_a_full_memo_of_live_answers_starts_afresh(memo, monkeypatch):
    monkeypatch.setattr(live, "_MEMO_MAX", 2)
    live._remember("syria", "first", {"n": 0})
    live._remember("syria", "second", {"n": 1})

    live._remember("syria", "third", {"n": 2})

    assert set(live._memo) == {("syria", "third")}


def test_with_the_memo_off_a_process_keeps_no_answers(stream_a, settings):
    settings.LIVE_MEMO_MS = 0

    live.keep(live.stream_meta("syria"), "page", {"body": "kept"}, 60)

    assert live._memo == {}
    assert live.kept("syria", "page")["body"] == "kept"
