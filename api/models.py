"""Personal API tokens: how a member's own programs read what the member may read."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from pressimus.lib.fields import PlainCharField

# Recognisable in a leaked config file or a secret scanner's rules, and refused at once
# when something else (another site's key, a session id) is sent as a token.
TOKEN_PREFIX = "pmus_"
# 32 bytes from the OS's CSPRNG: 256 bits, far beyond guessing.
TOKEN_BYTES = 32
# Enough for every program a person runs; a cap keeps a script gone wrong from making thousands.
TOKENS_PER_USER = 20


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, so a database leak lends nobody's access."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)

    def of(self, user) -> ApiTokenQuerySet:
        return self.filter(user=user).order_by("-created_at", "-id")

    def by_secret(self, secret: str) -> ApiTokenQuerySet:
        """The active token whose secret this is, if any, with its user."""
        if not secret.startswith(TOKEN_PREFIX):
            return self.none()
        return self.active().filter(token_hash=hash_token(secret)).select_related("user")


class ApiToken(models.Model):
    """A member's personal token for the read API; only a hash of its secret is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = PlainCharField(
        max_length=100, help_text="What it is for, so that you know which one to revoke."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters after the prefix: enough to tell tokens apart in a list, far too
    # few to use.
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_hint})"

    @property
    def display_hint(self) -> str:
        return f"{TOKEN_PREFIX}{self.hint}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
