"""Followers' e-mail alerts: key events as they happen, digests by the hour or by the day.

Rules, in one place:

- Who: the followers of a stream, by itself or through its publisher, whose account is
  active and who may read the stream (members-only streams: members only). A follow of the
  stream decides over a follow of its publisher.
- Key events: an entry readers can see that is pinned (published pinned, or pinned later)
  is announced once, ever (``KeyEvent``): a correction, an unpin or a new pin never alerts
  again. A follower gets the first key event of a stream at once; key events of that stream
  in the next ``ALERT_KEY_EVENT_INTERVAL_MIN`` minutes wait, and go out together in one mail
  when the interval is over. Fifty in a minute make two mails, not fifty.
- Digests: every hour, on the hour, each member with an hourly digest gets what was
  published in the hour before in what they follow; a daily digest goes out at
  ``ALERT_DAILY_DIGEST_HOUR`` in the member's own time zone with the day before. Nothing
  published, no mail. Late runs catch up window by window.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from invitations import emails
from notifications.links import site_url, unsubscribe_url
from notifications.mail import mail_queue
from notifications.models import (
    DIGEST_CHOICES,
    AlertChoice,
    AlertSetting,
    DigestTick,
    KeyEvent,
    KeyEventMailing,
    OutgoingMail,
)
from notifications.queue import can_defer, enqueue_on_commit, retried
from pressimus.lib.html import html_to_text
from pressimus.lib.zones import known_zone
from streams.models import Entry, Follow, Stream

logger = logging.getLogger(__name__)

# One mail shows this many key events in full; more are linked to the stream.
KEY_EVENTS_SHOWN = 10
# One digest lists this many entries; more are linked to their streams.
DIGEST_ENTRIES_SHOWN = 50
# Entries stamped just before the hour may commit just after it (see streams.services
# _publishing_now): digests run this long after the window they list has closed.
DIGEST_GRACE = timedelta(minutes=1)
# Sent mail kept this long (without its bodies) as the record of what went out.
OUTGOING_MAIL_KEPT = timedelta(days=30)


def user_zone(user):
    """The zone a member reads times in: their own, else the site's."""
    return known_zone(user.time_zone) or known_zone(settings.TIME_ZONE) or UTC


def key_event_interval() -> timedelta:
    return timedelta(minutes=settings.ALERT_KEY_EVENT_INTERVAL_MIN)


# Who ----------------------------------------------------------------------------------------


def follower_choices(stream: Stream) -> dict[int, tuple[str, int]]:
    """Each follower of ``stream``: their alert choice for it and the follow that decides it.

    A follow of the stream itself decides over a follow of its publisher.
    """
    rows = Follow.objects.filter(
        Q(stream=stream) | Q(publisher_id=stream.publisher_id)
    ).values_list("pk", "user_id", "stream_id", "alert_setting__choice")
    choices: dict[int, tuple[str, int]] = {}
    for follow_id, user_id, stream_id, choice in rows:
        if stream_id is not None or user_id not in choices:
            choices[user_id] = (choice or AlertChoice.KEY_EVENTS, follow_id)
    return choices


def may_be_alerted(user, stream: Stream) -> bool:
    """Whether ``user`` may get mail about ``stream`` at all: an active account that may
    read it, a stream readers see."""
    return (
        user is not None
        and user.is_active
        and stream.status in Stream.SHOWN_STATUSES
        and stream.visibility in Stream.visibilities_for(user)
    )


# Key events ---------------------------------------------------------------------------------


def key_event_noticed(entry: Entry) -> None:
    """Called on every save of an entry: a pinned one that readers see (or will, once its
    time comes) is announced after commit. Announcing twice is harmless."""
    if (
        entry.pinned
        and entry.status in (Entry.Status.PUBLISHED, Entry.Status.SCHEDULED)
        and entry.published_at is not None
    ):
        enqueue_on_commit(key_event_announce, entry.pk, at=entry.published_at)


@retried
def key_event_announce(entry_id: int) -> None:
    """Announce the entry as a key event to the followers who want key events, once."""
    now = timezone.now()
    with transaction.atomic():
        entry = Entry.objects.select_related("stream").filter(pk=entry_id).first()
        if entry is None or not (entry.pinned and entry.is_visible):
            return
        stream = entry.stream
        if stream.status not in Stream.SHOWN_STATUSES:
            return
        # Announcements of one stream take turns, so that their ids follow their commits:
        # a follower's next mail starts after the last id mailed, and must miss none.
        list(Stream.objects.select_for_update(no_key=True).filter(pk=stream.pk).values_list("pk"))
        key_event, created = KeyEvent.objects.get_or_create(
            entry=entry, defaults={"stream": stream, "announced_at": now}
        )
        if not created:
            return
        wanted = [
            user_id
            for user_id, (choice, _) in follower_choices(stream).items()
            if choice == AlertChoice.KEY_EVENTS
        ]
        readers = [
            user
            for user in get_user_model().objects.filter(pk__in=wanted)
            if may_be_alerted(user, stream)
        ]
        mailings = {
            mailing.user_id: mailing
            for mailing in KeyEventMailing.objects.select_for_update().filter(
                stream=stream, user__in=readers
            )
        }
        created_mailings, changed, due = [], [], {}
        for user in readers:
            mailing = mailings.get(user.pk)
            if mailing is None:
                mailing = KeyEventMailing(user=user, stream=stream, due_at=now)
                created_mailings.append(mailing)
            elif mailing.due_at is not None:
                continue  # a mail is already waiting: this key event goes with it
            else:
                interval_over = (
                    mailing.last_sent_at is None
                    or mailing.last_sent_at + key_event_interval() <= now
                )
                mailing.due_at = (
                    now if interval_over else mailing.last_sent_at + key_event_interval()
                )
                changed.append(mailing)
            # Key events from before (announced while this follower wanted none) stay out.
            mailing.sent_through = max(mailing.sent_through, key_event.pk - 1)
            due[user.pk] = mailing.due_at
        KeyEventMailing.objects.bulk_create(created_mailings)
        KeyEventMailing.objects.bulk_update(changed, ["due_at", "sent_through"])
        for user_id, at in due.items():
            enqueue_on_commit(key_events_mail, user_id, stream.pk, at=at)


@retried
def key_events_mail(user_id: int, stream_id: int) -> None:
    """Mail one follower the key events of one stream that are waiting for them, in one mail."""
    now = timezone.now()
    with transaction.atomic():
        mailing = (
            KeyEventMailing.objects.select_for_update()
            .filter(user_id=user_id, stream_id=stream_id)
            .first()
        )
        if mailing is None or mailing.due_at is None:
            return  # already mailed: this is a retry or a duplicate
        events = list(
            KeyEvent.objects.filter(stream_id=stream_id, pk__gt=mailing.sent_through)
            .order_by("pk")
            .values_list("pk", "entry_id")
        )
        mailing.due_at = None
        if events:
            mailing.sent_through = events[-1][0]
        user = get_user_model().objects.filter(pk=user_id).first()
        stream = Stream.objects.select_related("publisher").filter(pk=stream_id).first()
        choice, follow_id = (
            follower_choices(stream).get(user_id, (AlertChoice.OFF, 0))
            if stream
            else (AlertChoice.OFF, 0)
        )
        entries = (
            list(
                Entry.objects.published()
                .filter(pk__in=[entry_id for _, entry_id in events], pinned=True)
                .with_stream()
                .for_display()
                .order_by("published_at", "pk")
            )
            if events
            else []
        )
        if not (
            entries
            and choice == AlertChoice.KEY_EVENTS
            and stream is not None
            and may_be_alerted(user, stream)
        ):
            mailing.save(update_fields=["due_at", "sent_through"])
            return
        mailing.last_sent_at = now
        mailing.save(update_fields=["due_at", "sent_through", "last_sent_at"])
        _key_events_mail_queue(user=user, stream=stream, entries=entries, follow_id=follow_id)


def _unsubscribe_headers(url: str) -> dict[str, str]:
    # RFC 8058: mail programs offer "Unsubscribe" and POST to the link themselves.
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _key_events_mail_queue(*, user, stream: Stream, entries: list[Entry], follow_id: int) -> None:
    unsubscribe = unsubscribe_url(user_id=user.pk, follow_ids=[follow_id])
    follow = Follow.objects.select_related("stream", "publisher").get(pk=follow_id)
    context = {
        "stream": stream,
        "stream_url": site_url(stream.get_absolute_url()),
        "entries": [entry_for_mail(entry) for entry in entries[:KEY_EVENTS_SHOWN]],
        "more": len(entries) - KEY_EVENTS_SHOWN,
        "count": len(entries),
        "followed": follow.stream or follow.publisher,
        "through_publisher": follow.publisher_id is not None,
        "zone": user_zone(user),
        "unsubscribe_url": unsubscribe,
        "settings_url": site_url(reverse("accounts:settings")) + "#alerts",
    }
    message = emails.render(
        "emails/key_events", user.email, context, headers=_unsubscribe_headers(unsubscribe)
    )
    mail_queue(
        message,
        key=f"key-events:{user.pk}:{stream.pk}:{entries[-1].pk}",
        purpose=f"alert {user.email} to {len(entries)} key event(s) in “{stream.title}”",
        user=user,
    )


def entry_headline(entry: Entry) -> str:
    """The entry's title, or the start of its first text for one without."""
    if entry.title:
        return entry.title
    for block in entry.blocks.all():
        if block.kind in ("text", "quote") and (text := html_to_text(block.body)):
            return text if len(text) <= 90 else text[:89].rsplit(" ", 1)[0] + "…"
    return f"Entry {entry.pk}"


def entry_for_mail(entry: Entry) -> dict:
    """What a mail shows of an entry: its parts, with every address made absolute."""
    blocks = []
    for block in entry.blocks.all():
        part = {"kind": block.kind, "block": block}
        if block.kind == "quote" and block.source_id:
            part["source_url"] = site_url(block.source.get_absolute_url())
        if block.kind == "image" and (block.renditions or block.image):
            part["image_url"] = site_url(block.image_url)
        blocks.append(part)
    return {
        "entry": entry,
        "headline": entry_headline(entry),
        "url": site_url(entry.get_absolute_url()),
        "blocks": blocks,
        "bylines": [byline.display_name for byline in entry.bylines.all()],
    }


# Digests ------------------------------------------------------------------------------------


def digest_window_end(choice: str, user, at: datetime) -> datetime:
    """The end of the latest digest window of ``choice`` closed at ``at``, for ``user``.

    Hourly windows end on the hour; daily ones at ALERT_DAILY_DIGEST_HOUR in the member's
    time zone (the site's for a member without one).
    """
    if choice == AlertChoice.HOURLY:
        return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    local = at.astimezone(user_zone(user))
    hour = settings.ALERT_DAILY_DIGEST_HOUR
    end = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if end > local:
        end = (local - timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return end.astimezone(UTC)


def _digest_entries(user, due: list[AlertSetting], end: datetime, stream_follows: set[int]):
    """Entries published before ``end`` since each follow's last digest, that ``user`` may
    read, each once."""
    wanted = Q(pk__in=[])
    for setting in due:
        follow = setting.follow
        since = Q(published_at__lt=end)
        if setting.digest_through is not None:
            since &= Q(published_at__gte=setting.digest_through)
        if follow.stream_id is not None:
            wanted |= since & Q(stream_id=follow.stream_id)
        else:
            # A stream followed by itself goes by that follow's choice.
            wanted |= (
                since
                & Q(stream__publisher_id=follow.publisher_id)
                & ~Q(stream_id__in=stream_follows)
            )
    return list(
        Entry.objects.listed_for(user)
        .filter(wanted)
        .prefetch_related("blocks")
        .order_by("stream__title", "stream_id", "published_at", "pk")
    )


def digest_send(*, user, at: datetime) -> None:
    """Send ``user`` the digests whose window has closed at ``at``, if anything was published."""
    with transaction.atomic():
        settings_ = list(
            AlertSetting.objects.select_for_update()
            .filter(follow__user=user, choice__in=DIGEST_CHOICES)
            .select_related("follow")
        )
        stream_follows = set(
            Follow.objects.filter(user=user, stream__isnull=False).values_list(
                "stream_id", flat=True
            )
        )
        for choice in DIGEST_CHOICES:
            end = digest_window_end(choice, user, at)
            due = [
                setting
                for setting in settings_
                if setting.choice == choice
                and (setting.digest_through is None or setting.digest_through < end)
            ]
            if not due:
                continue
            entries = _digest_entries(user, due, end, stream_follows) if user.is_active else []
            for setting in due:
                setting.digest_through = end
            AlertSetting.objects.bulk_update(due, ["digest_through"])
            if entries:
                _digest_mail_queue(user=user, choice=choice, end=end, entries=entries, due=due)


def _digest_mail_queue(
    *, user, choice: str, end: datetime, entries: list[Entry], due: list[AlertSetting]
) -> None:
    unsubscribe = unsubscribe_url(user_id=user.pk, follow_ids=[s.follow_id for s in due])
    streams: dict[int, dict] = {}
    for entry in entries[:DIGEST_ENTRIES_SHOWN]:
        group = streams.setdefault(
            entry.stream_id,
            {
                "stream": entry.stream,
                "url": site_url(entry.stream.get_absolute_url()),
                "entries": [],
            },
        )
        group["entries"].append(
            {
                "entry": entry,
                "headline": entry_headline(entry),
                "url": site_url(entry.get_absolute_url()),
            }
        )
    context = {
        "choice": choice,
        "hourly": choice == AlertChoice.HOURLY,
        "end": end,
        "zone": user_zone(user),
        "streams": list(streams.values()),
        "count": len(entries),
        "more": len(entries) - DIGEST_ENTRIES_SHOWN,
        "unsubscribe_url": unsubscribe,
        "settings_url": site_url(reverse("accounts:settings")) + "#alerts",
    }
    message = emails.render(
        "emails/digest", user.email, context, headers=_unsubscribe_headers(unsubscribe)
    )
    mail_queue(
        message,
        key=f"digest:{choice}:{user.pk}:{end:%Y%m%dT%H%M}",
        purpose=f"send {user.email} the {choice} digest of {len(entries)} entries",
        user=user,
    )


def digests_send(*, at: datetime) -> None:
    """Every digest whose window has closed at ``at``, member by member.

    One member's failure does not hold back the others' digests; it is raised at the end,
    so that the task runs again (and sends only what is still due).
    """
    user_ids = (
        AlertSetting.objects.filter(choice__in=DIGEST_CHOICES)
        .values_list("follow__user_id", flat=True)
        .distinct()
    )
    failed: Exception | None = None
    for user in get_user_model().objects.filter(pk__in=user_ids).order_by("pk"):
        try:
            digest_send(user=user, at=at)
        except Exception as error:
            logger.exception("Could not send the digests of %s", user.email)
            failed = error
    if failed is not None:
        raise failed


def _next_hour(after: datetime) -> datetime:
    return after.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def digest_tick_ensure(*, after: datetime | None = None) -> None:
    """Make sure the digest task will run on the next hour, if anyone takes a digest.

    One ``DigestTick`` row per hour keeps it to one task per hour, however often this is
    called. A tick left undone well after its time (a queue that lost it) is enqueued again.
    """
    if not can_defer() or not AlertSetting.objects.filter(choice__in=DIGEST_CHOICES).exists():
        return
    now = timezone.now()
    due = _next_hour(after or now)
    tick, created = DigestTick.objects.get_or_create(due_at=due)
    lost = (
        tick.done_at is None
        and tick.due_at + DIGEST_GRACE + timedelta(seconds=settings.TASK_QUEUE_STUCK_AFTER_S) < now
    )
    if created or lost:
        enqueue_on_commit(digests_tick, due.isoformat(), at=due + DIGEST_GRACE)


@retried
def digests_tick(due: str) -> None:
    """The hourly digest run for the hour ``due``; it schedules the next one."""
    due_at = datetime.fromisoformat(due)
    digests_send(at=due_at)
    now = timezone.now()
    # Each member's digest starts where their last one stopped, so this run also covered any
    # earlier hour whose run was lost.
    DigestTick.objects.filter(due_at__lte=due_at, done_at__isnull=True).update(done_at=now)
    DigestTick.objects.filter(due_at__lt=now - timedelta(days=2)).delete()
    OutgoingMail.objects.filter(
        status__in=[OutgoingMail.Status.SENT, OutgoingMail.Status.FAILED],
        created_at__lt=now - OUTGOING_MAIL_KEPT,
    ).delete()
    digest_tick_ensure(after=due_at)
