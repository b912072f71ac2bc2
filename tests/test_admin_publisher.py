"""A publisher's page in the back office: its time zone, picked from real zones only."""

from __future__ import annotations

from django.urls import reverse
from pytest_django.asserts import assertContains

from streams.models import Publisher


def _change(client, publisher, **fields):
    data = {
        "name": publisher.name,
        "slug": publisher.slug,
        "description": "",
        "website": "",
        "time_zone": "",
        **fields,
    }
    return client.post(reverse("admin:streams_publisher_change", args=[publisher.pk]), data)


def test_an_editor_sets_the_newsrooms_time_zone_from_the_list(client_as, editor_a, publisher_a):
    page = client_as(editor_a).get(reverse("admin:streams_publisher_change", args=[publisher_a.pk]))
    assertContains(page, '<option value="Europe/London">Europe/London</option>', html=True)

    response = _change(client_as(editor_a), publisher_a, time_zone="Europe/London")

    assert response.status_code == 302
    publisher_a.refresh_from_db()
    assert publisher_a.time_zone == "Europe/London"
    assert str(publisher_a.zone) == "Europe/London"


def test_a_zone_that_does_not_exist_is_refused_on_the_form(client_as, editor_a, publisher_a):
    response = _change(client_as(editor_a), publisher_a, time_zone="Mars/Olympus_Mons")

    assert response.status_code == 200
    assertContains(response, "Select a valid choice.")
    publisher_a.refresh_from_db()
    assert publisher_a.time_zone == ""


def test_a_stored_zone_that_no_longer_exists_reads_as_the_sites(publisher_a, settings):
    Publisher.objects.filter(pk=publisher_a.pk).update(time_zone="Atlantis/Harbour")
    publisher_a.refresh_from_db()

    assert str(publisher_a.zone) == settings.TIME_ZONE
