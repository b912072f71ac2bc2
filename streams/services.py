"""Multi-step writes on streams and entries. Views, admin and commands call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Profile
from streams.models import Block, Byline, Entry, Follow, Publisher, Source, Stream


@dataclass(frozen=True)
class TextBlock:
    body: str


@dataclass(frozen=True)
class QuoteBlock:
    source: Source
    body: str
    cited_url: str = ""
    original: str = ""
    original_language: str = ""


BlockSpec = TextBlock | QuoteBlock
BylineSpec = Profile | str


def _block_from_spec(entry: Entry, position: int, spec: BlockSpec) -> Block:
    if isinstance(spec, TextBlock):
        return Block(entry=entry, position=position, kind=Block.Kind.TEXT, body=spec.body)
    return Block(
        entry=entry,
        position=position,
        kind=Block.Kind.QUOTE,
        body=spec.body,
        source=spec.source,
        cited_url=spec.cited_url,
        original=spec.original,
        original_language=spec.original_language,
    )


def _byline_from_spec(entry: Entry, position: int, spec: BylineSpec) -> Byline:
    if isinstance(spec, Profile):
        return Byline(entry=entry, position=position, profile=spec)
    return Byline(entry=entry, position=position, name=spec)


@transaction.atomic
def entry_create(
    *,
    stream: Stream,
    blocks: Sequence[BlockSpec],
    bylines: Iterable[BylineSpec] = (),
    title: str = "",
    published_at: datetime | None = None,
    publish: bool = True,
    pinned: bool = False,
    created_by=None,
) -> Entry:
    """Create an entry with its blocks and bylines, validated, all or nothing."""
    entry = Entry(
        stream=stream,
        title=title,
        pinned=pinned,
        created_by=created_by,
        status=Entry.Status.DRAFT,
    )
    if publish:
        entry.published_at = published_at or timezone.now()
        entry.status = (
            Entry.Status.SCHEDULED
            if entry.published_at > timezone.now()
            else Entry.Status.PUBLISHED
        )
    entry.full_clean()
    entry.save()
    block_objects = [_block_from_spec(entry, i, spec) for i, spec in enumerate(blocks)]
    byline_objects = [_byline_from_spec(entry, i, spec) for i, spec in enumerate(bylines)]
    for obj in (*block_objects, *byline_objects):
        obj.full_clean(exclude=["entry"])
    Block.objects.bulk_create(block_objects)
    Byline.objects.bulk_create(byline_objects)
    if publish:
        stream.refresh_last_published()
    return entry


@transaction.atomic
def entry_publish(*, entry: Entry, at: datetime | None = None) -> Entry:
    """Publish now, or schedule for ``at``; readers see it from that moment."""
    now = timezone.now()
    entry.published_at = at or now
    entry.status = Entry.Status.SCHEDULED if entry.published_at > now else Entry.Status.PUBLISHED
    entry.save(update_fields=["status", "published_at", "modified_at"])
    entry.stream.refresh_last_published()
    return entry


@transaction.atomic
def entry_unpublish(*, entry: Entry) -> Entry:
    entry.status = Entry.Status.DRAFT
    entry.save(update_fields=["status", "modified_at"])
    entry.stream.refresh_last_published()
    return entry


@transaction.atomic
def follow_toggle(
    *,
    user,
    stream: Stream | None = None,
    publisher: Publisher | None = None,
    follow: bool | None = None,
) -> bool:
    """Follow a stream or a publisher, or stop following it; True when ``user`` now follows it.

    Without ``follow`` this flips the current state; with it, it sets that state, so that
    a form sent twice (a double click, a resubmission) ends where the reader meant.
    """
    if (stream is None) == (publisher is None):
        raise ValueError("Follow either a stream or a publisher.")
    target = {"stream": stream} if stream is not None else {"publisher": publisher}
    follows = Follow.objects.filter(user=user, **target)
    if follow is None:
        follow = not follows.exists()
    if not follow:
        follows.delete()
        return False
    # get_or_create survives a twin request inserting the same follow at the same moment.
    Follow.objects.get_or_create(user=user, **target)
    return True
