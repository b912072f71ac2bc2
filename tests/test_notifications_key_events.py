"""notifications.alerts: a key event reaches the followers who want it, once, after commit,
through the task queue; bursts are folded, corrections never alert again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from notifications.models import AlertChoice, AlertSetting, KeyEvent
from notifications.services import follow_alerts_set
from streams import services
from streams.models import Block, Follow, Stream
from tests import factories
from tests.fixtures_tasks import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def amnesty():
    return factories.SourceFactory(
        name="Amnesty International", home_page="https://amnesty.example/"
    )


def key_event(stream, editor, *, title="Amnesty 'unmasks' Russian claims", source=None, **kwargs):
    blocks = [services.TextBlock("<p>Amnesty reports on the strikes.</p>")]
    if source is not None:
        blocks.append(
            services.QuoteBlock(
                source=source,
                body="<p>Civilians were killed in the strikes.</p>",
                cited_url="https://amnesty.example/report",
            )
        )
    return services.entry_create(
        stream=stream,
        title=title,
        blocks=blocks,
        bylines=["James Miller"],
        pinned=True,
        created_by=editor,
        **kwargs,
    )


def follower(email, *, stream=None, publisher=None, choice=None, **fields):
    user = factories.UserFactory(email=email, **fields)
    services.follow_toggle(user=user, stream=stream, publisher=publisher, follow=True)
    if choice is not None:
        follow = Follow.objects.get(user=user)
        follow_alerts_set(follow=follow, choice=choice)
    return user


def to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_a_key_event_mails_each_follower_who_wants_key_events_once_the_worker_runs(
    queue, stream_a, editor_a, amnesty
):
    follower("anna@example.net", stream=stream_a)
    follower("ben@example.net", publisher=stream_a.publisher)

    entry = key_event(stream_a, editor_a, source=amnesty)
    assert not mail.outbox
    queue.run()

    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.net", "ben@example.net"]
    [message] = to("anna@example.net")
    assert message.subject == ("Key event in Syria: December 23: Amnesty 'unmasks' Russian claims")
    link = f"https://testserver/streams/syria/entries/{entry.pk}/"
    assert link in message.body
    assert "Amnesty reports on the strikes." in message.body
    assert "Amnesty International reports:" in message.body
    assert "> Civilians were killed in the strikes." in message.body
    assert "— James Miller" in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{link}"' in html
    assert "<blockquote" in html and "Civilians were killed in the strikes." in html
    assert "https://amnesty.example/report" in html


def test_the_mail_offers_one_click_unsubscribe(queue, stream_a, editor_a):
    anna = follower("anna@example.net", stream=stream_a)
    key_event(stream_a, editor_a)
    queue.run()

    [message] = mail.outbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"])[1]
    assert url.startswith("https://testserver/alerts/unsubscribe/")
    assert url in message.body

    # As a mail program does it: a POST with nothing but the RFC 8058 body, no session, no CSRF.
    one_click = Client(enforce_csrf_checks=True)
    response = one_click.post(
        url.removeprefix("https://testserver"), {"List-Unsubscribe": "One-Click"}, secure=True
    )
    assert response.status_code == 200
    assert AlertSetting.objects.get(follow__user=anna).choice == AlertChoice.OFF

    key_event(stream_a, editor_a, title="Another key event")
    queue.run()
    assert len(mail.outbox) == 1


def test_followers_who_chose_a_digest_or_nothing_get_no_key_event_mail(queue, stream_a, editor_a):
    follower("hourly@example.net", stream=stream_a, choice=AlertChoice.HOURLY)
    follower("daily@example.net", stream=stream_a, choice=AlertChoice.DAILY)
    follower("off@example.net", stream=stream_a, choice=AlertChoice.OFF)
    follower("keen@example.net", stream=stream_a, choice=AlertChoice.KEY_EVENTS)

    key_event(stream_a, editor_a)
    queue.run()

    assert [m.to for m in mail.outbox] == [["keen@example.net"]]


def test_an_entry_that_is_not_pinned_mails_nobody(queue, stream_a, editor_a):
    follower("anna@example.net", stream=stream_a)
    services.entry_create(
        stream=stream_a, blocks=[services.TextBlock("<p>Routine.</p>")], created_by=editor_a
    )
    queue.run()

    assert not mail.outbox


def test_an_entry_pinned_after_publishing_is_a_key_event(queue, stream_a, editor_a):
    follower("anna@example.net", stream=stream_a)
    entry = services.entry_create(
        stream=stream_a, blocks=[services.TextBlock("<p>It grows.</p>")], created_by=editor_a
    )
    queue.run()
    assert not mail.outbox

    services.entry_pin(entry=entry, pinned=True, by=editor_a)
    queue.run()

    [message] = mail.outbox
    assert message.subject == "Key event in Syria: December 23: It grows."


def test_a_correction_after_the_alert_sends_no_second_alert(queue, stream_a, editor_a):
    follower("anna@example.net", stream=stream_a)
    entry = key_event(stream_a, editor_a)
    queue.run()
    assert len(mail.outbox) == 1

    Block.objects.filter(entry=entry).update(body="<p>Amnesty reports, corrected.</p>")
    services.entry_record_edit(entry=entry, note="The toll was corrected.", by=editor_a)
    # Unpinned and pinned again: still the same key event, already announced.
    services.entry_pin(entry=entry, pinned=False, by=editor_a)
    services.entry_pin(entry=entry, pinned=True, by=editor_a)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        queue.run()

    assert len(mail.outbox) == 1
    assert KeyEvent.objects.count() == 1


def test_fifty_key_events_in_a_minute_make_two_mails_not_fifty(queue, stream_a, editor_a, settings):
    settings.ALERT_KEY_EVENT_INTERVAL_MIN = 15
    follower("anna@example.net", stream=stream_a)
    start = timezone.now()

    for n in range(50):
        with time_machine.travel(start + timedelta(seconds=n)):
            key_event(stream_a, editor_a, title=f"Key event {n + 1}")
            queue.run()

    [first] = mail.outbox
    assert first.subject == "Key event in Syria: December 23: Key event 1"

    with time_machine.travel(start + timedelta(minutes=15, seconds=1)):
        queue.run()

    first, second = mail.outbox
    assert second.subject == "49 key events in Syria: December 23"
    assert "Key event 2\n" in second.body and "Key event 11\n" in second.body
    # Ten in full; the rest are on the stream.
    assert "Key event 12\n" not in second.body
    assert "And 39 more key events on the stream" in second.body


def test_the_interval_counts_per_stream(queue, stream_a, stream_b, editor_a, editor_b):
    anna = follower("anna@example.net", stream=stream_a)
    services.follow_toggle(user=anna, stream=stream_b, follow=True)

    key_event(stream_a, editor_a, title="In Syria")
    key_event(stream_b, editor_b, title="In the flood")
    queue.run()

    assert sorted(m.subject for m in mail.outbox) == [
        "Key event in Flood watch: In the flood",
        "Key event in Syria: December 23: In Syria",
    ]


def test_members_only_streams_alert_only_active_members(queue, stream_a, editor_a):
    Stream.objects.filter(pk=stream_a.pk).update(visibility=Stream.Visibility.MEMBERS)
    stream_a.refresh_from_db()
    follower("member@example.net", stream=stream_a)
    gone = follower("gone@example.net", stream=stream_a)
    gone.is_active = False
    gone.save()

    key_event(stream_a, editor_a)
    queue.run()

    assert [m.to for m in mail.outbox] == [["member@example.net"]]


def test_an_account_made_inactive_before_the_mail_goes_gets_nothing(queue, stream_a, editor_a):
    anna = follower("anna@example.net", stream=stream_a)
    key_event(stream_a, editor_a, title="First")
    queue.run()
    assert len(mail.outbox) == 1

    key_event(stream_a, editor_a, title="Second, folded into the next mail")
    queue.run()
    anna.is_active = False
    anna.save()
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        queue.run()

    assert len(mail.outbox) == 1


def test_a_stream_followed_by_itself_goes_by_its_own_choice(queue, stream_a, editor_a):
    anna = follower("anna@example.net", publisher=stream_a.publisher)
    services.follow_toggle(user=anna, stream=stream_a, follow=True)
    follow_alerts_set(follow=Follow.objects.get(user=anna, stream=stream_a), choice="off")

    key_event(stream_a, editor_a)
    queue.run()

    assert not mail.outbox


def test_following_both_a_stream_and_its_publisher_is_still_one_mail(queue, stream_a, editor_a):
    anna = follower("anna@example.net", publisher=stream_a.publisher)
    services.follow_toggle(user=anna, stream=stream_a, follow=True)

    key_event(stream_a, editor_a)
    queue.run()

    assert len(mail.outbox) == 1


def test_a_key_event_scheduled_for_later_alerts_when_it_comes_out(queue, stream_a, editor_a):
    follower("anna@example.net", stream=stream_a)
    at = timezone.now() + timedelta(hours=2)
    key_event(stream_a, editor_a, published_at=at)
    queue.run()
    assert not mail.outbox

    with time_machine.travel(at + timedelta(seconds=1)):
        queue.run()

    assert len(mail.outbox) == 1


def test_an_alert_task_run_twice_mails_once(queue, stream_a, editor_a):
    from notifications.alerts import key_event_announce, key_events_mail

    anna = follower("anna@example.net", stream=stream_a)
    entry = key_event(stream_a, editor_a)
    key_event_announce.enqueue(entry.pk)
    queue.run()
    key_events_mail.enqueue(anna.pk, stream_a.pk)
    key_event_announce.enqueue(entry.pk)
    queue.run()

    assert len(mail.outbox) == 1


def test_an_alert_whose_mail_fails_once_is_mailed_once_after_the_retry(
    queue, stream_a, editor_a, settings
):
    from tests.fixtures_tasks import FlakyEmailBackend

    settings.EMAIL_BACKEND = "tests.fixtures_tasks.FlakyEmailBackend"
    FlakyEmailBackend.refused = 0
    follower("anna@example.net", stream=stream_a)
    key_event(stream_a, editor_a)
    queue.run()
    assert not mail.outbox

    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        queue.run()
        queue.run()

    assert len(mail.outbox) == 1


def test_pictures_come_with_their_alt_text_and_embeds_as_links(queue, stream_a, editor_a):
    follower("anna@example.net", stream=stream_a)
    entry = services.entry_create(
        stream=stream_a, blocks=[services.TextBlock("<p>Smoke rises.</p>")], created_by=editor_a
    )
    Block.objects.create(
        entry=entry,
        position=1,
        kind=Block.Kind.IMAGE,
        image="entries/2026/03/smoke.webp",
        alt_text="Smoke over the eastern districts",
        credit="Reuters",
        renditions=[{"width": 960, "height": 640, "name": "entries/2026/03/smoke.webp"}],
    )
    Block.objects.create(
        entry=entry,
        position=2,
        kind=Block.Kind.EMBED,
        embed_url="https://www.youtube.com/watch?v=abcdefghijk",
        embed_provider="youtube",
        embed_title="Residents describe the night",
        embed_player_url="https://www.youtube-nocookie.com/embed/abcdefghijk",
    )
    services.entry_pin(entry=entry, pinned=True, by=editor_a)
    queue.run()

    [message] = mail.outbox
    [(html, _)] = message.alternatives
    assert '<img src="https://testserver/media/entries/2026/03/smoke.webp"' in html
    assert 'alt="Smoke over the eastern districts"' in html
    assert "[Picture: Smoke over the eastern districts] Credit: Reuters" in message.body
    assert 'href="https://www.youtube.com/watch?v=abcdefghijk"' in html
    assert "<iframe" not in html and "<script" not in html
    assert "Video on YouTube: Residents describe the night" in message.body
