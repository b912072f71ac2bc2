"""Schemathesis over the whole OpenAPI document, through the WSGI app (no server): every
operation, with generated parameters, answers without a server error and as documented."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from pressimus.wsgi import application
from tests.fixtures_pages import person, rich_entry

# Read from the app itself when the tests are collected; the document needs no database.
# (Not schemathesis.pytest.from_fixture: its lazy loader relies on a pytest internal that
# pytest 9.2 removed.)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def content(db, settings, stream_a, source):
    """Something for the generated requests to find, besides everything they do not."""
    # Every generated request comes from one client: the limit is tested in test_api_http.
    settings.API_RATE_LIMIT = "100000/m"
    rich_entry(stream_a, published_at=timezone.now(), sources=[source], profile=person())
    # As Django's test client does: the WSGI app closes the database connection after each
    # request, which would end the test's transaction (on PostgreSQL).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
# A few examples per operation keep the whole run to seconds; derandomized, the same every run.
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(case, content):
    # Every check but one: some rules no schema can state (a cursor is one we made, a search
    # date lies between 1900 and 2999, a filter names a publisher that exists), so a request
    # the document allows may still be a 400. Those are tested one by one beside each view.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
