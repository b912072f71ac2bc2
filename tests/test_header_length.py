"""Answers a shared cache may keep have headers of one length whatever their size
(pressimus.middleware.SteadyHeaderLengthMiddleware): nginx's cache, refreshing an answer whose
headers grew, would otherwise count it as missing in its other workers and ask Django again."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from pressimus.middleware import HEADER_PAD, STEADY_LENGTH, SteadyHeaderLengthMiddleware
from streams.models import Stream
from tests import factories
from tests.fixtures_pages import minutes_ago, updates_url


def _headers_length(response) -> int:
    return len(response["Content-Length"]) + len(response.get(HEADER_PAD, ""))


@pytest.mark.parametrize("size", [0, 9, 999, 1_000, 123_456, 10**7])
def test_a_shareable_answer_of_any_size_has_headers_of_one_length(rf, size):
    def view(request):
        response = HttpResponse(b"x" * size)
        response["Content-Length"] = str(size)
        response["Cache-Control"] = "public, max-age=5"
        return response

    response = SteadyHeaderLengthMiddleware(view)(rf.get("/"))

    assert _headers_length(response) == STEADY_LENGTH
    assert set(response[HEADER_PAD]) == {"0"}


@pytest.mark.parametrize("cache_control", ["private, max-age=0", "no-store", ""])
def test_an_answer_no_shared_cache_keeps_is_left_as_it_is(rf, cache_control):
    def view(request):
        response = HttpResponse(b"personal")
        response["Content-Length"] = "8"
        if cache_control:
            response["Cache-Control"] = cache_control
        return response

    response = SteadyHeaderLengthMiddleware(view)(rf.get("/"))

    assert HEADER_PAD not in response


def test_a_polls_answer_keeps_its_header_length_as_the_stream_grows(client, stream_a):
    factories.EntryFactory(stream=stream_a, published_at=minutes_ago(30))
    poll = updates_url(client.get("/streams/syria/"))
    small = client.get(poll, headers={"Accept-Encoding": "gzip"})
    for minutes in range(29, 0, -1):
        factories.EntryFactory(stream=stream_a, published_at=minutes_ago(minutes), title="N" * 90)
    large = client.get(poll, headers={"Accept-Encoding": "gzip"})

    assert len(small["Content-Length"]) < len(large["Content-Length"])
    assert _headers_length(small) == _headers_length(large) == STEADY_LENGTH


def test_members_only_polls_are_private_and_carry_no_filler(client_as, member, publisher_a):
    stream = factories.StreamFactory(
        publisher=publisher_a, slug="closed", visibility=Stream.Visibility.MEMBERS
    )
    factories.EntryFactory(stream=stream, published_at=minutes_ago(1))
    reader = client_as(member)
    poll = updates_url(reader.get("/streams/closed/"))

    answer = reader.get(poll)

    assert answer.status_code == 200
    assert "private" in answer["Cache-Control"]
    assert HEADER_PAD not in answer
