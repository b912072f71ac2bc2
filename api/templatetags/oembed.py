"""The oEmbed discovery link in the head of stream and entry pages."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from streams.models import Entry, Stream
from streams.seo import entry_headline

register = template.Library()


@register.simple_tag(takes_context=True)
def oembed_link(context, stream: Stream, entry: Entry | None = None) -> str:
    """``<link rel="alternate" type="application/json+oembed">`` for this page; none for a
    members-only stream, which /oembed/ never embeds."""
    if stream.is_members_only:
        return ""
    request = context["request"]
    page = (entry or stream).get_absolute_url()
    query = urlencode({"url": request.build_absolute_uri(page), "format": "json"})
    if entry is None:
        title = f"{stream.title} — {stream.publisher.name}"
    else:
        with timezone.override(stream.publisher.zone):
            title = entry_headline(entry)
    return format_html(
        '<link rel="alternate" type="application/json+oembed" href="{}" title="{}">',
        f"{request.build_absolute_uri(reverse('oembed'))}?{query}",
        title,
    )
