"""Signed one-click unsubscribe links: whoever holds one may turn off the alerts it names,
without signing in (RFC 8058), and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"
PURPOSE = "alerts-off"
# Long enough for mail read late or kept; a stale link gets a page saying where to go instead.
MAX_AGE = timedelta(days=365)


@dataclass(frozen=True)
class Unsubscribe:
    """What a valid link asks for: these follows of this user, alerts off."""

    user_id: int
    follow_ids: tuple[int, ...]


def unsubscribe_token(*, user_id: int, follow_ids: list[int] | tuple[int, ...]) -> str:
    payload = {"p": PURPOSE, "u": user_id, "f": sorted(set(follow_ids))}
    return signing.dumps(payload, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> Unsubscribe:
    """The request a token carries; ``signing.SignatureExpired`` for an old one and
    ``signing.BadSignature`` for any other that we did not make for this purpose."""
    payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    if not isinstance(payload, dict) or payload.get("p") != PURPOSE:
        raise signing.BadSignature("Not an unsubscribe link.")
    user_id, follow_ids = payload.get("u"), payload.get("f")
    if (
        not isinstance(user_id, int)
        or not isinstance(follow_ids, list)
        or not follow_ids
        or not all(isinstance(pk, int) for pk in follow_ids)
    ):
        raise signing.BadSignature("An unsubscribe link without what to unsubscribe from.")
    return Unsubscribe(user_id=user_id, follow_ids=tuple(follow_ids))


def unsubscribe_url(*, user_id: int, follow_ids: list[int] | tuple[int, ...]) -> str:
    token = unsubscribe_token(user_id=user_id, follow_ids=follow_ids)
    return settings.SITE_URL + reverse("notifications:unsubscribe", kwargs={"token": token})


def site_url(path: str) -> str:
    """``path`` (or an address already absolute, such as a bucket's) as a full address."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path
