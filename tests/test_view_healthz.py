from __future__ import annotations

from django.db import OperationalError


def test_healthz_answers_ok_when_database_and_cache_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "queue": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_down(client, db, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr("pressimus.views.connection.cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_healthz_answers_503_when_the_cache_is_down(client, db, monkeypatch):
    def broken_set(*args, **kwargs):
        raise ConnectionError("redis unreachable")

    monkeypatch.setattr("pressimus.views.cache.set", broken_set)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "down"
