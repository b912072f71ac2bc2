"""Multi-step writes on alert choices. Views call these; none re-implements them."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.alerts import digest_tick_ensure
from notifications.models import DIGEST_CHOICES, AlertChoice, AlertSetting
from streams.models import Follow


@transaction.atomic
def follow_alerts_set(*, follow: Follow, choice: str) -> AlertSetting:
    """What ``follow`` e-mails its follower from now on: key events, a digest, or nothing.

    A first digest lists what is published from now on, not what came before.
    """
    if choice not in AlertChoice.values:
        raise ValidationError(f"“{choice}” is not one of the alert choices.")
    setting, _ = AlertSetting.objects.select_for_update().get_or_create(follow=follow)
    if setting.choice != choice:
        if choice in DIGEST_CHOICES and setting.choice not in DIGEST_CHOICES:
            setting.digest_through = timezone.now()
        setting.choice = choice
        setting.save(update_fields=["choice", "digest_through", "updated_at"])
    if choice in DIGEST_CHOICES:
        digest_tick_ensure()
    return setting


@transaction.atomic
def alerts_unsubscribe(*, user_id: int, follow_ids: tuple[int, ...]) -> list[Follow]:
    """Turn off the alerts of these follows of ``user_id`` (an unsubscribe link's request).

    The follows stay; those deleted since, or of someone else, are passed over. Returns the
    follows whose alerts are now off.
    """
    follows = list(
        Follow.objects.filter(pk__in=follow_ids, user_id=user_id, user__is_active=True)
        .select_related("stream", "publisher")
        .order_by("pk")
    )
    for follow in follows:
        follow_alerts_set(follow=follow, choice=AlertChoice.OFF)
    return follows
