"""Full-text search over published entries: their titles, text and quotes.

Each entry keeps its searchable words as one plain-text column, ``search_document``:
its title, then every text and quote block (the quote, its original and its source's
name) stripped of markup, and the author and title of every embedded post or video. One
column keeps the index and the query simple, and lets SQLite search the same text as
PostgreSQL.

On PostgreSQL the query is real full-text search (``websearch_to_tsquery``, which
accepts any input, ranked with ``ts_rank`` and with ``ts_headline`` snippets) over a
GIN index of the document's vector. SQLite, the first-run database, gets a plain
fallback: every word of the query must occur in the document, case aside.

The document is rebuilt after commit by ``entry_search_document_refresh``, from
receivers on the entry, its blocks and the sources they quote (the admin's inline
formsets write blocks one by one). Bulk writes send no signal: ``seed_demo`` fills the
document itself with ``document_text``, and ``services.sources_merge`` moves quotes
with ``update()``, so the merged source's entries are refreshed by whoever calls it.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from urllib.parse import urlencode

from django import forms
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from pressimus.lib import commits
from pressimus.lib.html import strip_control_characters
from streams.models import (
    SEARCH_CONFIG,
    Block,
    Entry,
    EntryQuerySet,
    Publisher,
    Source,
    Stream,
    entry_search_vector,
)

# Long enough for any real search; a cap keeps a pasted article from costing a slow query.
QUERY_MAX_LENGTH = 200
PAGE_SIZE = 20
HEADING_WORDS = 12
# Snippets show this many characters of plain text around the first match.
SNIPPET_BEFORE = 80
SNIPPET_LENGTH = 260
REFRESH_BATCH = 500
SEARCHED_KINDS = (Block.Kind.TEXT, Block.Kind.QUOTE, Block.Kind.EMBED)

# ts_headline copies the document as is and marks matches with these; they are control
# characters, which documents never hold, so escaping the headline first and then
# turning them into <mark> cannot let stored text through as markup.
_START_SEL, _STOP_SEL = "\x02", "\x03"
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# What a heading cut short loses before its ellipsis.
_BEFORE_ELLIPSIS = " .,;:!?-\u2013\u2014·…"


# Bulk seeding and a source's refresh see the same few texts over and over.
@lru_cache(maxsize=4096)
def html_text(markup: str) -> str:
    """The text of sanitised block markup, on one line."""
    # Stored markup is already sanitised (RichTextField), so its tags are well formed and
    # a literal "<" in the text is stored as "&lt;": dropping tags is safe before unescaping.
    return plain_text(html.unescape(_TAG.sub(" ", markup or "")))


def plain_text(text: str) -> str:
    return _SPACE.sub(" ", strip_control_characters(text or "")).strip()


def document_text(title: str, blocks: Iterable[tuple[str, str, str]]) -> str:
    """The searchable text of an entry: its title, then each ``(body, original, source
    name)`` of its text and quote blocks in order, one per line."""
    lines = [plain_text(title)]
    for body, original, source_name in blocks:
        quoted = plain_text(source_name)
        text = " ".join(part for part in (html_text(body), html_text(original)) if part)
        lines.append(f"{quoted}: {text}" if quoted else text)
    return "\n".join(line for line in lines if line)


def embed_document_part(title: str, author_name: str) -> tuple[str, str, str]:
    """An embedded post or video as ``document_text`` takes a block: "Author: title"."""
    # document_text reads bodies as markup; escaped, the plain title comes out as it was.
    return html.escape(title or ""), "", author_name or ""


def entry_search_document_refresh(entry_ids: Iterable[int]) -> int:
    """Rebuild the search document of the given entries; how many changed."""
    changed = 0
    ids = sorted(set(entry_ids))
    for start in range(0, len(ids), REFRESH_BATCH):
        chunk = ids[start : start + REFRESH_BATCH]
        current = {
            pk: (title, document)
            for pk, title, document in Entry.objects.filter(pk__in=chunk).values_list(
                "pk", "title", "search_document"
            )
        }
        blocks: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        rows = (
            Block.objects.filter(entry_id__in=current, kind__in=SEARCHED_KINDS)
            .order_by("entry_id", "position", "id")
            .values_list(
                "entry_id", "kind", "body", "original", "source__name", "embed_title",
                "embed_author_name",
            )
        )  # fmt: skip
        for entry_id, kind, body, original, source_name, embed_title, embed_author in rows:
            if kind == Block.Kind.EMBED:
                blocks[entry_id].append(embed_document_part(embed_title, embed_author))
            else:
                blocks[entry_id].append((body, original, source_name or ""))
        updated = [
            Entry(pk=pk, search_document=document)
            for pk, (title, old) in current.items()
            if (document := document_text(title, blocks[pk])) != old
        ]
        # bulk_update sends no signal and leaves modified_at alone: readers' pages and
        # live updates do not change when only the index does.
        Entry.objects.bulk_update(updated, ["search_document"])
        changed += len(updated)
    return changed


# Keeping documents current ----------------------------------------------------------------


def _after_commit(refresh: Callable[[], object]) -> None:
    transaction.on_commit(refresh)


# Saving an entry in the admin saves each of its blocks: one refresh per commit, not per row
# (pressimus.lib.commits). A lookup left from a rolled-back transaction costs a query with the
# next commit, never a wrong document: a refresh rebuilds documents from the rows as they are.
_PENDING = "search_pending_lookups"


def _drain() -> None:
    # An entry created and deleted in one transaction has no id left to refresh.
    entry_ids = commits.take_ids(_PENDING)
    if entry_ids is not None:
        entry_search_document_refresh(entry_ids)


def entries_changed(entry_ids: Callable[[], Iterable[int]]) -> None:
    """Once the transaction commits, refresh the documents of the entries then found."""
    commits.gather(_PENDING, entry_ids)
    _after_commit(_drain)


def entries_quoting_changed(source_id: int) -> None:
    """Refresh every entry quoting the source, e.g. after quotes were moved to it."""
    entries_changed(
        lambda: Block.objects.filter(source_id=source_id).values_list("entry_id", flat=True)
    )


def _entry_saved(sender, instance: Entry, update_fields=None, **kwargs) -> None:
    # Publishing, pinning and corrections save a few named fields; none is searched.
    if update_fields is not None and "title" not in update_fields:
        return
    entries_changed(lambda: [instance.pk])


def _block_changed(sender, instance: Block, **kwargs) -> None:
    entries_changed(lambda: [instance.entry_id])


def _source_saving(sender, instance: Source, **kwargs) -> None:
    # Only a rename changes documents, and a popular source is quoted by thousands of
    # entries: remember the stored name to compare once saved.
    if instance.pk is not None and not instance._state.adding:
        instance._search_old_name = (
            Source.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
        )


def _source_saved(sender, instance: Source, created: bool, **kwargs) -> None:
    old_name = getattr(instance, "_search_old_name", None)
    if not created and old_name is not None and old_name != instance.name:
        entries_quoting_changed(instance.pk)


def connect_receivers() -> None:
    post_save.connect(_entry_saved, sender=Entry, dispatch_uid="search_entry")
    post_save.connect(_block_changed, sender=Block, dispatch_uid="search_block_saved")
    post_delete.connect(_block_changed, sender=Block, dispatch_uid="search_block_deleted")
    pre_save.connect(_source_saving, sender=Source, dispatch_uid="search_source_saving")
    post_save.connect(_source_saved, sender=Source, dispatch_uid="search_source_saved")


# Searching ----------------------------------------------------------------------------------


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def shortened_query(query: str) -> tuple[str, bool]:
    """``query`` cut to ``QUERY_MAX_LENGTH`` characters at a word boundary, and whether it was."""
    query = plain_text(query)
    if len(query) <= QUERY_MAX_LENGTH:
        return query, False
    cut = query[: QUERY_MAX_LENGTH + 1]
    # Drop a word cut in half, unless the whole query is one long "word".
    head, space, _tail = cut.rpartition(" ")
    return (head if space and head else cut[:QUERY_MAX_LENGTH]).strip(), True


def query_words(query: str) -> list[str]:
    """The words of a query for the plain fallback: operators and punctuation dropped."""
    return list({word.casefold(): word for word in _WORD.findall(query)}.values())


def _spellings(word: str) -> set[str]:
    # SQLite's LIKE ignores case in ASCII letters only: "бомбы" would miss "Бомбы".
    return {word, word.lower(), word.capitalize(), word.upper()}


def entries_matching(entries: EntryQuerySet, query: str) -> EntryQuerySet:
    """The entries of ``entries`` matching ``query``, best match first."""
    if uses_full_text():
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return (
            entries.alias(document_vector=entry_search_vector())
            .filter(document_vector=search_query)
            .annotate(
                rank=SearchRank(entry_search_vector(), search_query),
                headline=SearchHeadline(
                    "search_document",
                    search_query,
                    config=SEARCH_CONFIG,
                    start_sel=_START_SEL,
                    stop_sel=_STOP_SEL,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-published_at", "-id")
        )
    words = query_words(query)
    if not words:
        return entries.none()
    every_word = Q()
    for word in words:
        any_spelling = Q()
        for spelling in _spellings(word):
            any_spelling |= Q(search_document__icontains=spelling)
        every_word &= any_spelling
    return entries.filter(every_word).order_by(F("published_at").desc(), "-id")


@dataclass(frozen=True)
class SearchResult:
    """One entry found, with what its result shows."""

    entry: Entry
    heading: str
    snippet: SafeString


def search_results(entries: Sequence[Entry], query: str) -> list[SearchResult]:
    """The page of entries found for ``query``, each with a heading and a snippet."""
    words = query_words(query)
    return [
        SearchResult(
            entry=entry,
            heading=entry.title or untitled_heading(entry.search_document),
            snippet=(
                headline_html(entry.headline)
                if hasattr(entry, "headline")
                else plain_snippet(entry.search_document, words)
            ),
        )
        for entry in entries
    ]


def untitled_heading(document: str, words: int = HEADING_WORDS) -> str:
    """The first words of an untitled entry's document, to head it where a title would.

    Only its first line (the first block): the next line is often a quote, whose source's
    name would run into the heading. Cut at a word, any punctuation before the ellipsis
    dropped: "…witnesses said.…" reads as a mistake.
    """
    first = plain_text(document.split("\n", 1)[0])
    cut = Truncator(first).words(words, truncate="")
    if cut == first:
        return first
    return cut.rstrip(_BEFORE_ELLIPSIS) + "…"


def headline_html(headline: str) -> SafeString:
    """PostgreSQL's headline, escaped, with its matches in <mark>."""
    marked = escape(headline).replace(_START_SEL, "<mark>").replace(_STOP_SEL, "</mark>")
    return mark_safe(marked)  # Every character of the text was escaped above.


def plain_snippet(document: str, words: Sequence[str]) -> SafeString:
    """A stretch of ``document`` around the first word found, escaped, words in <mark>."""
    document = document.replace("\n", " · ")
    # The whole word a match is part of: "Russians" for "Russia", as a reader sees the hit.
    pattern = (
        re.compile(
            r"\w*(?:"
            + "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
            + r")\w*",
            re.I,
        )
        if words
        else None
    )
    found = pattern.search(document) if pattern else None
    start = max(0, found.start() - SNIPPET_BEFORE) if found else 0
    if start:
        # Start at a word, not inside one.
        start = document.find(" ", start) + 1 or start
    end = start + SNIPPET_LENGTH
    if end < len(document):
        end = document.rfind(" ", start, end) if document.rfind(" ", start, end) > start else end
    excerpt = document[start:end]
    pieces: list[str] = ["… " if start else ""]
    position = 0
    for match in pattern.finditer(excerpt) if pattern else ():
        pieces += [escape(excerpt[position : match.start()]), f"<mark>{escape(match[0])}</mark>"]
        position = match.end()
    pieces += [escape(excerpt[position:]), " …" if end < len(document) else ""]
    return mark_safe("".join(pieces))  # Every piece of text was escaped above.


# The form ------------------------------------------------------------------------------------

# Dates outside these years are typing mistakes, and would overflow once moved to UTC.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
DATE_MESSAGE = "Enter a date as year-month-day, such as 2015-12-23."


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class _DateField(forms.DateField):
    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            # A date input cannot show what it could not parse: the message repeats it.
            raise forms.ValidationError(
                f"“{value}” is not a date. {DATE_MESSAGE}", code="invalid"
            ) from None


def _date_field(label: str) -> forms.DateField:
    return _DateField(
        label=label,
        required=False,
        widget=_DateInput(),
        input_formats=["%Y-%m-%d"],
        validators=[
            MinValueValidator(EARLIEST_DATE, f"Pick a date from {EARLIEST_DATE:%Y} on."),
            MaxValueValidator(LATEST_DATE, f"Pick a date before {LATEST_DATE.year + 1}."),
        ],
    )


class SearchForm(forms.Form):
    """What to search for and where; read from the query string."""

    q = forms.CharField(
        label="Search for",
        required=False,
        widget=forms.SearchInput,
        help_text="Words in an entry's title, text or quotes, or a quoted source's name.",
    )
    publisher = forms.ModelChoiceField(
        queryset=Publisher.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label="Any publisher",
        error_messages={"invalid_choice": "No publisher has the address “%(value)s”."},
    )
    stream = forms.ModelChoiceField(
        queryset=Stream.objects.none(),
        to_field_name="slug",
        required=False,
        empty_label="Any stream",
        # The same words for a stream the reader may not see: its existence is not theirs.
        error_messages={"invalid_choice": "No stream has the address “%(value)s”."},
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        label="Quoting",
        empty_label="Any source",
        error_messages={"invalid_choice": "No source has the address “%(value)s”."},
    )
    date_from = _date_field("From")
    date_to = _date_field("To")

    # Short names in the address: /search/?q=…&from=2015-12-01&to=2015-12-31.
    _PARAMETERS = {"date_from": "from", "date_to": "to"}

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stream"].queryset = Stream.objects.visible_to(user).order_by("title")
        self.shortened = False

    query_max_length = QUERY_MAX_LENGTH

    @property
    def filters_shown(self) -> bool:
        """Whether the filters start unfolded: some are set, or one is wrong."""
        names = ("publisher", "stream", "source", "date_from", "date_to")
        if self.is_bound and any(name in self.errors for name in names):
            return True
        return any(self.data.get(self.add_prefix(name)) for name in names)

    def add_prefix(self, field_name: str) -> str:
        return self._PARAMETERS.get(field_name, field_name)

    def clean_q(self) -> str:
        query, self.shortened = shortened_query(self.cleaned_data["q"])
        if self.shortened:
            # The box then shows what was searched for, not the whole paste.
            self.data = self.data.copy()
            self.data["q"] = query
        return query

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filter(self, entries: EntryQuerySet) -> EntryQuerySet:
        """``entries`` narrowed to the publisher, stream, source and dates asked for."""
        data = self.cleaned_data
        if data["publisher"]:
            entries = entries.filter(stream__publisher=data["publisher"])
        if data["stream"]:
            entries = entries.filter(stream=data["stream"])
        if data["source"]:
            entries = entries.quoting(data["source"])
        # Whole days in the reader's time zone, the one their pages show times in.
        if data["date_from"]:
            entries = entries.filter(published_at__gte=_start_of(data["date_from"]))
        if data["date_to"]:
            entries = entries.filter(published_at__lt=_start_of(data["date_to"] + ONE_DAY))
        return entries

    def query_string(self, **extra) -> str:
        """The search as a query string, for links to its other pages."""
        data = self.cleaned_data
        values = {
            "q": data["q"],
            "publisher": data["publisher"].slug if data["publisher"] else "",
            "stream": data["stream"].slug if data["stream"] else "",
            "source": data["source"].slug if data["source"] else "",
            "from": data["date_from"].isoformat() if data["date_from"] else "",
            "to": data["date_to"].isoformat() if data["date_to"] else "",
            **extra,
        }
        return urlencode({name: value for name, value in values.items() if value})


ONE_DAY = timedelta(days=1)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
