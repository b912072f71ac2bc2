"""Models as the API shows them: plain dicts in the shapes of ``api.schemas``.

Each function takes what the view loaded (entries with their blocks and bylines prefetched,
streams with their publisher) and an ``absolute`` callable turning a path into an address,
so that building an answer costs no query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.storage import default_storage
from django.urls import reverse

from pressimus.lib.html import html_to_text
from streams.models import Block, Byline, Entry, Publisher, Source, Stream

Absolute = Callable[[str], str]


def api_path(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


def publisher_ref(publisher: Publisher, absolute: Absolute) -> dict[str, Any]:
    return {
        "slug": publisher.slug,
        "name": publisher.name,
        "url": absolute(publisher.get_absolute_url()),
        "api_url": absolute(api_path("publisher", slug=publisher.slug)),
    }


def publisher_data(publisher: Publisher, absolute: Absolute) -> dict[str, Any]:
    return {
        **publisher_ref(publisher, absolute),
        "description": publisher.description,
        "website": publisher.website or None,
        "logo_url": absolute(publisher.logo.url) if publisher.logo else None,
        "time_zone": publisher.time_zone,
        "streams_url": absolute(api_path("streams") + f"?publisher={publisher.slug}"),
        "feed_url": absolute(reverse("streams:publisher_feed", kwargs={"slug": publisher.slug})),
    }


def stream_ref(stream: Stream, absolute: Absolute) -> dict[str, Any]:
    return {
        "slug": stream.slug,
        "title": stream.title,
        "members_only": stream.is_members_only,
        "url": absolute(stream.get_absolute_url()),
        "api_url": absolute(api_path("stream", slug=stream.slug)),
    }


def stream_data(stream: Stream, absolute: Absolute) -> dict[str, Any]:
    public = not stream.is_members_only
    slug = {"slug": stream.slug}
    return {
        **stream_ref(stream, absolute),
        "summary": stream.summary,
        "status": stream.status,
        "publisher": publisher_ref(stream.publisher, absolute),
        "started_at": stream.started_at,
        "ended_at": stream.ended_at,
        "last_published_at": stream.last_published_at,
        "entries_url": absolute(api_path("stream_entries", **slug)),
        # As on the stream page: a members-only stream has neither, for anyone.
        "feed_url": absolute(reverse("streams:stream_feed", kwargs=slug)) if public else None,
        "embed_url": absolute(reverse("streams:embed", kwargs=slug)) if public else None,
    }


def source_ref(source: Source, absolute: Absolute) -> dict[str, Any]:
    return {
        "slug": source.slug,
        "name": source.name,
        "home_page": source.home_page or None,
        "url": absolute(source.get_absolute_url()),
        "api_url": absolute(api_path("source", slug=source.slug)),
    }


def source_data(source: Source, absolute: Absolute) -> dict[str, Any]:
    return {
        **source_ref(source, absolute),
        "kind": source.kind,
        "kind_name": source.get_kind_display(),
        "domain": source.domain,
        "description": source.description,
        "entries_url": absolute(api_path("source_entries", slug=source.slug)),
    }


def _words(markup: str) -> dict[str, str]:
    return {"html": markup, "text": html_to_text(markup)}


def block_data(block: Block, absolute: Absolute) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": block.kind,
        "html": None,
        "text": None,
        "source": None,
        "cited_url": None,
        "original": None,
        "image": None,
        "embed": None,
    }
    if block.kind in (Block.Kind.TEXT, Block.Kind.QUOTE):
        data.update(_words(block.body))
    if block.kind == Block.Kind.QUOTE:
        data["source"] = source_ref(block.source, absolute) if block.source else None
        data["cited_url"] = block.cited_url or None
        if block.original_language and block.original:
            data["original"] = {
                **_words(block.original),
                "language": block.original_language,
                "language_name": block.original_language_name,
            }
    elif block.kind == Block.Kind.IMAGE and (block.image or block.renditions):
        data["image"] = {
            "url": absolute(block.image_url),
            "width": block.image_width,
            "height": block.image_height,
            "alt_text": block.alt_text,
            "caption": block.caption,
            "credit": block.credit,
            "renditions": [
                {
                    "url": absolute(default_storage.url(rendition["name"])),
                    "width": rendition["width"],
                    "height": rendition["height"],
                }
                for rendition in block.renditions
            ],
        }
    elif block.kind == Block.Kind.EMBED:
        thumbnail = block.embed_thumbnail
        data["embed"] = {
            "provider": block.embed_provider,
            "provider_name": block.get_embed_provider_display(),
            "url": block.embed_url,
            "title": block.embed_title,
            "author_name": block.embed_author_name,
            "author_url": block.embed_author_url or None,
            "is_video": block.embed_is_video,
            "thumbnail": {
                "url": absolute(thumbnail.url),
                "width": block.embed_thumbnail_width,
                "height": block.embed_thumbnail_height,
            }
            if thumbnail
            else None,
        }
    return data


def byline_data(byline: Byline, absolute: Absolute) -> dict[str, Any]:
    profile = byline.profile if byline.profile_id else None
    return {
        "name": byline.display_name,
        "profile": {
            "handle": profile.handle,
            "display_name": profile.display_name,
            "url": absolute(profile.get_absolute_url()),
        }
        if profile
        else None,
    }


def entry_data(entry: Entry, absolute: Absolute) -> dict[str, Any]:
    stream = entry.stream
    return {
        "id": entry.pk,
        "stream": stream_ref(stream, absolute),
        "title": entry.title,
        "url": absolute(entry.get_absolute_url()),
        "api_url": absolute(api_path("entry", slug=stream.slug, entry_id=entry.pk)),
        "published_at": entry.published_at,
        "key_event": entry.pinned,
        "correction": {"note": entry.correction_note, "corrected_at": entry.updated_at}
        if entry.correction_note
        else None,
        "blocks": [block_data(block, absolute) for block in entry.blocks.all()],
        "bylines": [byline_data(byline, absolute) for byline in entry.bylines.all()],
    }
