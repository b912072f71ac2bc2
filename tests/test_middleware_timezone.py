"""UserTimeZoneMiddleware: every time on every page in the signed-in user's zone."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts.middleware import UserTimeZoneMiddleware
from tests import factories
from tests.fixtures_pages import minutes_ago

# 21 December 2015, 20:00 UTC: already the 22nd in Tokyo, still the 21st in New York.
PUBLISHED = minutes_ago(46 * 60)


pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def entry(stream_a):
    return factories.EntryFactory(stream=stream_a, title="Amnesty reports", published_at=PUBLISHED)


def entry_page(client, entry) -> str:
    return client.get(entry.get_absolute_url()).content.decode()


def test_member_sees_entry_times_in_their_zone(client_as, member, entry):
    member.time_zone = "Asia/Tokyo"
    member.save()

    page = entry_page(client_as(member), entry)

    assert 'datetime="2015-12-22T05:00:00+09:00"' in page
    assert 'title="Tuesday 22 December 2015, 05:00 JST"' in page
    assert "1 day ago · 22 December 2015" in page


def test_visitors_see_the_sites_zone(client, entry):
    page = entry_page(client, entry)

    assert 'title="Monday 21 December 2015, 20:00 UTC"' in page
    assert "1 day ago · 21 December 2015" in page


def test_member_without_a_zone_sees_the_sites_zone(client_as, member, entry):
    page = entry_page(client_as(member), entry)

    assert 'title="Monday 21 December 2015, 20:00 UTC"' in page


def test_a_zone_that_no_longer_exists_falls_back_to_the_sites_zone(client_as, member, entry):
    # Saved by bypassing validation, as a tz database update might leave it.
    type(member).objects.filter(pk=member.pk).update(time_zone="Atlantis/Capital")

    page = entry_page(client_as(member), entry)

    assert 'title="Monday 21 December 2015, 20:00 UTC"' in page


def test_another_members_zone_does_not_leak_into_the_next_request(client_as, member, entry):
    member.time_zone = "America/New_York"
    member.save()
    assert "15:00 EST" in entry_page(client_as(member), entry)

    assert "20:00 UTC" in entry_page(client_as(factories.UserFactory()), entry)
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_request_without_a_session_cookie_never_loads_the_user(db):
    request = RequestFactory().get("/robots.txt")

    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError("the user was loaded for a request without a session")

    request.user = Untouchable()
    seen = []
    response = UserTimeZoneMiddleware(
        lambda r: seen.append(timezone.get_current_timezone_name()) or "response"
    )(request)

    assert response == "response"
    assert seen == ["UTC"]


def test_robots_txt_stays_a_bare_view_for_visitors(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/robots.txt")

    assert "Cookie" not in response.get("Vary", "")
