"""What the pages show of alert choices: reads only, each in one query."""

from __future__ import annotations

from django.http import HttpRequest

from notifications.models import AlertChoice
from streams.models import Follow, reads_members_only


def alert_choices_of(user) -> dict[tuple[str, int], tuple[int, str]]:
    """Every follow of ``user``: (``"stream"`` or ``"publisher"``, its id) → (follow id, choice)."""
    choices: dict[tuple[str, int], tuple[int, str]] = {}
    if not reads_members_only(user):
        return choices
    rows = Follow.objects.filter(user=user).values_list(
        "pk", "stream_id", "publisher_id", "alert_setting__choice"
    )
    for follow_id, stream_id, publisher_id, choice in rows:
        target = ("stream", stream_id) if stream_id is not None else ("publisher", publisher_id)
        choices[target] = (follow_id, choice or AlertChoice.KEY_EVENTS)
    return choices


def alert_choices_for_request(request: HttpRequest) -> dict[tuple[str, int], tuple[int, str]]:
    """``alert_choices_of`` the signed-in user, read once per request however many follow
    controls a page shows."""
    if not hasattr(request, "_alert_choices"):
        request._alert_choices = alert_choices_of(request.user)
    return request._alert_choices


def follows_with_alerts(user) -> list[Follow]:
    """What ``user`` follows and may still read, each with its ``alert_choice``."""
    follows = list(Follow.objects.shown_to(user).select_related("alert_setting"))
    for follow in follows:
        setting = getattr(follow, "alert_setting", None)
        follow.alert_choice = setting.choice if setting else AlertChoice.KEY_EVENTS
    return follows
