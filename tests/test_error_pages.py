"""The 404 and 500 pages readers get: in the site's design, in plain words."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.asserts import assertContains


def _assert_site_design(response, status_code: int) -> None:
    assertContains(
        response,
        '<a class="skip-link" href="#main">Skip to content</a>',
        html=True,
        status_code=status_code,
    )
    assertContains(response, '<main id="main" tabindex="-1">', status_code=status_code)
    assertContains(response, "Pressimus", status_code=status_code)


def test_unknown_address_gives_the_404_page_in_the_site_design(client, db):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assertContains(response, "<h1>We could not find that page.</h1>", html=True, status_code=404)
    _assert_site_design(response, 404)


def test_404_from_a_view_uses_the_same_page(client, db):
    response = client.get("/streams/no-such-stream/")

    assertContains(response, "We could not find that page", status_code=404)
    _assert_site_design(response, 404)


@pytest.fixture
def failing_site(settings, db):
    settings.ROOT_URLCONF = "tests.urls_raise"
    return Client(raise_request_exception=False)


def test_failing_view_gives_the_500_page_in_the_site_design(failing_site, caplog):
    with caplog.at_level("CRITICAL", logger="django.request"):
        response = failing_site.get("/boom/")

    assert response.status_code == 500
    assertContains(response, "Something went wrong", status_code=500)
    _assert_site_design(response, 500)


def test_the_site_still_works_under_the_test_urlconf(failing_site):
    assert failing_site.get("/robots.txt").status_code == 200


@pytest.mark.parametrize("path", ["/database-down/", "/connection-closed/"])
def test_an_unreachable_database_gives_the_503_page_with_retry_after(failing_site, caplog, path):
    with caplog.at_level("CRITICAL", logger="django.request"):
        response = failing_site.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert response["Cache-Control"] == "no-store"
    assertContains(response, "<h1>We will be back in a moment.</h1>", html=True, status_code=503)
    assertContains(response, "save it again", status_code=503)
    _assert_site_design(response, 503)


@pytest.mark.parametrize("path", ["/integrity-error/", "/bug-during-outage/"])
def test_a_database_error_that_is_a_bug_stays_a_500(failing_site, caplog, path):
    with caplog.at_level("CRITICAL", logger="django.request"):
        response = failing_site.get(path)

    assert response.status_code == 500
    assert "Retry-After" not in response
    assertContains(response, "Something went wrong", status_code=500)
