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
