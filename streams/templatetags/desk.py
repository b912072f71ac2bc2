"""The admin index's list of desks: every stream the signed-in user may write to."""

from __future__ import annotations

from django import template

from streams.admin_scoping import streams_for
from streams.desk import desk_streams

register = template.Library()


@register.simple_tag(takes_context=True)
def writable_streams(context) -> list:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return list(desk_streams(request, streams_for(request)))
