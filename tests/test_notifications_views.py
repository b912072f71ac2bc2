"""notifications.views and the alert controls: a choice on every follow (the stream and publisher
pages, the home page, settings), without JavaScript; signed unsubscribe links."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from notifications.links import unsubscribe_token
from notifications.models import AlertChoice, AlertSetting
from notifications.services import follow_alerts_set
from streams.services import follow_toggle

CHOICES = [AlertChoice.KEY_EVENTS, AlertChoice.HOURLY, AlertChoice.DAILY, AlertChoice.OFF]


@pytest.fixture
def followed(member, stream_a):
    follow_toggle(user=member, stream=stream_a, follow=True)
    return member.follows.get()


def choice_of(follow) -> str:
    setting = AlertSetting.objects.filter(follow=follow).first()
    return setting.choice if setting else AlertChoice.KEY_EVENTS


def select(follow, selected: str) -> str:
    options = "".join(
        f'<option value="{value}"{" selected" if value == selected else ""}>{label}</option>'
        for value, label in AlertChoice.choices
    )
    return f'<select id="alerts-{follow.pk}" name="alerts-{follow.pk}">{options}</select>'


def test_a_new_follow_alerts_on_key_events_and_says_so_on_the_stream_page(
    client_as, member, followed
):
    response = client_as(member).get("/streams/syria/")

    assertContains(response, select(followed, AlertChoice.KEY_EVENTS), html=True)
    assert choice_of(followed) == AlertChoice.KEY_EVENTS


def test_a_stream_not_followed_offers_no_alert_choice(client_as, member, stream_a):
    response = client_as(member).get("/streams/syria/")

    assertNotContains(response, 'name="alerts-')


@pytest.mark.parametrize("choice", CHOICES)
def test_following_with_each_choice_is_saved_and_shown(client_as, member, followed, choice):
    client = client_as(member)
    response = client.post(
        "/settings/alerts/", {f"alerts-{followed.pk}": choice, "next": "/streams/syria/"}
    )

    assertRedirects(response, "/streams/syria/", fetch_redirect_response=False)
    assert choice_of(followed) == choice
    page = client.get("/streams/syria/")
    assertContains(page, select(followed, choice), html=True)
    assertContains(page, "E-mail from “Syria: December 23”:")


def test_a_publisher_page_offers_the_choice_of_its_follow(client_as, member, publisher_a):
    follow_toggle(user=member, publisher=publisher_a, follow=True)
    follow = member.follows.get()
    follow_alerts_set(follow=follow, choice=AlertChoice.DAILY)

    response = client_as(member).get(f"/publishers/{publisher_a.slug}/")

    assertContains(response, select(follow, AlertChoice.DAILY), html=True)


def test_the_home_page_shows_each_follows_choice(client_as, member, followed, publisher_b):
    follow_toggle(user=member, publisher=publisher_b, follow=True)
    other = member.follows.get(publisher=publisher_b)
    follow_alerts_set(follow=other, choice=AlertChoice.OFF)
    response = client_as(member).get("/")

    assertContains(response, select(followed, AlertChoice.KEY_EVENTS), html=True)
    assertContains(response, select(other, AlertChoice.OFF), html=True)


def test_settings_list_every_follow_with_its_choice_and_save_them_at_once(
    client_as, member, followed, publisher_b
):
    follow_toggle(user=member, publisher=publisher_b, follow=True)
    other = member.follows.get(publisher=publisher_b)
    client = client_as(member)

    page = client.get("/settings/")
    assertContains(page, '<h2 id="alerts-heading">E-mail alerts</h2>', html=True)
    assertContains(page, select(followed, AlertChoice.KEY_EVENTS), html=True)
    assertContains(page, "Harbour Light: all its streams")

    response = client.post(
        "/settings/alerts/",
        {
            f"alerts-{followed.pk}": AlertChoice.HOURLY,
            f"alerts-{other.pk}": AlertChoice.OFF,
            "next": "/settings/#alerts",
        },
    )

    assertRedirects(response, "/settings/#alerts", fetch_redirect_response=False)
    assert (choice_of(followed), choice_of(other)) == (AlertChoice.HOURLY, AlertChoice.OFF)
    assertContains(client.get("/settings/"), "Your alert choices are saved.")


def test_settings_with_no_follows_say_how_to_get_alerts(client_as, member):
    assertContains(client_as(member).get("/settings/"), "You follow nothing yet.")


def test_a_choice_we_do_not_offer_changes_nothing_and_says_so(client_as, member, followed):
    client = client_as(member)
    response = client.post("/settings/alerts/", {f"alerts-{followed.pk}": "every-minute"})

    assertRedirects(response, "/settings/#alerts", fetch_redirect_response=False)
    assert choice_of(followed) == AlertChoice.KEY_EVENTS
    assertContains(client.get("/settings/"), "That is not one of the choices offered")


def test_someone_elses_follow_cannot_be_changed(client_as, editor_b, followed):
    response = client_as(editor_b).post(
        "/settings/alerts/", {f"alerts-{followed.pk}": AlertChoice.OFF}
    )

    assert response.status_code == 302
    assert choice_of(followed) == AlertChoice.KEY_EVENTS


def test_choosing_needs_a_sign_in(client, followed):
    response = client.post("/settings/alerts/", {f"alerts-{followed.pk}": AlertChoice.OFF})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert choice_of(followed) == AlertChoice.KEY_EVENTS


def test_a_next_to_another_site_is_not_followed(client_as, member, followed):
    response = client_as(member).post(
        "/settings/alerts/",
        {f"alerts-{followed.pk}": AlertChoice.OFF, "next": "https://evil.example/"},
    )

    assertRedirects(response, "/settings/#alerts", fetch_redirect_response=False)


# Unsubscribe links


def unsubscribe_path(user, follows) -> str:
    token = unsubscribe_token(user_id=user.pk, follow_ids=[f.pk for f in follows])
    return f"/alerts/unsubscribe/{token}/"


def test_the_link_shows_a_page_to_confirm_and_changes_nothing_by_itself(client, member, followed):
    response = client.get(unsubscribe_path(member, [followed]))

    assert response.status_code == 200
    assertContains(response, "<h1>Stop these e-mails?</h1>", html=True)
    assertContains(
        response, '<button class="button" type="submit">Stop these e-mails</button>', html=True
    )
    assertContains(response, "Syria: December 23")
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert choice_of(followed) == AlertChoice.KEY_EVENTS


def test_pressing_the_button_turns_the_alerts_off_and_keeps_the_follow(client, member, followed):
    path = unsubscribe_path(member, [followed])
    response = client.post(path)

    assert response.status_code == 200
    assertContains(response, "<h1>Done: these e-mails are off</h1>", html=True)
    assert choice_of(followed) == AlertChoice.OFF
    assert member.follows.filter(pk=followed.pk).exists()
    assertContains(client.get(path), "<h1>These e-mails are already off</h1>", html=True)


def test_one_click_works_without_a_session_or_csrf_token(member, followed):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_path(member, [followed]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert choice_of(followed) == AlertChoice.OFF


def test_a_forged_link_gets_a_clear_400_page(client, member, followed):
    token = unsubscribe_token(user_id=member.pk, follow_ids=[followed.pk])
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    for path in (f"/alerts/unsubscribe/{forged}/", "/alerts/unsubscribe/not-a-token/"):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 400
            assertContains(
                response, "<h1>We do not recognise this link</h1>", html=True, status_code=400
            )
    assert choice_of(followed) == AlertChoice.KEY_EVENTS


def test_a_link_signed_for_something_else_is_refused(client, member, followed):
    other = signing.dumps({"p": "alerts-off", "u": member.pk, "f": [followed.pk]}, salt="other")
    wrong_purpose = signing.dumps(
        {"p": "delete-everything", "u": member.pk, "f": [followed.pk]},
        salt="notifications.unsubscribe",
    )

    for token in (other, wrong_purpose):
        assert client.post(f"/alerts/unsubscribe/{token}/").status_code == 400
    assert choice_of(followed) == AlertChoice.KEY_EVENTS


def test_an_expired_link_gets_a_clear_410_page(client, member, followed):
    path = unsubscribe_path(member, [followed])

    with time_machine.travel(timezone.now() + timedelta(days=366)):
        response = client.post(path)

    assertContains(response, "<h1>This link has expired</h1>", html=True, status_code=410)
    assert choice_of(followed) == AlertChoice.KEY_EVENTS


def test_a_link_for_a_follow_since_removed_says_there_is_nothing_to_stop(client, member, followed):
    path = unsubscribe_path(member, [followed])
    follow_toggle(user=member, stream=followed.stream, follow=False)

    assertContains(client.get(path), "<h1>There is nothing left to stop</h1>", html=True)
    assertContains(client.post(path), "<h1>There is nothing left to stop</h1>", html=True)


def test_a_link_cannot_reach_someone_elses_follow(client, member, editor_b, followed):
    # Signed for editor_b, naming member's follow: only editor_b's follows are touched.
    response = client.post(unsubscribe_path(editor_b, [followed]))

    assert response.status_code == 200
    assert choice_of(followed) == AlertChoice.KEY_EVENTS
