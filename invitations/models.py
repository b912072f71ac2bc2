"""Who may join: requests reviewed by staff, and the single-use invitations they produce."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from pressimus.lib.fields import PlainCharField, PlainTextField

# 32 bytes from the OS's CSPRNG: 256 bits, far beyond guessing.
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, so a database leak spends no invitation."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class InvitationRequestQuerySet(models.QuerySet["InvitationRequest"]):
    def pending(self) -> InvitationRequestQuerySet:
        return self.filter(status=InvitationRequest.Status.PENDING)


class InvitationRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved (invitation sent)"
        DECLINED = "declined", "Declined"
        ACCEPTED = "accepted", "Accepted (account made)"

    name = PlainCharField(max_length=100)
    email = models.EmailField("e-mail address")
    organisation = PlainCharField(max_length=150, blank=True)
    # A TextField's max_length binds only forms made from the model, and none edits this:
    # the public and the decline forms have their own limit, the admin shows it read-only.
    reason = PlainTextField("why", max_length=2000, blank=True)  # pragma: no mutate: NumberReplacer
    # The longest status has 8 characters: 9 or 11 hold them all as well.
    status = models.CharField(
        max_length=10,  # pragma: no mutate: NumberReplacer
        choices=Status.choices,
        default=Status.PENDING,
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # As for the reason: no form made from the model edits it.
    decline_reason = PlainTextField(
        blank=True,
        max_length=2000,  # pragma: no mutate: NumberReplacer
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvitationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            # One open request per address: a repeated request updates it instead.
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(status__in=["pending", "approved"]),
                name="invitation_request_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def usable(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())

    def by_token(self, token: str) -> InvitationQuerySet:
        return self.filter(token_hash=hash_token(token))


class Invitation(models.Model):
    """The right to make one account with one address, until it expires or is used."""

    request = models.OneToOneField(
        InvitationRequest, on_delete=models.CASCADE, related_name="invitation"
    )
    email = models.EmailField("e-mail address")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and not self.is_expired

    def renew(self) -> str:
        """Give the invitation a fresh token and expiry; returns the token (never stored)."""
        token = new_token()
        self.token_hash = hash_token(token)
        self.expires_at = timezone.now() + timedelta(days=settings.INVITATION_EXPIRY_DAYS)
        return token


class Explainer(models.Model):
    """The quick explainer on /about/: a video with captions, and its transcript."""

    title = PlainCharField(max_length=150, default="Pressimus in two minutes")
    video_file = models.FileField(
        upload_to="explainer/", blank=True, help_text="An MP4 or WebM file."
    )
    video_url = models.URLField(
        blank=True, help_text="Or the address of the video file, if it is hosted elsewhere."
    )
    poster = models.ImageField(upload_to="explainer/", blank=True)
    captions = models.FileField(
        upload_to="explainer/", blank=True, help_text="Captions in WebVTT (.vtt)."
    )
    captions_language = models.CharField(max_length=10, default="en")
    transcript = PlainTextField(blank=True, max_length=20000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "explainer video"

    def __str__(self) -> str:
        return self.title

    @property
    def video_src(self) -> str:
        return self.video_file.url if self.video_file else self.video_url
