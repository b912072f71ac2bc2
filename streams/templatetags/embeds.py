from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

from streams import embed
from streams.models import Stream

register = template.Library()


@register.simple_tag(takes_context=True)
def embed_snippet(context: template.Context, stream: Stream) -> SafeString:
    """The embed code of ``stream``, escaped: shown as code to copy, never rendered."""
    return escape(embed.embed_snippet(context["request"], stream))
