"""Atom feeds of streams, publishers and sources: public entries only, with their edits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import dateformat
from django.utils.feedgenerator import Atom1Feed
from django.utils.timezone import localtime
from django.utils.xmlutils import SimplerXMLGenerator

from pressimus.lib.html import strip_control_characters
from streams.models import Entry, EntryQuerySet, Publisher, Source, Stream

FEED_ENTRIES = 50
KEY_EVENT_CATEGORY = {"term": "key-event", "label": "Key event"}
# Sources keep no creation time: their feeds' ids carry the date these ids began instead.
SOURCE_TAG_DATE = date(2026, 11, 29)


def tag_uri(kind: str, pk: int, created: datetime | date) -> str:
    """A permanent id (RFC 4151): ``tag:news.example.org,2015-12-23:entry/42``.

    Atom ids must never change, and a feed's address does (another host, a proxy, a port):
    these are made of the site's ``FEED_ID_AUTHORITY``, the day the object was made and
    its id, nothing a request says.
    """
    day = created.astimezone(UTC).date() if isinstance(created, datetime) else created
    return f"tag:{settings.FEED_ID_AUTHORITY},{day.isoformat()}:{kind}/{pk}"


class _ControlFreeXMLGenerator(SimplerXMLGenerator):
    # Fields strip control characters on save, but a bulk update bypasses that, and one
    # stray character would otherwise turn every request for the feed into a 500.
    def characters(self, content: str) -> None:
        super().characters(strip_control_characters(content) if content else content)

    def startElement(self, name: str, attrs: dict[str, str]) -> None:
        cleaned = {key: strip_control_characters(str(value)) for key, value in attrs.items()}
        super().startElement(name, cleaned)


class PressAtomFeed(Atom1Feed):
    """Atom with the whole entry as ``<content>`` and one ``<author>`` per byline."""

    def write(self, outfile, encoding: str) -> None:
        handler = _ControlFreeXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def add_item_elements(self, handler, item: dict[str, Any]) -> None:
        # The rendered entry goes in <content>, not the <summary> Django writes it to.
        super().add_item_elements(handler, {**item, "description": None})
        for name, path in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            if path:
                handler.addQuickElement("uri", urljoin(item["link"], path))
            handler.endElement("author")
        if item["description"] is not None:
            handler.addQuickElement("content", item["description"], {"type": "html"})
        if item["key_event"]:
            handler.addQuickElement("category", None, KEY_EVENT_CATEGORY)


class EntryFeed(Feed):
    """What the three feeds share: how an entry becomes an Atom entry."""

    feed_type = PressAtomFeed
    description_template = "streams/feed_entry.html"

    def entries(self, obj) -> EntryQuerySet:
        raise NotImplementedError

    def items(self, obj) -> list[Entry]:
        return list(self.entries(obj).newest_first().for_display()[:FEED_ENTRIES])

    def link(self, obj) -> str:
        return obj.get_absolute_url()

    def item_title(self, item: Entry) -> str:
        if item.title:
            return item.title
        return f"Update of {dateformat.format(localtime(item.published_at), 'j F Y, H:i')}"

    def item_link(self, item: Entry) -> str:
        return item.get_absolute_url()

    def item_guid(self, item: Entry) -> str:
        return tag_uri("entry", item.pk, item.created_at)

    def item_pubdate(self, item: Entry) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Entry) -> datetime | None:
        # A correction moves the entry's <updated>, so feed readers show it again.
        times = [when for when in (item.published_at, item.updated_at) if when is not None]
        return max(times) if times else None

    def item_extra_kwargs(self, item: Entry) -> dict[str, Any]:
        authors = [
            (
                byline.display_name,
                byline.profile.get_absolute_url() if byline.profile_id else "",
            )
            for byline in item.bylines.all()
        ]
        return {"authors": authors, "key_event": item.pinned}

    def get_context_data(self, **kwargs) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request: HttpRequest = kwargs["request"]
        entry: Entry = kwargs["item"]
        absolute = request.build_absolute_uri
        # Feed readers show the content away from our site: every address in it is absolute.
        context["entry"] = entry
        context["blocks"] = [
            {
                "block": block,
                "source_url": absolute(block.source.get_absolute_url()) if block.source else "",
                "image_url": absolute(block.image_url) if block.image_url else "",
            }
            for block in entry.blocks.all()
        ]
        context["bylines"] = [
            {
                "name": byline.display_name,
                "url": absolute(byline.profile.get_absolute_url()) if byline.profile_id else "",
            }
            for byline in entry.bylines.all()
        ]
        return context


class StreamFeed(EntryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Stream:
        # Public streams only, whoever asks: a feed reader has no session, and a feed URL
        # copied by a member must not carry members-only entries anywhere.
        return get_object_or_404(Stream.objects.public().with_publisher(), slug=slug)

    def feed_guid(self, obj: Stream) -> str:
        return tag_uri("stream", obj.pk, obj.created_at)

    def title(self, obj: Stream) -> str:
        return f"{obj.title} — {obj.publisher.name}"

    def subtitle(self, obj: Stream) -> str | None:
        return obj.summary or obj.publisher.description or None

    def author_name(self, obj: Stream) -> str:
        return obj.publisher.name

    def feed_url(self, obj: Stream) -> str:
        return reverse("streams:stream_feed", kwargs={"slug": obj.slug})

    def entries(self, obj: Stream) -> EntryQuerySet:
        # Through the related manager every entry knows its stream without a query.
        return obj.entries.published()


class PublisherFeed(EntryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Publisher:
        return get_object_or_404(Publisher, slug=slug)

    def feed_guid(self, obj: Publisher) -> str:
        return tag_uri("publisher", obj.pk, obj.created_at)

    def title(self, obj: Publisher) -> str:
        return obj.name

    def subtitle(self, obj: Publisher) -> str | None:
        return obj.description or None

    def author_name(self, obj: Publisher) -> str:
        return obj.name

    def feed_url(self, obj: Publisher) -> str:
        return reverse("streams:publisher_feed", kwargs={"slug": obj.slug})

    def entries(self, obj: Publisher) -> EntryQuerySet:
        return Entry.objects.listed_for(None).filter(stream__publisher=obj)


class SourceFeed(EntryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Source:
        return get_object_or_404(Source, slug=slug)

    def feed_guid(self, obj: Source) -> str:
        return tag_uri("source", obj.pk, SOURCE_TAG_DATE)

    def title(self, obj: Source) -> str:
        return f"Entries quoting {obj.name} — Pressimus"

    def subtitle(self, obj: Source) -> str:
        return f"Every entry on Pressimus that quotes {obj.name}."

    def author_name(self, obj: Source) -> str:
        return "Pressimus"

    def feed_url(self, obj: Source) -> str:
        return reverse("streams:source_feed", kwargs={"slug": obj.slug})

    def entries(self, obj: Source) -> EntryQuerySet:
        return Entry.objects.listed_for(None).quoting(obj)


stream_feed = StreamFeed()
publisher_feed = PublisherFeed()
source_feed = SourceFeed()
