"""What the site e-mails and to whom: followers' alert choices, key events, the mail outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AlertChoice(models.TextChoices):
    KEY_EVENTS = "key_events", "E-mail for each key event"
    HOURLY = "hourly", "Hourly digest"
    DAILY = "daily", "Daily digest"
    OFF = "off", "No e-mail"


DIGEST_CHOICES = (AlertChoice.HOURLY, AlertChoice.DAILY)


class AlertSetting(models.Model):
    """What a follow e-mails its follower. A follow without one alerts on key events."""

    follow = models.OneToOneField(
        "streams.Follow", on_delete=models.CASCADE, primary_key=True, related_name="alert_setting"
    )
    choice = models.CharField(
        max_length=12, choices=AlertChoice.choices, default=AlertChoice.KEY_EVENTS
    )
    # Digests have listed what was published before this moment (set when a digest is chosen,
    # so the first one starts from there).
    digest_through = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["choice"], name="alert_setting_digest_idx")]

    def __str__(self) -> str:
        return f"{self.follow}: {self.get_choice_display()}"


class KeyEvent(models.Model):
    """An entry announced to its followers as a key event: once, whatever happens to it later.

    A correction, an unpin and a new pin all leave this row as it is, so they never alert
    again. The id orders the key events of a stream (they are written under the stream's
    lock), which is how a follower's next mail knows where the last one stopped.
    """

    entry = models.OneToOneField("streams.Entry", on_delete=models.CASCADE, related_name="+")
    stream = models.ForeignKey("streams.Stream", on_delete=models.CASCADE, related_name="+")
    announced_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["stream", "id"], name="key_event_stream_idx")]

    def __str__(self) -> str:
        return f"Key event {self.entry_id} of stream {self.stream_id}"


class KeyEventMailing(models.Model):
    """One follower's key-event mails about one stream: where they stand, and the next one due.

    At most one mail per ``ALERT_KEY_EVENT_INTERVAL_MIN``: key events announced in between wait
    for ``due_at`` and go out together.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    stream = models.ForeignKey("streams.Stream", on_delete=models.CASCADE, related_name="+")
    # The id of the last key event mailed (or passed over): the next mail starts after it.
    sent_through = models.BigIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "stream"], name="key_event_mailing_once")
        ]

    def __str__(self) -> str:
        return f"Key events of stream {self.stream_id} for user {self.user_id}"


class DigestTick(models.Model):
    """An hour at which the digest task runs: one row per hour, so one task per hour."""

    due_at = models.DateTimeField(unique=True)
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Digests due {self.due_at:%Y-%m-%d %H:%M}"


class OutgoingMailQuerySet(models.QuerySet["OutgoingMail"]):
    def of_user(self, user) -> OutgoingMailQuerySet:
        """Mail to ``user``, by account or by address."""
        return self.filter(Q(user=user) | Q(to__iexact=user.email))


class OutgoingMail(models.Model):
    """An e-mail on its way out, written with the change that calls for it.

    ``key`` names the mail (an acknowledgement of request 12, a digest of one hour for one
    member): a mail is written once per key and delivered at most once, however often a task
    that makes or sends it runs again. Bodies are blanked once the mail is sent or given up:
    some carry one-time links.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Given up"

    key = models.CharField(max_length=200, unique=True)
    # What the mail is for, in words for the log: "acknowledge the invitation request of …".
    purpose = models.CharField(max_length=300)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    from_email = models.CharField(max_length=300)
    to = models.CharField(max_length=1000, help_text="Addresses, comma-separated.")
    subject = models.CharField(max_length=1000)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutgoingMailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="outgoing_mail_status_idx")]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
