"""JSON log lines and the request id that ties a request's lines to its response."""

from __future__ import annotations

import json
import logging

from pressimus.lib.logging import JSONFormatter, RequestIDFilter, request_id_var


def record(message: str = "hello %s", exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(
        "pressimus.test", logging.WARNING, __file__, 1, message, ("world",), exc_info
    )


def formatted(rec: logging.LogRecord) -> dict:
    RequestIDFilter().filter(rec)
    return json.loads(JSONFormatter().format(rec))


def test_a_log_line_is_one_json_object_with_the_request_id():
    token = request_id_var.set("abc-123")
    try:
        line = formatted(record())
    finally:
        request_id_var.reset(token)

    assert line["level"] == "WARNING"
    assert line["logger"] == "pressimus.test"
    assert line["message"] == "hello world"
    assert line["request_id"] == "abc-123"
    assert line["time"].endswith("+00:00")


def test_an_exception_is_kept_in_the_same_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        line = formatted(record(exc_info=sys.exc_info()))

    assert "ValueError: boom" in line["exc_info"]
    assert line["request_id"] is None


PRIVATE_PAGE = "/accounts/login/"


def test_every_response_carries_a_new_request_id(client, db):
    first = client.get(PRIVATE_PAGE)["X-Request-ID"]
    second = client.get(PRIVATE_PAGE)["X-Request-ID"]

    assert len(first) == 32
    assert first != second


def test_a_sane_incoming_request_id_is_kept(client, db):
    response = client.get(PRIVATE_PAGE, headers={"X-Request-ID": "lb.7f3a-01_x"})

    assert response["X-Request-ID"] == "lb.7f3a-01_x"


def test_an_unsafe_or_long_incoming_request_id_is_replaced(client, db):
    for bad in ["a b", "x\r\nSet-Cookie: y", "a" * 65, "<script>"]:
        response = client.get(PRIVATE_PAGE, headers={"X-Request-ID": bad})
        assert response["X-Request-ID"] != bad
        assert len(response["X-Request-ID"]) == 32


def test_an_answer_shared_caches_keep_names_no_request(client, db, stream_a):
    # The edge hands a kept answer to every reader: one request's id would be everyone's.
    for url in ["/robots.txt", stream_a.get_absolute_url()]:
        response = client.get(url, headers={"X-Request-ID": "lb.7f3a-01_x"})

        assert "public" in response["Cache-Control"]
        assert "X-Request-ID" not in response


def test_the_line_django_logs_for_a_404_carries_the_request_id(client, db, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")

    response = client.get("/no-such-page/", headers={"X-Request-ID": "lb.404-a"})

    assert response.status_code == 404
    assert response["X-Request-ID"] == "lb.404-a"
    (line,) = [r for r in caplog.records if r.name == "django.request"]
    assert formatted(line)["request_id"] == "lb.404-a"


def test_log_records_written_during_a_request_carry_its_id(rf):
    from django.http import HttpResponse

    from pressimus.middleware import RequestIDMiddleware

    lines = []

    def view(request):
        lines.append(formatted(record()))
        return HttpResponse()

    response = RequestIDMiddleware(view)(rf.get("/", headers={"X-Request-ID": "req-1"}))

    assert response["X-Request-ID"] == "req-1"
    assert lines[0]["request_id"] == "req-1"
    assert request_id_var.get() is None
