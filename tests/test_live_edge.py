"""The edge's copies of what up-to-date readers poll, refreshed as a change commits (live.edge).

The edge's refresh port here is a real HTTP server on loopback that records what it is asked,
as nginx's refresh server would be; tests/stack/test_edge.py runs the real nginx.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

from live import edge
from live import versions as live
from streams.models import Stream
from tests import factories
from tests.fixtures_pages import minutes_ago, updates_url
from tests.loopback import QuietHandler, serving
from tests.test_settings import REAL_KEY, manage

STREAM_URL = "/streams/syria/"


class _RefreshPort(QuietHandler):
    def do_GET(self):
        self.server.heard.append((self.path, dict(self.headers)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def refresh_port(settings):
    with serving(_RefreshPort) as (url, asked):
        settings.EDGE_REFRESH_URL = url
        settings.SITE_URL = "https://news.example.org"
        yield asked


@pytest.fixture
def refreshes(monkeypatch):
    """The refresh threads started, joined before the test looks at what the port was asked."""
    started = []
    real = edge.refresh

    def recording(versions):
        thread = real(versions)
        if thread is not None:
            started.append(thread)
        return thread

    monkeypatch.setattr(edge, "refresh", recording)

    def join():
        for thread in started:
            thread.join(10)
        return len(started)

    return join


def _noted(stream) -> list[str]:
    return [url for url, _ in cache.get(f"live:next:{stream.slug}") or []]


def test_the_url_readers_poll_next_is_noted_as_the_answer_is_made(client, stream_a, refresh_port):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = updates_url(client.get(STREAM_URL))

    answer = client.get(poll).json()

    # An up-to-date page's poll sends it on to the URL it asked: the one every such page holds.
    assert answer["next"] == poll
    assert _noted(stream_a) == [poll]


def test_each_versions_url_is_noted_newest_first_while_pages_may_still_poll_it(
    client, stream_a, refresh_port, monkeypatch
):
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(edge.time, "time", lambda: clock["now"])
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    urls = [updates_url(client.get(STREAM_URL))]
    client.get(urls[0])
    for minutes in (3, 2, 1):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(minutes))
        clock["now"] += 1
        urls.append(client.get(urls[-1]).json()["next"])

    # Changes a second apart: pages sent to any of them in the last interval poll it still.
    assert len(set(urls)) == 4
    assert _noted(stream_a) == urls[::-1]

    # The next change comes after a quiet spell: only the newest URL (every page went on to it)
    # and the one it replaced just now are held.
    clock["now"] += settings.LIVE_POLL_INTERVAL_MS / 1000 + edge.HELD_MARGIN_S + 1
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(0))
    urls.append(client.get(urls[-1]).json()["next"])

    assert _noted(stream_a) == [urls[-1], urls[-2]]


def test_a_change_that_commits_has_the_edge_ask_again_for_each_noted_url_in_each_encoding(
    client, stream_a, refresh_port, refreshes
):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = updates_url(client.get(STREAM_URL))
    client.get(poll)
    before = live.stream_version(stream_a.pk)

    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1), title="Breaking")
    # The factory commits the entry, then each of its parts: each commit asks again.
    commits = refreshes()
    assert commits >= 1

    newer = range(before + 1, live.stream_version(stream_a.pk) + 1)
    encodings = sorted(headers["Accept-Encoding"] for _, headers in refresh_port)
    assert encodings == [""] * commits + ["gzip"] * commits
    for path, headers in refresh_port:
        assert path == poll
        assert headers["Host"] == "news.example.org"
        assert headers["X-Forwarded-Proto"] == "https"
        assert int(headers[edge.VERSION_HEADER]) in newer
        assert headers["User-Agent"] == edge.USER_AGENT


def test_the_refreshed_answer_is_the_new_one_even_where_the_old_one_is_remembered(
    client, stream_a, settings
):
    settings.LIVE_MEMO_MS = 60_000
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = updates_url(client.get(STREAM_URL))
    assert client.get(poll).json()["count"] == 0
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1), title="Breaking")
    version = live.stream_version(stream_a.pk)

    # A reader's poll within the memo may get the answer this process remembers...
    assert client.get(poll).json()["count"] == 0
    # ...but the edge's refresh names the version it must at least be.
    refreshed = client.get(poll, headers={edge.VERSION_HEADER: str(version)}).json()

    assert refreshed["count"] == 1
    assert "Breaking" in refreshed["html"]
    assert refreshed["version"] == version


def test_members_only_answers_are_never_noted_nor_refreshed(
    client_as, member, publisher_a, refresh_port, refreshes
):
    stream = factories.StreamFactory(
        publisher=publisher_a, slug="closed", visibility=Stream.Visibility.MEMBERS
    )
    factories.EntryFactory(stream=stream, published_at=minutes_ago(5))
    reader = client_as(member)
    poll = updates_url(reader.get("/streams/closed/"))
    assert reader.get(poll).status_code == 200

    factories.EntryFactory(stream=stream, published_at=minutes_ago(1))

    assert _noted(stream) == []
    assert refreshes() == 0
    assert refresh_port == []


def test_without_a_refresh_port_nothing_is_noted_or_asked(client, stream_a, settings, refreshes):
    settings.EDGE_REFRESH_URL = ""
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    client.get(updates_url(client.get(STREAM_URL)))
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    assert _noted(stream_a) == []
    assert refreshes() == 0


def test_an_edge_that_cannot_be_reached_is_logged_and_the_change_stands(
    client, stream_a, settings, refreshes, caplog
):
    from bench.server import free_port

    settings.EDGE_REFRESH_URL = f"http://127.0.0.1:{free_port()}"
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    client.get(updates_url(client.get(STREAM_URL)))

    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1), title="Kept")
    refreshes()

    assert "edge: could not refresh /streams/syria/updates/" in caplog.text
    assert stream_a.entries.filter(title="Kept").exists()


@pytest.mark.parametrize("value", ["proxy:8082", "http://proxy:8082/refresh", "ftp://proxy"])
def test_a_refresh_url_that_is_not_an_origin_stops_the_start(value):
    result = manage("check", DEBUG="true", EDGE_REFRESH_URL=value)

    assert result.returncode != 0
    assert "EDGE_REFRESH_URL must be the edge's refresh port" in result.stderr


@pytest.mark.parametrize(
    ("variables", "memo"),
    [({}, "1000"), ({"EDGE_REFRESH_URL": "http://proxy:8082"}, "0"),
     ({"EDGE_REFRESH_URL": "http://proxy:8082", "LIVE_MEMO_MS": "500"}, "500")],
)  # fmt: skip
def test_behind_a_refreshed_edge_web_processes_remember_no_answers_unless_told(variables, memo):
    # A remembered answer from before a change could take the refreshed copy's place.
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; print(settings.LIVE_MEMO_MS)",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="news.example.org",
        **variables,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == memo
