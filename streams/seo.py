"""Structured data for search engines and link previews: schema.org JSON-LD as plain dicts.

Every function here takes what the page already loaded (entries with their blocks and
bylines prefetched, the stream with its publisher) and an ``absolute`` callable turning a
path into an absolute URL, so building the data costs no query.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import dateformat
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.timezone import localtime

from pressimus.lib.html import html_to_text
from streams import social_cards
from streams.models import Block, Entry, Publisher, Stream

Absolute = Callable[[str], str]

SITE_NAME = "Pressimus"
CONTEXT = "https://schema.org"
HEADLINE_MAX = 110
# A pinned entry ("key event") among a live blog's updates. schema.org has no property for
# the weight of an update, and Google's LiveBlogPosting none either: ``keywords`` (the
# work's tags) says it as a tag, as the Atom feed's category does. Not ``genre`` (the kind
# of work: analysis, opinion) nor ``about`` (the subject, a Thing).
KEY_EVENT_KEYWORDS = ("key event",)

_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def ld_json(data: dict[str, Any]) -> str:
    """``data`` as JSON safe inside ``<script type="application/ld+json">``.

    ``<``, ``>`` and ``&`` become ``\\u003C`` and so on, as Django's ``json_script`` does,
    so that no value can close the script element, whatever it holds.
    """
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=False)
    return text.translate(_JSON_SCRIPT_ESCAPES)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when is not None else None


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Without the keys that have no value: schema.org readers prefer absent to null."""
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def entry_headline(entry: Entry) -> str:
    if entry.title:
        return entry.title[:HEADLINE_MAX]
    when = dateformat.format(localtime(entry.published_at), "j F Y, H:i")
    return f"Update of {when}"


def entry_modified(entry: Entry) -> datetime | None:
    """When the entry last changed for readers: its correction, else its publication."""
    times = [when for when in (entry.published_at, entry.updated_at) if when is not None]
    return max(times) if times else None


def entry_text(entry: Entry) -> str:
    """The entry's words as plain text: its text and quote blocks, in order."""
    parts = (
        html_to_text(block.body)
        for block in entry.blocks.all()
        if block.kind in (Block.Kind.TEXT, Block.Kind.QUOTE) and block.body
    )
    return " ".join(part for part in parts if part)


def publisher_data(publisher: Publisher, absolute: Absolute) -> dict[str, Any]:
    data = {
        "@type": "Organization",
        "name": publisher.name,
        "url": absolute(publisher.get_absolute_url()),
    }
    if publisher.logo:
        data["logo"] = {"@type": "ImageObject", "url": absolute(publisher.logo.url)}
    return data


def authors_data(entry: Entry, absolute: Absolute) -> list[dict[str, Any]]:
    authors = []
    for byline in entry.bylines.all():
        person: dict[str, Any] = {"@type": "Person", "name": byline.display_name}
        if byline.profile_id:
            person["url"] = absolute(byline.profile.get_absolute_url())
        authors.append(person)
    return authors


def citations_data(entry: Entry, absolute: Absolute) -> list[dict[str, Any]]:
    """One CreativeWork per quote: the source's name and the cited article, else its page.

    An embedded post or video is one too, as a link with its title: never its player.
    """
    citations = []
    for block in entry.blocks.all():
        if block.kind == Block.Kind.EMBED and block.embed_url:
            citations.append(
                {"@type": "CreativeWork", "name": block.embed_title, "url": block.embed_url}
            )
            continue
        if block.kind != Block.Kind.QUOTE or block.source is None:
            continue
        url = block.cited_url or absolute(block.source.get_absolute_url())
        citations.append({"@type": "CreativeWork", "name": block.source.name, "url": url})
    return citations


def correction_data(entry: Entry) -> dict[str, Any] | None:
    if not entry.correction_note:
        return None
    return _compact(
        {
            "@type": "CorrectionComment",
            "text": entry.correction_note,
            "datePublished": _iso(entry.updated_at),
        }
    )


def card_data(card: social_cards.SocialCard | None, absolute: Absolute) -> dict[str, Any] | None:
    """The page's social card as its ``image``, as ``og:image`` shows it."""
    if card is None:
        return None
    return {
        "@type": "ImageObject",
        "url": absolute(card.url),
        "width": card.width,
        "height": card.height,
    }


def blog_posting(entry: Entry, absolute: Absolute) -> dict[str, Any]:
    """One entry as a ``liveBlogUpdate`` of its stream's LiveBlogPosting."""
    return _compact(
        {
            "@type": "BlogPosting",
            "headline": entry_headline(entry),
            "keywords": KEY_EVENT_KEYWORDS if entry.pinned else None,
            "url": absolute(entry.get_absolute_url()),
            "datePublished": _iso(entry.published_at),
            "dateModified": _iso(entry_modified(entry)),
            "articleBody": entry_text(entry),
            "author": authors_data(entry, absolute),
            "citation": citations_data(entry, absolute),
            "correction": correction_data(entry),
        }
    )


def live_blog_posting(
    stream: Stream,
    entries: Iterable[Entry],
    absolute: Absolute,
    *,
    description: str = "",
) -> dict[str, Any]:
    """A stream page as a schema.org LiveBlogPosting, its entries as ``liveBlogUpdate``."""
    updates: list[Entry] = []
    seen: set[int] = set()
    for entry in entries:
        if entry.pk not in seen:
            seen.add(entry.pk)
            updates.append(entry)
    updates.sort(key=lambda entry: (entry.published_at, entry.pk), reverse=True)
    first = min((entry.published_at for entry in updates if entry.published_at), default=None)
    start = stream.started_at or first
    modified = max(
        (when for entry in updates if (when := entry_modified(entry)) is not None),
        default=stream.last_published_at,
    )
    ended = stream.status == Stream.Status.ENDED
    return _compact(
        {
            "@context": CONTEXT,
            "@type": "LiveBlogPosting",
            "headline": stream.title[:HEADLINE_MAX],
            "description": description or stream.summary or stream.publisher.description,
            "url": absolute(stream.get_absolute_url()),
            "mainEntityOfPage": absolute(stream.get_absolute_url()),
            "image": card_data(social_cards.stream_card(stream), absolute),
            "datePublished": _iso(start),
            "dateModified": _iso(modified or stream.last_published_at),
            "coverageStartTime": _iso(start),
            "coverageEndTime": _iso(stream.ended_at or stream.last_published_at) if ended else None,
            "publisher": publisher_data(stream.publisher, absolute),
            "liveBlogUpdate": [blog_posting(entry, absolute) for entry in updates],
        }
    )


def news_article(entry: Entry, stream: Stream, absolute: Absolute) -> dict[str, Any]:
    """An entry's permalink as a schema.org NewsArticle, with its correction if any."""
    url = absolute(entry.get_absolute_url())
    return _compact(
        {
            "@context": CONTEXT,
            "@type": "NewsArticle",
            "headline": entry_headline(entry),
            "keywords": KEY_EVENT_KEYWORDS if entry.pinned else None,
            "url": url,
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "image": card_data(social_cards.entry_card(entry, stream), absolute),
            "datePublished": _iso(entry.published_at),
            "dateModified": _iso(entry_modified(entry)),
            "articleBody": entry_text(entry),
            "author": authors_data(entry, absolute),
            "publisher": publisher_data(stream.publisher, absolute),
            "isPartOf": {
                "@type": "LiveBlogPosting",
                "headline": stream.title,
                "url": absolute(stream.get_absolute_url()),
            },
            "citation": citations_data(entry, absolute),
            "correction": correction_data(entry),
        }
    )


def canonical_url(scheme: str, host: str, path: str, query: dict[str, str]) -> str:
    """The page's one address: absolute, and of its query only the paging cursor."""
    kept = {name: query[name] for name in ("before", "after") if query.get(name)}
    return f"{scheme}://{host}{path}" + (f"?{urlencode(kept)}" if kept else "")


def entry_summary(entry: Entry, stream: Stream, *, words: int = 40) -> str:
    """A line or two of the entry's words for previews, else its stream's summary."""
    text = entry_text(entry) or stream.summary or stream.publisher.description
    return Truncator(text).words(words)
