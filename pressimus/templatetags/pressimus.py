from __future__ import annotations

from datetime import datetime

from django import template

from pressimus.lib import timefmt

register = template.Library()


@register.filter
def age_label(value: datetime | None) -> str:
    return timefmt.age_label(value) if value else ""


@register.filter
def exact_time(value: datetime | None) -> str:
    return timefmt.exact_time(value) if value else ""


@register.filter
def age_or_date(value: datetime | None) -> str:
    return timefmt.age_or_date(value) if value else ""


@register.filter
def html_datetime(value: datetime | None) -> str:
    return timefmt.html_datetime(value) if value else ""


@register.simple_tag
def shown_time_zone() -> str:
    """The zone the page's times are shown in, as a reader reads its name."""
    from django.utils import timezone

    return timefmt.zone_label(timezone.get_current_timezone_name())
