"""``/sitemap.xml``: what anonymous readers may see, and nothing else.

Members-only streams, drafts and unpublished or scheduled-for-later entries are never
listed: every queryset here starts from the public ones.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef

from accounts.models import Profile
from streams.models import Block, Byline, Entry, EntryQuerySet, Publisher, Source, Stream


def _public_entries() -> EntryQuerySet:
    return Entry.objects.published().in_public_streams()


class StreamSitemap(Sitemap):
    changefreq = "hourly"

    def items(self):
        return Stream.objects.public().order_by("pk").only("slug", "last_published_at")

    def lastmod(self, item: Stream) -> datetime | None:
        return item.last_published_at


class EntrySitemap(Sitemap):
    def items(self):
        return (
            _public_entries()
            .select_related("stream")
            .only("stream__slug", "published_at", "updated_at")
            .order_by("pk")
        )

    def lastmod(self, item: Entry) -> datetime | None:
        return item.updated_at or item.published_at


class PublisherSitemap(Sitemap):
    def items(self):
        return Publisher.objects.filter(
            Exists(Stream.objects.public().filter(publisher=OuterRef("pk")))
        ).order_by("pk")


class SourceSitemap(Sitemap):
    def items(self):
        quoted = Block.objects.filter(source=OuterRef("pk"), entry__in=_public_entries())
        return Source.objects.filter(Exists(quoted)).order_by("pk")


class ProfileSitemap(Sitemap):
    def items(self):
        bylined = Byline.objects.filter(profile=OuterRef("pk"), entry__in=_public_entries())
        return Profile.objects.filter(Exists(bylined)).order_by("pk")


SITEMAPS = {
    "streams": StreamSitemap,
    "entries": EntrySitemap,
    "publishers": PublisherSitemap,
    "sources": SourceSitemap,
    "people": ProfileSitemap,
}
