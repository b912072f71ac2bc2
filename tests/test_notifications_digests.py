"""notifications.alerts digests: hourly on the hour, daily at a fixed hour in the member's time
zone, only when something was published, run hour after hour by the queue itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from notifications.alerts import digest_window_end
from notifications.models import AlertChoice, AlertSetting, DigestTick
from notifications.services import follow_alerts_set
from streams import services
from streams.models import Follow, Stream
from tests import factories
from tests.fixtures_tasks import *  # noqa: F403

START = datetime(2026, 3, 2, 10, 20, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def publish(stream, editor, title):
    return services.entry_create(
        stream=stream, title=title, blocks=[services.TextBlock("<p>Words.</p>")], created_by=editor
    )


def digest_follower(email, stream, choice, **fields):
    user = factories.UserFactory(email=email, **fields)
    services.follow_toggle(user=user, stream=stream, follow=True)
    follow_alerts_set(follow=Follow.objects.get(user=user, stream=stream), choice=choice)
    return user


def run_until(queue, moment: datetime, start: datetime) -> None:
    """Let the hours pass from ``start`` to ``moment``, the worker running a minute and a half
    after each hour, as it would."""
    hour = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    while hour + timedelta(seconds=90) <= moment:
        with time_machine.travel(hour + timedelta(seconds=90), tick=False):
            queue.run()
        hour += timedelta(hours=1)


@pytest.mark.django_db(transaction=True)
def test_an_hourly_digest_lists_the_hour_on_the_hour(queue, stream_a, editor_a):
    with time_machine.travel(START, tick=False):
        digest_follower("anna@example.net", stream_a, AlertChoice.HOURLY)
    for minute, title in ((30, "Half past"), (45, "Quarter to")):
        with time_machine.travel(at(10, minute), tick=False):
            publish(stream_a, editor_a, title)
    with time_machine.travel(at(10, 59), tick=False):
        queue.run()
    assert not mail.outbox

    run_until(queue, at(11, 5), START)

    [message] = mail.outbox
    assert message.to == ["anna@example.net"]
    assert message.subject == "Your hourly digest: 2 new entries in Syria: December 23"
    assert message.body.index("Half past") < message.body.index("Quarter to")
    assert "https://testserver/streams/syria/entries/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.django_db(transaction=True)
def test_an_hour_without_entries_sends_no_digest_and_the_next_hour_still_comes(
    queue, stream_a, editor_a
):
    with time_machine.travel(START, tick=False):
        digest_follower("anna@example.net", stream_a, AlertChoice.HOURLY)
    run_until(queue, at(12, 5), START)
    assert not mail.outbox

    with time_machine.travel(at(12, 10), tick=False):
        publish(stream_a, editor_a, "At last")
    run_until(queue, at(13, 5), at(12, 10))

    [message] = mail.outbox
    assert message.subject == "Your hourly digest: 1 new entry in Syria: December 23"
    assert DigestTick.objects.filter(done_at__isnull=True).get().due_at == at(14)


@pytest.mark.django_db(transaction=True)
def test_a_digest_never_lists_what_came_before_it_was_chosen(queue, stream_a, editor_a):
    with time_machine.travel(at(10, 5), tick=False):
        publish(stream_a, editor_a, "Before")
    with time_machine.travel(START, tick=False):
        digest_follower("anna@example.net", stream_a, AlertChoice.HOURLY)
    with time_machine.travel(at(10, 40), tick=False):
        publish(stream_a, editor_a, "After")
    run_until(queue, at(11, 5), START)

    [message] = mail.outbox
    assert "After" in message.body
    assert "Before" not in message.body


@pytest.mark.django_db(transaction=True)
def test_a_daily_digest_comes_at_seven_in_the_members_own_time_zone(
    queue, stream_a, editor_a, settings
):
    settings.ALERT_DAILY_DIGEST_HOUR = 7
    noon = at(12, day=1)
    with time_machine.travel(noon, tick=False):
        # Kolkata is 5 h 30 ahead of UTC: seven there is 01:30 UTC.
        for email, zone in (
            ("priya@example.net", "Asia/Kolkata"),
            ("lena@example.net", "Europe/Berlin"),
        ):
            digest_follower(email, stream_a, AlertChoice.DAILY, time_zone=zone)
    with time_machine.travel(at(18, day=1), tick=False):
        publish(stream_a, editor_a, "Evening news")

    run_until(queue, at(1, 5), noon)
    assert not mail.outbox
    run_until(queue, at(2, 5), at(1, 5))
    assert [m.to for m in mail.outbox] == [["priya@example.net"]]
    # Berlin is 1 h ahead in March: seven there is six UTC.
    run_until(queue, at(5, 5), at(2, 5))
    assert [m.to for m in mail.outbox] == [["priya@example.net"]]
    run_until(queue, at(6, 5), at(5, 5))
    assert [m.to for m in mail.outbox] == [["priya@example.net"], ["lena@example.net"]]
    assert mail.outbox[1].subject == "Your daily digest: 1 new entry in Syria: December 23"


@pytest.mark.django_db(transaction=True)
def test_a_worker_back_after_hours_away_catches_up_window_by_window(queue, stream_a, editor_a):
    with time_machine.travel(START, tick=False):
        digest_follower("anna@example.net", stream_a, AlertChoice.HOURLY)
    with time_machine.travel(at(10, 30), tick=False):
        publish(stream_a, editor_a, "Ten thirty")
    with time_machine.travel(at(12, 30), tick=False):
        publish(stream_a, editor_a, "Twelve thirty")

    # Nothing ran from 10:20 until 14:10.
    with time_machine.travel(at(14, 10), tick=False):
        for _ in range(6):
            queue.run()

    assert [m.subject for m in mail.outbox] == [
        "Your hourly digest: 1 new entry in Syria: December 23",
        "Your hourly digest: 1 new entry in Syria: December 23",
    ]
    assert "Ten thirty" in mail.outbox[0].body
    assert "Twelve thirty" in mail.outbox[1].body


@pytest.mark.django_db(transaction=True)
def test_a_members_only_stream_is_in_no_inactive_accounts_digest(queue, stream_a, editor_a):
    Stream.objects.filter(pk=stream_a.pk).update(visibility=Stream.Visibility.MEMBERS)
    with time_machine.travel(START, tick=False):
        digest_follower("anna@example.net", stream_a, AlertChoice.HOURLY)
        gone = digest_follower("gone@example.net", stream_a, AlertChoice.HOURLY)
        User.objects.filter(pk=gone.pk).update(is_active=False)
    with time_machine.travel(at(10, 30), tick=False):
        publish(stream_a, editor_a, "For members")
    run_until(queue, at(11, 5), START)

    assert [m.to for m in mail.outbox] == [["anna@example.net"]]


@pytest.mark.django_db(transaction=True)
def test_a_publisher_digest_lists_its_streams_but_not_one_followed_on_its_own(
    queue, stream_a, editor_a, publisher_a
):
    other = factories.StreamFactory(publisher=publisher_a, title="Aleppo", slug="aleppo")
    with time_machine.travel(START, tick=False):
        anna = factories.UserFactory(email="anna@example.net")
        services.follow_toggle(user=anna, publisher=publisher_a, follow=True)
        follow_alerts_set(follow=Follow.objects.get(user=anna), choice=AlertChoice.HOURLY)
        services.follow_toggle(user=anna, stream=other, follow=True)
        follow_alerts_set(
            follow=Follow.objects.get(user=anna, stream=other), choice=AlertChoice.OFF
        )
    with time_machine.travel(at(10, 30), tick=False):
        publish(stream_a, editor_a, "In Syria")
        publish(other, editor_a, "In Aleppo")
    run_until(queue, at(11, 5), START)

    [message] = mail.outbox
    assert "In Syria" in message.body
    assert "In Aleppo" not in message.body


@pytest.mark.django_db
def test_windows_end_on_the_hour_and_at_the_daily_hour_of_the_zone(settings):
    settings.ALERT_DAILY_DIGEST_HOUR = 7
    user = User(time_zone="America/New_York")

    assert digest_window_end(AlertChoice.HOURLY, user, at(10, 59)) == at(10)
    # 07:00 in New York on 2 March is 12:00 UTC; before it, the window is the day before's.
    assert digest_window_end(AlertChoice.DAILY, user, at(11, 59)) == at(12, day=1)
    assert digest_window_end(AlertChoice.DAILY, user, at(12)) == at(12)
    assert digest_window_end(AlertChoice.DAILY, User(time_zone=""), at(12)) == at(7)


@pytest.mark.django_db
def test_choosing_a_digest_starts_from_now_and_keeps_its_place_when_switching(member, stream_a):
    services.follow_toggle(user=member, stream=stream_a, follow=True)
    follow = Follow.objects.get(user=member)
    with time_machine.travel(START, tick=False):
        follow_alerts_set(follow=follow, choice=AlertChoice.HOURLY)
    with time_machine.travel(at(15), tick=False):
        follow_alerts_set(follow=follow, choice=AlertChoice.DAILY)

    assert AlertSetting.objects.get(follow=follow).digest_through == START


@pytest.mark.django_db(transaction=True)
def test_an_hour_whose_run_the_queue_lost_shows_in_healthz_and_the_next_run_covers_it(
    queue, stream_a, editor_a, client
):
    from django_tasks_db.models import DBTaskResult

    with time_machine.travel(START, tick=False):
        digest_follower("anna@example.net", stream_a, AlertChoice.HOURLY)
    with time_machine.travel(at(10, 30), tick=False):
        publish(stream_a, editor_a, "Ten thirty")
    # The queue loses the 11:00 run (a Redis flushed, say).
    DBTaskResult.objects.filter(task_path__endswith="digests_tick").delete()

    with time_machine.travel(at(11, 30), tick=False):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert "digests due at 2026-03-02 11:00" in response.json()["queue_problem"]
        # The next choice of a digest schedules the next hour again.
        digest_follower("ben@example.net", stream_a, AlertChoice.HOURLY)
    run_until(queue, at(12, 5), at(11, 30))

    [message] = mail.outbox
    assert message.to == ["anna@example.net"]
    assert "Ten thirty" in message.body
    with time_machine.travel(at(12, 5), tick=False):
        assert client.get("/healthz").status_code == 200
