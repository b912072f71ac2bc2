from __future__ import annotations

from django import template

from notifications.follows import alert_choices_for_request, follows_with_alerts
from notifications.models import AlertChoice
from notifications.text import mail_text as _mail_text
from streams.models import Stream

register = template.Library()


@register.inclusion_tag("notifications/includes/follow_alerts_form.html", takes_context=True)
def follow_alerts_form(context, target) -> dict:
    """What a followed stream or publisher e-mails: a choice and a Save button."""
    request = context["request"]
    kind = "stream" if isinstance(target, Stream) else "publisher"
    follow_id, choice = alert_choices_for_request(request).get((kind, target.pk), (None, None))
    return {
        "follow_id": follow_id,
        "choice": choice,
        "choices": AlertChoice.choices,
        "name": str(target),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("notifications/includes/alerts_settings.html", takes_context=True)
def alerts_settings(context) -> dict:
    """The settings page's section: every follow with its alert choice, in one form."""
    return {
        "follows": follows_with_alerts(context["request"].user),
        "choices": AlertChoice.choices,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def mail_text(html: str, indent: str = "") -> str:
    return _mail_text(html, indent=indent)
