"""Multi-step writes on streams and entries. Views, admin and commands call these."""

from __future__ import annotations

import io
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import slugify

from accounts.models import Profile
from live import versions
from pressimus.lib import oembed
from pressimus.lib.fields import one_line
from pressimus.lib.images import entry_image_renditions, random_stem
from streams import changes, search
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


@dataclass(frozen=True)
class EmbedBlock:
    """A post or video as ``embed_fetch`` found it, ready to be stored as an embed block.

    The thumbnail is ours already (checked and re-encoded as WebP), not yet stored.
    """

    url: str
    provider: str
    title: str
    author_name: str
    author_url: str
    player_url: str
    thumbnail: bytes = b""
    thumbnail_width: int | None = None
    thumbnail_height: int | None = None


@dataclass(frozen=True)
class ImageBlock:
    """A picture: a new ``upload``, or the one that ``kept`` (a block of the same entry)
    already shows, with the words that go with it."""

    alt_text: str
    caption: str = ""
    credit: str = ""
    upload: IO[bytes] | None = None
    kept: Block | None = None


@dataclass(frozen=True)
class KeptBlock:
    """A block of the entry kept as it is, only moved (an embed fetched before)."""

    block: Block


BlockSpec = TextBlock | QuoteBlock | EmbedBlock | ImageBlock | KeptBlock
BylineSpec = Profile | str


def _block_from_spec(entry: Entry, position: int, spec: BlockSpec) -> Block:
    if isinstance(spec, TextBlock):
        return Block(entry=entry, position=position, kind=Block.Kind.TEXT, body=spec.body)
    if isinstance(spec, EmbedBlock):
        # Its thumbnail is stored now, in the caller's transaction: a rollback deletes it.
        return block_embed_store(
            block=Block(entry=entry, position=position, kind=Block.Kind.EMBED), embed=spec
        )
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


@changes.recorded("Written")
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
    changes.entry_parts_recorded(entry)
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


class EntryChanged(Exception):
    """Someone saved the entry after the copy a change was based on was read.

    ``current`` is the entry as stored now, with ``modified_by`` (and its profile) loaded,
    so the person can be told who changed it and when, and be shown that version.
    """

    def __init__(self, current: Entry) -> None:
        self.current = current
        super().__init__(self.message)

    @property
    def changed_by(self) -> str:
        user = self.current.modified_by
        if user is None:
            return "Someone"
        profile = getattr(user, "profile", None)
        return profile.display_name if profile else user.email

    @property
    def message(self) -> str:
        when = date_format(timezone.localtime(self.current.modified_at), "H:i:s, j F")
        return (
            f"{self.changed_by} changed this entry at {when}, after your copy was opened. "
            "Nothing of yours was saved."
        )


def entry_for_update(entry: Entry, expected_revision: int | None = None) -> Entry:
    """Lock the entry's row until the transaction ends; refuse a change based on an old copy.

    Every write to an entry takes this lock first (before the stream's, in
    ``_publishing_now``), so two writers on one entry queue here in one order. With
    ``expected_revision`` (the revision the person's form or desk was opened at), a row
    saved since raises ``EntryChanged``: the later save never silently replaces the other.
    """
    revision = (
        Entry.objects.select_for_update(no_key=True)
        .filter(pk=entry.pk)
        .values_list("revision", flat=True)
        .first()
    )
    if revision is None:
        raise Entry.DoesNotExist("This entry was deleted.")
    if expected_revision is not None and revision != expected_revision:
        raise EntryChanged(
            Entry.objects.select_related("modified_by__profile", "stream").get(pk=entry.pk)
        )
    entry.revision = revision
    # Before the first change kept in its history, readers' version of it is kept there.
    changes.entry_history_catch_up(entry_id=entry.pk)
    return entry


def _saved_by(entry: Entry, by, fields: list[str]) -> list[str]:
    if by is not None:
        entry.modified_by = by
        return [*fields, "modified_by"]
    return fields


@changes.recorded("Published")
@transaction.atomic
def entry_publish(
    *, entry: Entry, by=None, at: datetime | None = None, expected_revision: int | None = None
) -> Entry:
    """Publish now, or schedule for ``at``; readers see it from that moment.

    Refuses, with ``ValidationError``, an entry whose saved blocks readers could not read
    (none at all, a quote without a source, an image without alt text), with
    ``PermissionDenied``, a ``by`` who is not an editor of the stream's publisher, and with
    ``EntryChanged``, a publish decided on a copy older than ``expected_revision``.
    """
    if by is not None and not _may_publish(by, entry.stream):
        raise PermissionDenied("Only an editor of this publisher can publish its entries.")
    entry_for_update(entry, expected_revision)
    if problems := _publishing_problems(entry):
        raise ValidationError(problems)
    now = timezone.now() if at is not None else _publishing_now(entry.stream)
    entry.published_at = at or now
    entry.status = Entry.Status.SCHEDULED if entry.published_at > now else Entry.Status.PUBLISHED
    entry.save(update_fields=_saved_by(entry, by, ["status", "published_at", "modified_at"]))
    entry.stream.refresh_last_published()
    return entry


@changes.recorded("Unpublished")
@transaction.atomic
def entry_unpublish(*, entry: Entry, by=None, expected_revision: int | None = None) -> Entry:
    """Back to draft, out of readers' sight; the publish time is kept for the next publish."""
    entry_for_update(entry, expected_revision)
    entry.status = Entry.Status.DRAFT
    entry.save(update_fields=_saved_by(entry, by, ["status", "modified_at"]))
    entry.stream.refresh_last_published()
    return entry


@changes.recorded("Submitted for review")
@transaction.atomic
def entry_submit(*, entry: Entry, by, expected_revision: int | None = None) -> Entry:
    """A writer hands a draft to the editors for review; readers still do not see it."""
    entry_for_update(entry, expected_revision)
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
    # Whatever the editors asked for last time, the writer has now answered.
    entry.review_note = ""
    fields = ["status", "submitted_by", "submitted_at", "review_note", "modified_at"]
    entry.save(update_fields=_saved_by(entry, by, fields))
    return entry


@changes.recorded("Pinned or unpinned as a key event")
@transaction.atomic
def entry_pin(
    *, entry: Entry, pinned: bool, by=None, expected_revision: int | None = None
) -> Entry:
    """Show the entry on top of its stream as a key event, or stop doing so."""
    entry_for_update(entry, expected_revision)
    entry.pinned = pinned
    entry.save(update_fields=_saved_by(entry, by, ["pinned", "modified_at"]))
    return entry


@changes.recorded("Updated after publication")
@transaction.atomic
def entry_record_edit(
    *, entry: Entry, note: str | None = None, by=None, expected_revision: int | None = None
) -> Entry:
    """After a change to an entry readers have seen: mark it updated, with a public note.

    Drafts, entries in review and entries scheduled for later have had no readers yet,
    so they are left as they are.
    """
    entry_for_update(entry, expected_revision)
    if not entry.is_visible:
        return entry
    entry.updated_at = timezone.now()
    fields = ["updated_at", "modified_at"]
    if note and note.strip():
        entry.correction_note = note
        fields.append("correction_note")
    entry.save(update_fields=_saved_by(entry, by, fields))
    return entry


# What a composed entry is for: its status after the save, or the action on it.
COMPOSE_ACTIONS = ("draft", "submit", "publish", "schedule", "save")


def _slug_for_source(name: str) -> str:
    base = slugify(name)[:70] or "source"
    taken = set(Source.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


def source_find_or_create(*, name: str) -> Source:
    """The source called ``name`` (in any case), made on the spot if there is none yet.

    Only the name is needed: its kind, home page and description can be filled in later.
    """
    name = one_line(name)
    if not name:
        raise ValidationError("A source needs a name.")
    if found := Source.objects.filter(name__iexact=name).first():
        return found
    source = Source(name=name, slug=_slug_for_source(name))
    source.full_clean()
    try:
        # A savepoint: someone may create the same source at the same moment.
        with transaction.atomic():
            source.save()
    except IntegrityError:
        return Source.objects.get(name__iexact=name)
    return source


def _block_for_compose(entry: Entry, position: int, spec: BlockSpec) -> Block:
    if isinstance(spec, KeptBlock):
        block = spec.block
        block.position = position
        return block
    if isinstance(spec, ImageBlock):
        block = spec.kept or Block(entry=entry, kind=Block.Kind.IMAGE)
        block.position = position
        block.alt_text, block.caption, block.credit = spec.alt_text, spec.caption, spec.credit
        if spec.upload is not None:
            block_image_store(block=block, upload=spec.upload)
        return block
    return _block_from_spec(entry, position, spec)


def _blocks_replace(entry: Entry, specs: Sequence[BlockSpec]) -> None:
    """The entry's blocks become ``specs``, in that order; blocks kept are updated in place
    (their files stay), the others deleted."""
    blocks = [_block_for_compose(entry, position, spec) for position, spec in enumerate(specs)]
    kept_ids = [block.pk for block in blocks if block.pk]
    entry.blocks.exclude(pk__in=kept_ids).delete()
    for block in blocks:
        block.entry = entry
        block.full_clean(exclude=["entry"])
        block.save()


@changes.recorded("Written on the desk")
@transaction.atomic
def entry_compose(
    *,
    stream: Stream,
    by,
    action: str,
    blocks: Sequence[BlockSpec],
    bylines: Sequence[BylineSpec] = (),
    title: str = "",
    pinned: bool = False,
    entry: Entry | None = None,
    expected_revision: int | None = None,
    at: datetime | None = None,
    correction: str = "",
) -> Entry:
    """Write an entry from the desk, all or nothing: its title, blocks and bylines, then
    ``action``: keep it a draft, submit it for review, publish it now, schedule it for
    ``at``, or (for one already out) save the change, with ``correction`` as its public note.

    Publishing goes through ``entry_publish``, as from the admin's form. A change based on
    an older copy than the stored one (``expected_revision``) raises ``EntryChanged``.
    Only editors decide what is a key event: a writer's ``pinned`` is ignored.
    """
    if action not in COMPOSE_ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    editor = _may_publish(by, stream)
    if entry is None:
        entry = Entry(stream=stream, created_by=by, status=Entry.Status.DRAFT)
    else:
        entry_for_update(entry, expected_revision)
    if action != "draft" and not blocks:
        raise ValidationError("Write the entry first: it has no text, quote or picture yet.")
    entry.title = title
    if editor:
        entry.pinned = pinned
    entry.modified_by = by
    entry.full_clean(exclude=["published_at"])
    entry.save()
    _blocks_replace(entry, blocks)
    entry.bylines.all().delete()
    Byline.objects.bulk_create(
        [_byline_from_spec(entry, position, spec) for position, spec in enumerate(bylines)]
    )
    changes.entry_parts_recorded(entry)
    if action == "submit":
        entry_submit(entry=entry, by=by)
    elif action == "publish":
        entry_publish(entry=entry, by=by)
    elif action == "schedule":
        if at is None or at <= timezone.now():
            raise ValidationError("To schedule the entry, pick a time in the future.")
        entry_publish(entry=entry, by=by, at=at)
    elif action == "save" and entry.is_visible:
        entry_record_edit(entry=entry, note=correction or None, by=by)
    elif entry.status != Entry.Status.DRAFT:
        stream.refresh_last_published()
    return entry


@changes.recorded("Sent back to its writer")
@transaction.atomic
def entry_send_back(
    *, entry: Entry, by, note: str = "", expected_revision: int | None = None
) -> Entry:
    """An editor returns a writer's submission to draft, with a word on what it needs."""
    entry_for_update(entry, expected_revision)
    if entry.status != Entry.Status.SUBMITTED:
        raise ValidationError("Only an entry submitted for review can be sent back.")
    if not _may_publish(by, entry.stream):
        raise PermissionDenied("Only an editor of this publisher can send entries back.")
    entry.status = Entry.Status.DRAFT
    entry.review_note = one_line(note)
    entry.save(update_fields=_saved_by(entry, by, ["status", "review_note", "modified_at"]))
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
    versions.streams_quoting_changed(keep.pk)
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


# Wide enough for the column on a 2x screen; providers' thumbnails are rarely wider.
EMBED_THUMBNAIL_WIDTH = 960


def embed_fetch(*, url: str) -> EmbedBlock:
    """Ask the provider about the post or video at ``url``, and keep a copy of its thumbnail.

    Network only, no database: call it outside any transaction, so that nothing waits on a
    lock while a provider takes its time; then give the result to ``entry_create`` or
    ``block_embed_store``. Raises ``ValidationError`` in words for the editor.
    """
    embed = oembed.lookup(url)
    thumbnail, width, height = b"", None, None
    try:
        data = oembed.thumbnail_fetch(embed)
    except ValidationError as refusal:
        if refusal.code != "unavailable":
            raise
        # A thumbnail the provider no longer has: the card goes without, as for a post.
        data = b""
    if data:
        try:
            renditions = entry_image_renditions(io.BytesIO(data), (EMBED_THUMBNAIL_WIDTH,))
        except ValidationError:
            raise ValidationError(
                oembed.thumbnail_unusable(embed.provider_name), code="thumbnail"
            ) from None
        width, height, content = renditions[-1]
        thumbnail = content.read()
    return EmbedBlock(
        url=embed.url,
        provider=embed.provider,
        title=embed.title,
        author_name=embed.author_name,
        author_url=embed.author_url,
        player_url=embed.player_url,
        thumbnail=thumbnail,
        thumbnail_width=width,
        thumbnail_height=height,
    )


@transaction.atomic
def block_embed_store(*, block: Block, embed: EmbedBlock, save: bool = False) -> Block:
    """Make ``block`` the embed ``embed_fetch`` found, storing its thumbnail.

    As with ``block_image_store``, the block is saved only if ``save`` is true; the thumbnail
    it had before is deleted once the transaction commits, the new one if it rolls back.
    """
    replaced = block.embed_thumbnail.name if block.embed_thumbnail else ""
    stored = ""
    if embed.thumbnail:
        name = block.embed_thumbnail.field.generate_filename(block, f"{random_stem()}.webp")
        stored = default_storage.save(name, ContentFile(embed.thumbnail))

    state = {"committed": False}

    def committed() -> None:
        state["committed"] = True
        if replaced and replaced != stored:
            _delete_files([replaced])

    # See block_image_store: a rollback drops this hook, and its collection deletes the file.
    weakref.finalize(committed, _delete_unless_committed, state, [stored] if stored else [])
    transaction.on_commit(committed)

    block.kind = Block.Kind.EMBED
    block.embed_url = embed.url
    block.embed_provider = embed.provider
    block.embed_title = embed.title
    block.embed_author_name = embed.author_name
    block.embed_author_url = embed.author_url
    block.embed_player_url = embed.player_url
    block.embed_thumbnail = stored
    block.embed_thumbnail_width = embed.thumbnail_width if stored else None
    block.embed_thumbnail_height = embed.thumbnail_height if stored else None
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
