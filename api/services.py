"""Writes and checks of personal API tokens: the settings page and the API call these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from api.models import TOKEN_PREFIX, TOKENS_PER_USER, ApiToken, hash_token, new_token
from streams.models import reads_members_only

# A token's "last used" is kept to the hour: one write an hour per token, not one per request.
LAST_USED_PRECISION = timedelta(hours=1)


class TooManyTokens(Exception):
    pass


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    # The secret itself, shown once to its owner and never stored.
    secret: str


@transaction.atomic
def api_token_create(*, user: User, name: str) -> CreatedToken:
    """A new token for ``user``; its secret is in the answer and nowhere else."""
    # The user's row is locked so that two tabs cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.active().filter(user=user).count() >= TOKENS_PER_USER:
        raise TooManyTokens(
            f"You have {TOKENS_PER_USER} tokens, the most one person may hold: "
            "revoke one you no longer use first."
        )
    secret = new_token()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=hash_token(secret),
        hint=secret.removeprefix(TOKEN_PREFIX)[:4],
    )
    return CreatedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken) -> None:
    """From now on the token is refused; the row stays, so its owner's history stays true."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_authenticate(*, secret: str) -> ApiToken | None:
    """The active token of an active member whose secret this is; None for anything else.

    A wrong prefix, an unknown or revoked secret and a deactivated account all look alike
    to the caller, so an answer never tells which tokens exist.
    """
    token = ApiToken.objects.by_secret(secret).first()
    if token is None or not reads_members_only(token.user):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
