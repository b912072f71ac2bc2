"""Multi-step writes on streams and entries. Views, admin and commands call these."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import Profile
from pressimus.lib.images import entry_image_renditions
from streams import live, search
from streams.models import (
    Block,
    Byline,
    Entry,
    Follow,
    Membership,
    Publisher,
    Source,
    Stream,
)

NO_BLOCKS = "An entry needs at least one block before it can be published."


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


def _publishing_now(stream: Stream) -> datetime:
    """The publish time of an entry going out now, read under the stream's publishing lock.

    A reader's cursor moves past the newest entry it was shown. An entry stamped earlier but
    committed later than another would fall behind that cursor and never reach the reader.
    Publishers of one stream take turns here, until their commit, so that publish times
    follow commit order; and a web process whose clock runs behind another's stamps just
    after the stream's newest entry rather than before it. (SQLite has no row locks: it is
    the database of first runs, with one web process.)
    """
    list(Stream.objects.select_for_update(no_key=True).filter(pk=stream.pk).values_list("pk"))
    now = timezone.now()
    # Published by a process whose clock runs ahead, an entry may be "later" than our now;
    # one scheduled for later is not among these, nor seen by any reader yet.
    newest = (
        Entry.objects.published(now)
        .filter(stream=stream)
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    if newest is not None and newest >= now:
        # Entry.save holds it as scheduled until this process's clock catches up.
        return newest + timedelta(microseconds=1)
    return now


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
        entry.published_at = published_at or _publishing_now(stream)
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


def _publishing_problems(entry: Entry) -> list[str]:
    """What stops ``entry``, as saved, from being published, in words for its editor."""
    blocks = list(
        entry.blocks.only("id", "kind", "position", "source_id", "image", "alt_text", "entry_id")
    )
    if not blocks:
        return [NO_BLOCKS]
    problems = []
    for number, block in enumerate(blocks, start=1):
        if block.kind == Block.Kind.QUOTE and block.source_id is None:
            problems.append(
                f"Block {number} is a quote without a source: pick the outlet it comes from "
                "before publishing."
            )
        if block.kind == Block.Kind.IMAGE:
            if not block.image:
                problems.append(f"Block {number} is an image block without an image.")
            if not block.alt_text:
                problems.append(
                    f"Block {number} is an image without alt text: describe the image for "
                    "readers who cannot see it before publishing."
                )
    return problems


def _may_publish(user, stream: Stream) -> bool:
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, publisher_id=stream.publisher_id, role=Membership.Role.EDITOR
    ).exists()


@transaction.atomic
def entry_publish(*, entry: Entry, by=None, at: datetime | None = None) -> Entry:
    """Publish now, or schedule for ``at``; readers see it from that moment.

    Refuses, with ``ValidationError``, an entry whose saved blocks readers could not read
    (none at all, a quote without a source, an image without alt text), and, with
    ``PermissionDenied``, a ``by`` who is not an editor of the stream's publisher.
    """
    if by is not None and not _may_publish(by, entry.stream):
        raise PermissionDenied("Only an editor of this publisher can publish its entries.")
    if problems := _publishing_problems(entry):
        raise ValidationError(problems)
    if at is None:
        # The entry's row before the stream's, as the admin's change form takes them (it saves
        # the entry, then publishes): two editors on one entry must not lock in opposite order.
        list(Entry.objects.select_for_update(no_key=True).filter(pk=entry.pk).values_list("pk"))
    now = timezone.now() if at is not None else _publishing_now(entry.stream)
    entry.published_at = at or now
    entry.status = Entry.Status.SCHEDULED if entry.published_at > now else Entry.Status.PUBLISHED
    entry.save(update_fields=["status", "published_at", "modified_at"])
    entry.stream.refresh_last_published()
    return entry


@transaction.atomic
def entry_unpublish(*, entry: Entry) -> Entry:
    """Back to draft, out of readers' sight; the publish time is kept for the next publish."""
    entry.status = Entry.Status.DRAFT
    entry.save(update_fields=["status", "modified_at"])
    entry.stream.refresh_last_published()
    return entry


@transaction.atomic
def entry_submit(*, entry: Entry, by) -> Entry:
    """A writer hands a draft to the editors for review; readers still do not see it."""
    if entry.status == Entry.Status.SUBMITTED:
        # A second click on the button: already where the writer meant it to be.
        return entry
    if entry.status != Entry.Status.DRAFT:
        raise ValidationError(
            f"Only a draft can be submitted for review; this entry is "
            f"{entry.get_status_display().lower()}."
        )
    entry.status = Entry.Status.SUBMITTED
    entry.submitted_by = by
    entry.submitted_at = timezone.now()
    entry.save(update_fields=["status", "submitted_by", "submitted_at", "modified_at"])
    return entry


@transaction.atomic
def entry_pin(*, entry: Entry, pinned: bool) -> Entry:
    """Show the entry on top of its stream as a key event, or stop doing so."""
    entry.pinned = pinned
    entry.save(update_fields=["pinned", "modified_at"])
    return entry


@transaction.atomic
def entry_record_edit(*, entry: Entry, note: str | None = None) -> Entry:
    """After a change to an entry readers have seen: mark it updated, with a public note.

    Drafts, entries in review and entries scheduled for later have had no readers yet,
    so they are left as they are.
    """
    if not entry.is_visible:
        return entry
    entry.updated_at = timezone.now()
    fields = ["updated_at", "modified_at"]
    if note and note.strip():
        entry.correction_note = note
        fields.append("correction_note")
    entry.save(update_fields=fields)
    return entry


@transaction.atomic
def sources_merge(*, keep: Source, duplicates: Iterable[Source]) -> int:
    """Move every quote of ``duplicates`` to ``keep`` and delete them; the quotes moved.

    What ``keep`` lacks (home page, description) is taken from the first duplicate
    that has it.
    """
    duplicates = list(duplicates)
    if any(duplicate.pk == keep.pk for duplicate in duplicates):
        raise ValidationError(f"A source cannot be merged into itself: “{keep.name}”.")
    if not duplicates:
        return 0
    moved = Block.objects.filter(source__in=duplicates).update(source=keep)
    # update() sends no signal: the streams now quoting ``keep`` changed for readers, and
    # the moved quotes' entries are found under its name.
    live.streams_quoting_changed(keep.pk)
    search.entries_quoting_changed(keep.pk)
    home_page = keep.home_page or next((d.home_page for d in duplicates if d.home_page), "")
    description = keep.description or next((d.description for d in duplicates if d.description), "")
    # Deleted first: the kept source may take over a duplicate's unique home page.
    Source.objects.filter(pk__in=[d.pk for d in duplicates]).delete()
    if (home_page, description) != (keep.home_page, keep.description):
        keep.home_page, keep.description = home_page, description
        keep.save()
    return moved


@transaction.atomic
def stream_open(*, stream: Stream) -> Stream:
    """Go live: readers see the stream, and it is marked as being written now."""
    stream.status = Stream.Status.LIVE
    stream.started_at = stream.started_at or timezone.now()
    stream.ended_at = None
    stream.save(update_fields=["status", "started_at", "ended_at", "updated_at"])
    stream.refresh_last_published()
    return stream


@transaction.atomic
def stream_end(*, stream: Stream) -> Stream:
    """The story is over: readers still see the stream, no longer as live."""
    if stream.status == Stream.Status.ENDED:
        return stream
    if stream.status != Stream.Status.LIVE:
        raise ValidationError("Only a live stream can end: open this draft first.")
    stream.status = Stream.Status.ENDED
    stream.ended_at = timezone.now()
    stream.save(update_fields=["status", "ended_at", "updated_at"])
    return stream


@transaction.atomic
def stream_reopen(*, stream: Stream) -> Stream:
    """Live again after it ended: the story moved on."""
    if stream.status == Stream.Status.LIVE:
        return stream
    if stream.status != Stream.Status.ENDED:
        raise ValidationError("Only an ended stream can be reopened: open this draft instead.")
    return stream_open(stream=stream)


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _delete_unless_committed(state: dict[str, bool], names: list[str]) -> None:
    if not state["committed"]:
        _delete_files(names)


@transaction.atomic
def block_image_store(*, block: Block, upload: IO[bytes], save: bool = False) -> Block:
    """Validate ``upload``, store its renditions and point the image block at them.

    Raises ``ValidationError`` (in words for the editor) for a file we refuse. The block
    is not saved unless ``save`` is true: a form's save does that, in the same
    transaction, which must be the one this runs in. The files the block pointed to
    before are deleted once that transaction commits; the new ones if it rolls back.
    """
    renditions = entry_image_renditions(upload)
    replaced = [rendition["name"] for rendition in block.renditions or []]
    if block.image and getattr(block.image, "_committed", True) and block.image.name:
        replaced.append(block.image.name)
    stored = []
    for width, height, content in renditions:
        name = block.image.field.generate_filename(block, content.name)
        stored.append(
            {"width": width, "height": height, "name": default_storage.save(name, content)}
        )
    new_names = [rendition["name"] for rendition in stored]

    state = {"committed": False}

    def committed() -> None:
        state["committed"] = True
        _delete_files(name for name in dict.fromkeys(replaced) if name not in new_names)

    # Django has no hook for a rollback, but a rollback drops the commit hooks it held:
    # when this one is collected without having run, its files were never committed.
    weakref.finalize(committed, _delete_unless_committed, state, new_names)
    transaction.on_commit(committed)

    largest = stored[-1]
    block.kind = Block.Kind.IMAGE
    block.image = largest["name"]
    block.image_width = largest["width"]
    block.image_height = largest["height"]
    block.renditions = stored
    if save:
        block.save()
    return block


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
