"""Tags for the head of pages: canonical address and schema.org JSON-LD (see streams.seo)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from streams import seo
from streams.models import Entry, Stream

register = template.Library()


@register.simple_tag(takes_context=True)
def canonical_url(context) -> str:
    # The 500 page is rendered without a request: it then has no canonical address.
    request = context.get("request")
    if request is None:
        return ""
    return seo.canonical_url(request.scheme, request.get_host(), request.path, request.GET)


@register.simple_tag(takes_context=True)
def live_blog_json(context, stream: Stream, entries, pinned=()) -> SafeString:
    # ld_json escapes <, > and &: the JSON cannot close its script element.
    absolute = context["request"].build_absolute_uri
    return mark_safe(seo.ld_json(seo.live_blog_posting(stream, [*pinned, *entries], absolute)))


@register.simple_tag(takes_context=True)
def news_article_json(context, entry: Entry, stream: Stream) -> SafeString:
    absolute = context["request"].build_absolute_uri
    return mark_safe(seo.ld_json(seo.news_article(entry, stream, absolute)))


@register.simple_tag
def entry_summary(entry: Entry, stream: Stream) -> str:
    """A line or two of the entry's words for previews, else its stream's summary."""
    return seo.entry_summary(entry, stream)


@register.simple_tag
def entry_modified(entry: Entry):
    return seo.entry_modified(entry)
