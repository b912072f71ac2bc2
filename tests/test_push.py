"""Push (live.push, live.views.stream_events): after a change commits, the stream's channel hears
its new version once; the engine asks Django who may listen; without an engine nothing changes.

The engine here is a real HTTP server on loopback that records what it is sent, as Nchan's
publisher location would receive it; tests/stack/ tries the real Nchan in Chromium.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from bench.server import free_port
from live import push
from live import versions as live
from streams.models import Block, Byline, Stream
from tests import factories
from tests.fixtures_pages import minutes_ago, updates_url
from tests.loopback import QuietHandler, serving
from tests.test_settings import manage

# Where the readers' pages reach the push engine: the site's host, another port.
PUSH_ORIGIN = "https://testserver:8443"


class _Engine(QuietHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.heard.append((self.path, self.headers["X-EventSource-Event"], json.loads(body)))
        self.send_response(202)
        self.end_headers()


@pytest.fixture
def engine(settings):
    with serving(_Engine) as (url, heard):
        settings.PUSH_URL = url
        settings.PUSH_EVENTS_ORIGIN = PUSH_ORIGIN
        yield heard


def test_a_published_entry_is_announced_once_with_the_streams_new_version(engine, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    assert engine[-1] == ("/stream-syria", "change", {"v": live.stream_version(stream_a.pk)})
    versions = [message["v"] for _, _, message in engine]
    assert versions == sorted(set(versions)), "announced twice or out of order"


@pytest.mark.django_db(transaction=True)
def test_one_admin_save_of_an_entry_and_its_parts_is_one_announcement(engine, stream_a):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    engine.clear()
    with transaction.atomic():
        entry.title = "Corrected"
        entry.save()
        Block.objects.create(entry=entry, position=1, kind="text", body="<p>More.</p>")
        Byline.objects.create(entry=entry, position=0, name="A. Writer")

    assert [path for path, _, _ in engine] == ["/stream-syria"]


@pytest.mark.django_db(transaction=True)
def test_a_change_that_rolls_back_is_not_announced(engine):
    stream = factories.StreamFactory(slug="rolled")
    engine.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.EntryFactory(stream=stream, published_at=minutes_ago(1))
        raise RuntimeError("the editor's save failed")

    assert engine == []


def test_an_unreachable_engine_loses_no_write(settings, stream_a, caplog):
    settings.PUSH_URL = f"http://127.0.0.1:{free_port()}"
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    entry.refresh_from_db()
    assert entry.status == entry.Status.PUBLISHED
    assert "push" in caplog.text.lower()


def test_without_an_engine_nothing_is_sent_and_pages_only_poll(settings, client, stream_a):
    settings.PUSH_URL = ""
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    assert push.announce({"syria": 1}) == 0
    page = client.get("/streams/syria/")
    assert b"data-updates-url" in page.content
    assert b"data-events-url" not in page.content
    assert client.get("/streams/syria/events/").status_code == 404


def test_without_an_engine_a_change_costs_no_query_for_push(
    settings, stream_a, django_assert_num_queries
):
    settings.PUSH_URL = ""
    with django_assert_num_queries(0):
        live.stream_changed(stream_a.pk)


def test_with_an_engine_the_stream_page_and_embed_name_the_events_url(engine, client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))

    for url in ("/streams/syria/", "/streams/syria/embed/"):
        expected = f'data-events-url="{PUSH_ORIGIN}/streams/syria/events/"'
        assert expected.encode() in client.get(url).content, url


def test_pages_may_connect_to_the_push_engines_origin_and_no_other():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src'])",
        DEBUG="true",
        PUSH_URL="http://push:8081",
        PUSH_EVENTS_ORIGIN="https://news.example.org:8443/",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[\"'self'\", 'https://news.example.org:8443']"


@pytest.mark.parametrize(
    "origin", ["", "news.example.org:8443", "https://news.example.org/events/", "wss://x.org"]
)
def test_push_without_an_origin_readers_can_reach_stops_the_site_from_starting(origin):
    result = manage("check", DEBUG="true", PUSH_URL="http://push:8081", PUSH_EVENTS_ORIGIN=origin)

    assert result.returncode != 0
    assert "PUSH_EVENTS_ORIGIN must be the push engine's origin" in result.stderr


def test_the_engine_may_let_anyone_listen_to_a_public_stream(engine, client, stream_a):
    response = client.get("/streams/syria/events/")

    assert response.status_code == 204
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("slug", ["no-such-stream", "draft"])
def test_a_stream_readers_cannot_see_is_no_channel(engine, client, publisher_a, slug):
    factories.StreamFactory(publisher=publisher_a, slug="draft", status=Stream.Status.DRAFT)

    assert client.get(f"/streams/{slug}/events/").status_code == 404


def test_members_only_channels_are_for_signed_in_members(
    engine, client, client_as, member, publisher_a
):
    factories.StreamFactory(
        publisher=publisher_a, slug="closed", visibility=Stream.Visibility.MEMBERS
    )

    assert client.get("/streams/closed/events/").status_code == 404
    client.cookies["sessionid"] = "forged-session-key-of-nobody"
    assert client.get("/streams/closed/events/").status_code == 404
    assert client_as(member).get("/streams/closed/events/").status_code == 204


def test_a_page_that_heard_of_a_version_is_never_told_nothing_new(
    engine, client, stream_a, settings, monkeypatch
):
    """This process remembers an answer (LIVE_MEMO_MS) made before the push it has not yet
    seen the version of: ``?at=`` with the announced version gets a fresh one."""
    settings.LIVE_MEMO_MS = 60_000
    monkeypatch.setattr(live.time, "monotonic", lambda: 1000.0)
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = updates_url(client.get("/streams/syria/"))
    assert client.get(poll).json()["count"] == 0
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1), title="Breaking")
    announced = engine[-1][2]["v"]

    assert client.get(poll).json()["count"] == 0  # remembered: this process's memo
    fresh = client.get(f"{poll}&at={announced}").json()
    assert fresh["count"] == 1
    assert "Breaking" in fresh["html"]


@pytest.mark.parametrize("at", ["", "x", "-1", "9" * 19, "\uff11\uff12"])
def test_a_malformed_announced_version_is_ignored(engine, client, stream_a, at):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    poll = updates_url(client.get("/streams/syria/"))

    response = client.get(f"{poll}&at={at}")

    assert response.status_code == 200
    assert response.json()["count"] == 0
