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


def shows(page: str, clock: str, date: str) -> bool:
    """The entry leads with its time of day, then (older than a day) its date."""
    return (
        f'<time class="clock" datetime="2015-12-21T20:00:00.000Z" data-when>{clock}</time>'
        f'<span class="clock__age" data-age> · {date}</span>'
    ) in page


def test_member_sees_entry_times_in_their_zone(client_as, member, entry):
    member.time_zone = "Asia/Tokyo"
    member.save()

    page = entry_page(client_as(member), entry)

    assert shows(page, "05:00", "22 December 2015")
    assert 'data-time-zone="Asia/Tokyo"' in page
    assert "Times in <span data-zone-name>Asia/Tokyo</span>." in page


def test_visitors_see_the_newsrooms_zone_named_on_the_page(client, entry):
    entry.stream.publisher.time_zone = "Europe/Moscow"
    entry.stream.publisher.save()

    page = entry_page(client, entry)

    assert shows(page, "23:00", "21 December 2015")
    assert "Times in <span data-zone-name>Europe/Moscow</span>" in page
    assert "data-time-zone" not in page


def test_visitors_of_a_newsroom_without_a_zone_see_the_sites_zone(client, entry):
    page = entry_page(client, entry)

    assert shows(page, "20:00", "21 December 2015")
    assert "Times in <span data-zone-name>UTC</span>" in page


def test_a_members_own_zone_wins_over_the_newsrooms(client_as, member, entry):
    entry.stream.publisher.time_zone = "Europe/Moscow"
    entry.stream.publisher.save()
    member.time_zone = "America/New_York"
    member.save()

    assert shows(entry_page(client_as(member), entry), "15:00", "21 December 2015")


def test_member_without_a_zone_reads_the_newsrooms_zone(client_as, member, entry):
    assert shows(entry_page(client_as(member), entry), "20:00", "21 December 2015")


def test_a_zone_that_no_longer_exists_falls_back_to_the_newsrooms_zone(client_as, member, entry):
    # Saved by bypassing validation, as a tz database update might leave it.
    type(member).objects.filter(pk=member.pk).update(time_zone="Atlantis/Capital")
    type(entry.stream.publisher).objects.filter(pk=entry.stream.publisher_id).update(
        time_zone="Atlantis/Harbour"
    )

    page = entry_page(client_as(member), entry)

    assert shows(page, "20:00", "21 December 2015")


def test_another_members_zone_does_not_leak_into_the_next_request(client_as, member, entry):
    member.time_zone = "America/New_York"
    member.save()
    assert shows(entry_page(client_as(member), entry), "15:00", "21 December 2015")

    assert shows(entry_page(client_as(factories.UserFactory()), entry), "20:00", "21 December 2015")
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
