"""streams.search: the entry document, keeping it current, snippets and PostgreSQL's search."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from streams import search
from streams.models import Block, Entry
from streams.search import (
    QUERY_MAX_LENGTH,
    document_text,
    entries_matching,
    entry_search_document_refresh,
    headline_html,
    plain_snippet,
    shortened_query,
    untitled_heading,
)
from streams.services import sources_merge
from tests import factories
from tests.fixtures_pages import NOW

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="full-text search: run with DATABASE_URL=postgres://…",
)


def document_of(entry: Entry) -> str:
    return Entry.objects.values_list("search_document", flat=True).get(pk=entry.pk)


# The document -----------------------------------------------------------------------------


def test_the_document_holds_title_text_quotes_originals_and_source_names():
    document = document_text(
        "Convoy  reaches\tAleppo",
        [
            ("<p>Twelve <strong>trucks</strong> arrived.</p><p>More follow.</p>", "", ""),
            ("<p>We saw 1 &lt; 2 &amp; more.</p>", "<p>Мы видели</p>", "Amnesty International"),
        ],
    )

    assert document == (
        "Convoy reaches Aleppo\n"
        "Twelve trucks arrived. More follow.\n"
        "Amnesty International: We saw 1 < 2 & more. Мы видели"
    )


def test_the_document_has_no_control_characters():
    assert document_text("a\x02b\x03c", [("<p>d\x02e</p>", "", "")]) == "abc\nde"


def test_a_new_entry_gets_its_document_once_committed(
    stream_a, source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = factories.EntryFactory(
            stream=stream_a, title="Needle", text="<p>Hay</p>", quotes=[source]
        )

    assert document_of(entry) == (
        "Needle\nHay\nAmnesty International: Quoted text from Amnesty International."
    )


def test_editing_a_block_updates_the_document(stream_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = factories.EntryFactory(stream=stream_a, title="Needle", text="<p>Old words</p>")
    block = entry.blocks.get()

    with django_capture_on_commit_callbacks(execute=True):
        block.body = "<p>New words</p>"
        block.save()

    assert document_of(entry) == "Needle\nNew words"


def test_deleting_a_block_updates_the_document(stream_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = factories.EntryFactory(stream=stream_a, title="Needle", text="<p>Gone</p>")

    with django_capture_on_commit_callbacks(execute=True):
        entry.blocks.get().delete()

    assert document_of(entry) == "Needle"


def test_renaming_the_title_updates_the_document(stream_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = factories.EntryFactory(stream=stream_a, title="Old title", text="<p>Body</p>")

    with django_capture_on_commit_callbacks(execute=True):
        entry.title = "New title"
        entry.save()

    assert document_of(entry) == "New title\nBody"


def test_saving_fields_that_are_not_searched_refreshes_nothing(
    stream_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = factories.EntryFactory(stream=stream_a)

    with django_capture_on_commit_callbacks() as callbacks:
        entry.pinned = True
        entry.save(update_fields=["pinned"])

    # Other parts may act on a pin (notifications announce key events); search does not.
    assert search._drain not in callbacks


def test_renaming_a_source_updates_the_documents_of_entries_quoting_it(
    stream_a, source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quoting = factories.EntryFactory(stream=stream_a, text="<p>Hay</p>", quotes=[source])
        other = factories.EntryFactory(stream=stream_a, text="<p>Hay</p>")
    before_other = document_of(other)

    with django_capture_on_commit_callbacks(execute=True):
        source.name = "Amnesty Intl"
        source.save()

    assert "Amnesty Intl: Quoted text" in document_of(quoting)
    assert document_of(other) == before_other


def test_saving_a_source_without_renaming_it_refreshes_nothing(
    source, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        source.description = "Human rights"
        source.save()

    assert callbacks == []


def test_saving_many_blocks_in_one_transaction_refreshes_the_document_once(
    stream_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = factories.EntryFactory(stream=stream_a, title="Many")
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in range(20):
            Block.objects.create(
                entry=entry, position=10 + n, kind=Block.Kind.TEXT, body=f"<p>Word{n}</p>"
            )

    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()

    # One read of the entry, one of its blocks, one write: not twenty of each.
    assert len(queries) == 3
    assert "Word0" in document_of(entry)
    assert "Word19" in document_of(entry)


def test_documents_are_written_only_once_the_transaction_commits(
    stream_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        entry = factories.EntryFactory(stream=stream_a, title="Needle")

    assert document_of(entry) == ""


def test_the_refresh_writes_only_documents_that_changed(stream_a, django_assert_num_queries):
    entry = factories.EntryFactory(stream=stream_a, title="Needle")
    assert entry_search_document_refresh([entry.pk]) == 1

    # One read of the entries, one of their blocks, and no write.
    with django_assert_num_queries(2):
        assert entry_search_document_refresh([entry.pk]) == 0


def test_merging_sources_names_the_kept_source_in_the_moved_quotes_entries(
    stream_a, source, django_capture_on_commit_callbacks
):
    duplicate = factories.SourceFactory(name="Amnesty (dup)")
    with django_capture_on_commit_callbacks(execute=True):
        entry = factories.EntryFactory(stream=stream_a, quotes=[duplicate])

    with django_capture_on_commit_callbacks(execute=True):
        sources_merge(keep=source, duplicates=[duplicate])

    assert "Amnesty International: " in document_of(entry)


def test_seed_demo_writes_documents_for_bulk_entries(db):
    call_command("seed_demo", entries=7, stream="bulk", stdout=StringIO(), stderr=StringIO())

    entries = Entry.objects.filter(stream__slug="bulk")
    assert entries.count() == 7
    for entry in entries:
        written = entry.search_document
        assert written
        entry_search_document_refresh([entry.pk])
        assert document_of(entry) == written


# Queries and snippets ---------------------------------------------------------------------


def test_a_short_query_is_kept_whole():
    assert shortened_query("  flood   harbour ") == ("flood harbour", False)


def test_a_long_query_is_cut_at_a_word():
    query, shortened = shortened_query("word " * 100)

    assert shortened
    assert len(query) <= QUERY_MAX_LENGTH
    assert query.endswith("word")


def test_a_long_query_without_spaces_is_cut_at_the_limit():
    assert shortened_query("x" * 500) == ("x" * QUERY_MAX_LENGTH, True)


def test_the_plain_snippet_escapes_then_marks():
    snippet = plain_snippet("Title\n<b>bold</b> & the needle <i>", ["needle"])

    assert snippet == "Title · &lt;b&gt;bold&lt;/b&gt; &amp; the <mark>needle</mark> &lt;i&gt;"


def test_the_plain_snippet_starts_near_a_match_far_into_the_text():
    document = "start " + "filler " * 200 + "needle " + "tail " * 200

    snippet = plain_snippet(document, ["needle"])

    assert snippet.startswith("… ")
    assert snippet.endswith(" …")
    assert "<mark>needle</mark>" in snippet
    assert len(snippet) < 400


def test_the_plain_snippet_marks_the_whole_word_a_match_is_part_of():
    snippet = plain_snippet("Russians and Russia; unRussian", ["russia"])

    assert snippet == "<mark>Russians</mark> and <mark>Russia</mark>; <mark>unRussian</mark>"


def test_an_untitled_heading_never_ends_in_punctuation_before_its_ellipsis():
    document = "One two three four five six seven eight nine ten eleven twelve. Thirteen."

    assert untitled_heading(document) == (
        "One two three four five six seven eight nine ten eleven twelve…"
    )
    assert untitled_heading("Shelling, resumed, at, dawn, again", words=3) == (
        "Shelling, resumed, at…"
    )


def test_an_untitled_heading_is_the_first_line_whole_when_short():
    document = "Shelling resumed.\nAmnesty International: Quoted text from Amnesty."

    assert untitled_heading(document) == "Shelling resumed."


def test_an_untitled_heading_of_nothing_is_empty():
    assert untitled_heading("") == ""


def test_the_headline_is_escaped_and_only_its_selectors_become_marks():
    headline = "a <script>x</script> \x02needle\x03 <mark>fake</mark>"

    assert headline_html(headline) == (
        "a &lt;script&gt;x&lt;/script&gt; <mark>needle</mark> &lt;mark&gt;fake&lt;/mark&gt;"
    )


# PostgreSQL -------------------------------------------------------------------------------


@postgresql_only
def test_an_entry_with_the_term_in_title_and_text_ranks_first(stream_a):
    once = factories.EntryFactory(
        stream=stream_a, title="Harbour news", text="<p>The ferry was late at dawn.</p>"
    )
    twice = factories.EntryFactory(
        stream=stream_a, title="Ferry sinks", text="<p>The ferry sank near the harbour.</p>"
    )
    entry_search_document_refresh([once.pk, twice.pk])

    found = list(entries_matching(Entry.objects.all(), "ferry").values_list("pk", flat=True))

    assert found == [twice.pk, once.pk]


@postgresql_only
def test_the_headline_marks_stemmed_matches_and_escapes_the_text(stream_a):
    entry = factories.EntryFactory(
        stream=stream_a, title="Talks: 2 > 1 & <3", text="<p>Negotiators talked for hours.</p>"
    )
    entry_search_document_refresh([entry.pk])

    found = entries_matching(Entry.objects.all(), "talking").get()
    html = headline_html(found.headline)

    assert "<mark>Talks</mark>: 2 &gt; 1 &amp; &lt;3" in html
    assert "<mark>talked</mark>" in html


@postgresql_only
@pytest.mark.parametrize("query", ['"foo" -bar OR baz & | ! ( ) : * \\', "!", "&", "-", "or"])
def test_websearch_syntax_never_errors(stream_a, query):
    factories.EntryFactory(stream=stream_a, title="Foo baz")

    list(entries_matching(Entry.objects.all(), query))


@postgresql_only
def test_the_search_uses_the_gin_index(stream_a):
    # Enough rows, and fresh statistics, for the planner to weigh the index as it would
    # in production; few entries match, as with most searches.
    Entry.objects.bulk_create(
        Entry(
            stream=stream_a,
            title=f"Filler {n}",
            status=Entry.Status.PUBLISHED,
            published_at=NOW,
            search_document=f"Filler {n}\nOrdinary words about the weather and markets.",
        )
        for n in range(3000)
    )
    factories.EntryFactory(stream=stream_a, title="Needle")
    query = entries_matching(Entry.objects.listed_for(None), "needle")[:20]
    sql, params = query.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE streams_entry")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "entry_search_idx" in plan, plan


@postgresql_only
def test_the_migration_built_the_gin_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'entry_search_idx'")
        (definition,) = cursor.fetchone()

    assert "USING gin" in definition
    assert "to_tsvector('english'::regconfig" in definition
