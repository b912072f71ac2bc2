"""What changed in an entry after readers first saw it: its published versions and their diffs.

The history is django-reversion's, the one the admin's "History" shows. Entries are
registered here, following their blocks and bylines, so that the admin's form and the
services (``recorded``) store the same shape; every service that writes an entry records a
revision, inside the admin's own when the admin calls it.

Readers are shown only what they could have read: a version counts while the entry was out
(published, or scheduled for a moment that came before the next version replaced it).
Drafts, submissions and schedules withdrawn before their time never show, nor their words.

Stored versions are read as the JSON they were written in, not through the models: a
version from before a field or a block kind existed, or naming a source since merged away,
still reads as far as it can, and one that cannot be read is left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from functools import wraps
from typing import Any, TypeVar

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import router
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from reversion.models import Revision, Version
from reversion.signals import post_revision_commit

from live import versions as live_versions
from pressimus.lib.html import clean_html, html_to_text, strip_control_characters
from pressimus.lib.oembed import PROVIDER_CHOICES
from streams.models import ORIGINAL_LANGUAGES, Block, Byline, Entry, Source, normalised_domain

# Kept out of versions: the save counter is the database's (a revert must never set it back,
# and within a save it is an F() expression that no version could read again); the date
# the changes page opens is worked out from the versions themselves.
ENTRY_NOT_VERSIONED = ("revision", "changes_shown_from")

# One registration for every path that records a revision. streams.services imports this
# module, and the admin imports the services before declaring EntryAdmin, whose VersionAdmin
# would otherwise register Entry itself; registering twice fails loudly at start-up.
reversion.register(Block)
reversion.register(Byline)
reversion.register(Entry, follow=("blocks", "bylines"), exclude=ENTRY_NOT_VERSIONED)

# A history this long is read from its newest versions; the page shows the newest changes.
MAX_VERSIONS_READ = 500
MAX_CHANGES_SHOWN = 50
# Words of one version compared: a very long entry keeps a readable, bounded diff.
MAX_WORDS = 4000
# Unchanged words kept on each side of a change within a paragraph.
CONTEXT_WORDS = 12

BASELINE_COMMENT = "As readers had it before its history was kept"

SHOWN_STATUSES = (Entry.Status.PUBLISHED, Entry.Status.SCHEDULED)
_LANGUAGE_NAMES = dict(ORIGINAL_LANGUAGES)
_PROVIDER_NAMES = dict(PROVIDER_CHOICES)


# Recording ------------------------------------------------------------------------------

Service = TypeVar("Service", bound=Callable[..., Any])


def recorded(comment: str) -> Callable[[Service], Service]:
    """Make a service record what it saves of an entry as one revision, by its ``by`` (or
    ``created_by``). Called inside another revision (the admin's form, or a service calling
    a service), it adds to that one, which is saved once, when the outermost ends."""

    def decorate(service: Service) -> Service:
        @wraps(service)
        def recording(*args, **kwargs):
            with reversion.create_revision():
                by = kwargs.get("by") or kwargs.get("created_by")
                if by is not None and reversion.get_user() is None:
                    reversion.set_user(by)
                # The innermost service names what happened ("Published", not "Written").
                reversion.set_comment(comment)
                return service(*args, **kwargs)

        return recording  # type: ignore[return-value]

    return decorate


def entry_parts_recorded(entry: Entry) -> None:
    """Add the entry, with its blocks and bylines as stored now, to the current revision.

    For writes that send no signal (``bulk_create``): reversion only sees saved objects.
    """
    reversion.add_to_revision(entry)


def _serialized(obj: Entry | Block | Byline) -> str:
    exclude = ENTRY_NOT_VERSIONED if isinstance(obj, Entry) else ()
    fields = [each.name for each in obj._meta.local_fields if each.name not in exclude]
    return serializers.serialize("json", [obj], fields=fields)


def entry_history_catch_up(*, entry_id: int) -> None:
    """Before a change to an entry readers have seen: if its history does not hold it as it
    stands (written before services kept one, or changed without), keep it so now.

    Otherwise the first correction of such an entry would have nothing to be compared with.
    Called under the entry's row lock (``services.entry_for_update``), before the change.
    """
    stored = Entry.objects.filter(pk=entry_id).values("first_published_at", "modified_at").first()
    now = timezone.now()
    if stored is None or not stored["first_published_at"] or stored["first_published_at"] > now:
        return
    if reversion.is_active() and stored["modified_at"] >= reversion.get_date_created():
        # Saved already within the revision being recorded (the admin's form, before the
        # service it calls): that revision will hold it.
        return
    latest = (
        Version.objects.get_for_object_reference(Entry, entry_id)
        .order_by("-revision__date_created", "-revision_id")
        .values_list("format", "serialized_data")
        .first()
    )
    if latest is not None:
        fields = _fields(*latest) or {}
        if _when(fields.get("modified_at")) == _to_millisecond(stored["modified_at"]):
            return
    entry = Entry.objects.get(pk=entry_id)
    parts: list[Entry | Block | Byline] = [entry, *entry.blocks.all(), *entry.bylines.all()]
    db = router.db_for_write(Revision)
    revision = Revision.objects.using(db).create(
        date_created=entry.modified_at, comment=BASELINE_COMMENT
    )
    Version.objects.using(db).bulk_create(
        Version(
            revision=revision,
            object_id=str(part.pk),
            content_type=ContentType.objects.get_for_model(part),
            db=router.db_for_write(type(part)),
            format="json",
            serialized_data=_serialized(part),
            object_repr=str(part)[:1000],
        )
        for part in parts
    )


def _entries_history_recorded(sender, revision: Revision, versions, **kwargs) -> None:
    # Keeps a denormalised date, as live.versions keeps versions: a stream page tells which
    # entries offer "What changed" from its own rows, without a query per entry.
    entry_type = ContentType.objects.get_for_model(Entry)
    for version in versions:
        if version.content_type_id != entry_type.pk:
            continue
        entry_id = int(version.object_id)
        opens = changes_shown_from(entry_id)
        changed = (
            Entry.objects.filter(pk=entry_id)
            .exclude(changes_shown_from=opens)
            .update(changes_shown_from=opens)
        )
        if changed:
            fields = _fields(version.format, version.serialized_data) or {}
            if isinstance(fields.get("stream"), int):
                live_versions.stream_changed(fields["stream"])


post_revision_commit.connect(_entries_history_recorded, dispatch_uid="changes_entry_history")


# Reading versions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of an entry's words, as plain text, with what kind of words they are:
    ``title``, ``text``, ``source`` ("Amnesty International reports:"), ``quote``,
    ``original`` (a translated quote's original), ``image`` or ``embed``."""

    kind: str
    text: str


@dataclass(frozen=True)
class PublishedVersion:
    """The entry as readers had it from ``shown_from`` until the next version."""

    shown_from: datetime
    paragraphs: tuple[Paragraph, ...]
    correction_note: str
    truncated: bool = False
    # Kept by ``entry_history_catch_up``: as the entry stood then, not as first published.
    kept_late: bool = False

    @property
    def content(self) -> tuple:
        return self.paragraphs, self.correction_note


@dataclass(frozen=True)
class _Recorded:
    revision_id: int
    recorded_at: datetime
    status: str
    published_at: datetime | None
    title: str
    correction_note: str
    kept_late: bool


def _fields(format: str, serialized_data: str) -> dict | None:
    if format != "json":
        return None
    try:
        fields = json.loads(serialized_data)[0]["fields"]
    except (ValueError, LookupError, TypeError):
        return None
    return fields if isinstance(fields, dict) else None


def _text(value: object) -> str:
    return strip_control_characters(value) if isinstance(value, str) else ""


def _when(value: object) -> datetime | None:
    try:
        when = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if when is not None and timezone.is_naive(when):
        when = when.replace(tzinfo=UTC)
    return when


def _to_millisecond(when: datetime | None) -> datetime | None:
    # Versions hold times in JSON, to the millisecond.
    return when.replace(microsecond=when.microsecond // 1000 * 1000) if when else None


def _entry_records(entry_id: int) -> list[_Recorded]:
    versions = (
        Version.objects.get_for_object_reference(Entry, entry_id)
        .select_related("revision")
        .only("format", "serialized_data", "revision__date_created", "revision__comment")
        .order_by("-revision__date_created", "-revision_id")[:MAX_VERSIONS_READ]
    )
    records = []
    for version in reversed(list(versions)):
        fields = _fields(version.format, version.serialized_data)
        if fields is None:
            continue
        records.append(
            _Recorded(
                revision_id=version.revision_id,
                recorded_at=version.revision.date_created,
                status=_text(fields.get("status")),
                published_at=_when(fields.get("published_at")),
                title=_text(fields.get("title")),
                correction_note=_text(fields.get("correction_note")),
                kept_late=version.revision.comment == BASELINE_COMMENT,
            )
        )
    return records


def _shown(records: Sequence[_Recorded], now: datetime | None) -> list[tuple[_Recorded, datetime]]:
    """The records readers saw, with the moment each reached them.

    A record stands until the next one; it was seen if the entry was out (published or
    scheduled) and its time came before then. ``now`` None: the newest counts as seen once
    its time comes, however far ahead that is.
    """
    shown = []
    for index, record in enumerate(records):
        if record.status not in SHOWN_STATUSES or record.published_at is None:
            continue
        if index + 1 < len(records):
            if record.published_at >= records[index + 1].recorded_at:
                continue
        elif now is not None and record.published_at > now:
            continue
        shown.append((record, max(record.published_at, record.recorded_at)))
    return shown


_BLOCK_BREAK = re.compile(
    r"<br\s*/?>|<hr\s*/?>|</(?:p|li|h[1-6]|blockquote|pre|ul|ol)\s*>", re.IGNORECASE
)


def html_paragraphs(markup: str) -> list[str]:
    """The plain text of stored rich text, a paragraph (or list item, or line) at a time."""
    pieces = _BLOCK_BREAK.split(clean_html(markup)) if markup else []
    return [text for piece in pieces if (text := html_to_text(piece))]


def _plain(text: str) -> str:
    return " ".join(text.split())


def block_paragraphs(fields: dict, source_names: dict[int, str]) -> list[Paragraph]:
    """A stored block as paragraphs of plain text, whatever its kind or age.

    A kind this code does not know (or no longer knows) gives the words of its body, if any.
    """
    kind = _text(fields.get("kind")) or Block.Kind.TEXT
    body = html_paragraphs(_text(fields.get("body")))
    if kind == Block.Kind.QUOTE:
        cited_url = _text(fields.get("cited_url"))
        source = fields.get("source")
        name = (source_names.get(source) if isinstance(source, int) else None) or (
            normalised_domain(cited_url) or "A source"
        )
        paragraphs = [Paragraph("source", f"{_plain(name)} reports:")]
        paragraphs += [Paragraph("quote", text) for text in body]
        original = html_paragraphs(_text(fields.get("original")))
        if original:
            code = _text(fields.get("original_language"))
            language = _LANGUAGE_NAMES.get(code, code) or "its language"
            paragraphs.append(Paragraph("source", f"Original ({language}):"))
            paragraphs += [Paragraph("original", text) for text in original]
        return paragraphs
    if kind == Block.Kind.IMAGE:
        alt_text = _plain(_text(fields.get("alt_text")))
        parts = [
            f"Picture: {alt_text}" if alt_text else "Picture",
            _plain(_text(fields.get("caption"))),
            f"Credit: {credit}" if (credit := _plain(_text(fields.get("credit")))) else "",
        ]
        return [Paragraph("image", " — ".join(part for part in parts if part))]
    if kind == Block.Kind.EMBED:
        provider = _text(fields.get("embed_provider"))
        title = _plain(_text(fields.get("embed_title")))
        author = _plain(_text(fields.get("embed_author_name")))
        what = title or _text(fields.get("embed_url")) or "a post"
        by = f", by {author}" if author else ""
        return [Paragraph("embed", f"{_PROVIDER_NAMES.get(provider, 'Embedded')}: {what}{by}")]
    return [Paragraph("text", text) for text in body]


def _capped(paragraphs: Iterable[Paragraph]) -> tuple[tuple[Paragraph, ...], bool]:
    kept: list[Paragraph] = []
    words = 0
    for paragraph in paragraphs:
        tokens = paragraph.text.split()
        if words + len(tokens) > MAX_WORDS:
            if room := MAX_WORDS - words:
                kept.append(Paragraph(paragraph.kind, " ".join(tokens[:room]) + " …"))
            return tuple(kept), True
        words += len(tokens)
        kept.append(paragraph)
    return tuple(kept), False


def _version_texts(
    entry_id: int, records: Sequence[_Recorded]
) -> dict[int, tuple[tuple[Paragraph, ...], bool]]:
    """The paragraphs of each record's version, by revision: its title, then its blocks."""
    revision_ids = [record.revision_id for record in records]
    blocks: dict[int, list[tuple[int, int, dict]]] = {pk: [] for pk in revision_ids}
    for version in (
        Version.objects.get_for_model(Block)
        .filter(revision_id__in=revision_ids)
        .only("revision_id", "object_id", "format", "serialized_data")
    ):
        fields = _fields(version.format, version.serialized_data)
        if fields is None or fields.get("entry") != entry_id:
            continue
        position = fields.get("position")
        order = position if isinstance(position, int) else 0
        pk = int(version.object_id) if version.object_id.isdigit() else 0
        blocks[version.revision_id].append((order, pk, fields))
    source_ids = {
        fields["source"]
        for parts in blocks.values()
        for _, _, fields in parts
        if isinstance(fields.get("source"), int)
    }
    source_names = dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "name"))
    texts = {}
    for record in records:
        parts = sorted(blocks[record.revision_id], key=lambda part: part[:2])
        if not parts:
            # A published entry always has a block: this version's were not kept with it.
            continue
        title = [Paragraph("title", _plain(record.title))] if record.title.strip() else []
        texts[record.revision_id] = _capped(
            [*title, *(p for *_, fields in parts for p in block_paragraphs(fields, source_names))]
        )
    return texts


def published_versions(entry_id: int, *, now: datetime | None) -> list[PublishedVersion]:
    """The versions of the entry readers were shown, oldest first, each different from the
    one before in its words or its correction note. ``now`` None: as it will be once the
    newest version's time comes."""
    shown = _shown(_entry_records(entry_id), now)
    if len(shown) < 2:
        return []
    texts = _version_texts(entry_id, [record for record, _ in shown])
    versions: list[PublishedVersion] = []
    for record, shown_from in shown:
        if record.revision_id not in texts:
            continue
        paragraphs, truncated = texts[record.revision_id]
        if not versions and not record.kept_late and record.published_at is not None:
            # An entry written with an earlier publish time (an import, the demo) reads as
            # published then, on its own page too.
            shown_from = record.published_at
        version = PublishedVersion(
            shown_from, paragraphs, _plain(record.correction_note), truncated, record.kept_late
        )
        if versions and versions[-1].content == version.content:
            continue
        versions.append(version)
    return versions


def changes_shown_from(entry_id: int) -> datetime | None:
    """When the entry's "What changed" page opens: once a second published version of it
    has reached readers. None: it has had only one (or none) so far."""
    versions = published_versions(entry_id, now=None)
    return versions[1].shown_from if len(versions) >= 2 else None


# Diffs ----------------------------------------------------------------------------------

# Chinese and Japanese put no spaces between words: each character is compared on its own,
# as is each mark of punctuation, so that "admin." becoming "admin, fixed." adds two words.
_UNSPACED = "\u2e80-\u2fff\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_PUNCTUATION = "!\"#$%&'()*+,./:;<=>?@\\[\\]^_`{|}~\u00a1-\u00bf\u2010-\u2027\u2030-\u205e-"
_TOKEN = re.compile(rf"\s*(?:[{_UNSPACED}{_PUNCTUATION}]|[^\s{_UNSPACED}{_PUNCTUATION}]+)")


def _tokens(text: str) -> list[str]:
    """Words, each with the white space before it, so that the text joins up as it was."""
    return _TOKEN.findall(text)


def _joined(tokens: Sequence[str]) -> str:
    return "".join(tokens).strip()


def _lead(tokens: Sequence[str]) -> str:
    return " " if tokens and tokens[0][:1].isspace() else ""


def _marked(tag: str, tokens: Sequence[str]) -> SafeString:
    said = "added:" if tag == "ins" else "removed:"
    return format_html(
        '<{tag}><span class="visually-hidden">{said} </span>{words}</{tag}>',
        tag=tag,
        said=said,
        words=_joined(tokens),
    )


def _unchanged(tokens: Sequence[str], *, first: bool, last: bool) -> str:
    """Unchanged words around changes; a long run keeps only the words next to them."""
    head = 0 if first else CONTEXT_WORDS
    tail = 0 if last else CONTEXT_WORDS
    if (first and last) or len(tokens) <= head + tail + CONTEXT_WORDS:
        return escape("".join(tokens))
    kept_tail = "".join(tokens[len(tokens) - tail :]) if tail else ""
    return escape(f"{''.join(tokens[:head])} …{kept_tail}")


def word_diff(old: str, new: str) -> SafeString:
    """``new`` as HTML, its words compared with ``old``'s: removed words in ``<del>``, added
    ones in ``<ins>``, each announced by visually hidden words for screen readers."""
    before, after = _tokens(old), _tokens(new)
    matcher = SequenceMatcher(
        None,
        [token.strip() for token in before],
        [token.strip() for token in after],
        autojunk=False,
    )
    opcodes = matcher.get_opcodes()
    html: list[str] = []
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            html.append(_unchanged(after[j1:j2], first=index == 0, last=index == len(opcodes) - 1))
            continue
        removed, added = before[i1:i2], after[j1:j2]
        if removed:
            html.append(_lead(removed) + _marked("del", removed))
        if added:
            html.append(_lead(added) + _marked("ins", added))
    # Every piece is escaped above.
    return mark_safe("".join(html).strip())


@dataclass(frozen=True)
class DiffRow:
    """One paragraph of a diff: ``changed`` (its words compared), ``added``, ``removed``,
    ``context`` (an unchanged paragraph next to a change, shortened when long), or ``same``:
    ``count`` more unchanged paragraphs, not repeated."""

    state: str
    kind: str = "text"
    html: SafeString = field(default_factory=SafeString)
    count: int = 0


def _unchanged_rows(run: Sequence[Paragraph], *, after_change: bool, before_change: bool):
    """An unchanged run of paragraphs: the ones next to a change as context, the others
    counted."""
    first = run[0] if after_change else None
    last = run[-1] if before_change and (len(run) > 1 or first is None) else None
    if first is not None:
        # Its opening words, which follow on from the change above (and, alone between two
        # changes, its closing words too).
        alone = len(run) == 1 and before_change
        html = mark_safe(_unchanged(_tokens(first.text), first=False, last=not alone))
        yield DiffRow("context", first.kind, html)
    if hidden := len(run) - (first is not None) - (last is not None):
        yield DiffRow("same", count=hidden)
    if last is not None:
        # Its closing words, which lead into the change below.
        html = mark_safe(_unchanged(_tokens(last.text), first=True, last=False))
        yield DiffRow("context", last.kind, html)


def paragraphs_diff(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[DiffRow]:
    """What changed from ``old`` to ``new``, paragraph by paragraph, word by word within."""
    rows: list[DiffRow] = []
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        if op == "equal":
            rows += _unchanged_rows(
                new[j1:j2], after_change=index > 0, before_change=index < len(opcodes) - 1
            )
            continue
        removed, added = old[i1:i2], new[j1:j2]
        for pair in range(max(len(removed), len(added))):
            before = removed[pair] if pair < len(removed) else None
            after = added[pair] if pair < len(added) else None
            if before and after and before.kind == after.kind:
                rows.append(DiffRow("changed", after.kind, word_diff(before.text, after.text)))
                continue
            if before:
                rows.append(DiffRow("removed", before.kind, _marked("del", [before.text])))
            if after:
                rows.append(DiffRow("added", after.kind, _marked("ins", [after.text])))
    return rows


@dataclass(frozen=True)
class Change:
    """A published version and what changed from the one before (none for the first)."""

    version: PublishedVersion
    previous: PublishedVersion | None
    rows: list[DiffRow]

    @property
    def is_first(self) -> bool:
        return self.previous is None

    @property
    def words_changed(self) -> bool:
        return any(row.state != "same" for row in self.rows)

    @property
    def note_changed(self) -> bool:
        return self.previous is not None and (
            self.previous.correction_note != self.version.correction_note
        )


@dataclass(frozen=True)
class EntryHistory:
    changes: list[Change]
    older: int

    max_words = MAX_WORDS

    @property
    def truncated(self) -> bool:
        return any(change.version.truncated for change in self.changes)


def entry_history(entry: Entry, *, now: datetime | None = None) -> EntryHistory | None:
    """The entry's published versions, newest first, each with its diff from the one
    before; None when readers have had only one version (there is nothing to show)."""
    versions = published_versions(entry.pk, now=now or timezone.now())
    if len(versions) < 2:
        return None
    shown = versions[-MAX_CHANGES_SHOWN:]
    start = len(versions) - len(shown)
    changes = [
        Change(
            version=version,
            previous=versions[start + index - 1] if start + index else None,
            rows=paragraphs_diff(versions[start + index - 1].paragraphs, version.paragraphs)
            if start + index
            else [],
        )
        for index, version in enumerate(shown)
    ]
    return EntryHistory(changes=changes[::-1], older=start)
