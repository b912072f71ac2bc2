"""'What changed': an entry's published versions and their word diffs (streams.changes)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from reversion.models import Revision, Version

from streams import changes, services
from streams.changes import Paragraph, block_paragraphs, paragraphs_diff, word_diff
from streams.models import Block, Entry, Stream
from tests import factories
from tests.admin_forms import entry_form
from tests.fixtures_pages import NOW, content, frozen

T1, T2, T3, T4, T5 = (NOW - timedelta(hours=hours) for hours in (5, 4, 3, 2, 1))


def changes_url(entry: Entry) -> str:
    return reverse("streams:entry_changes", kwargs={"slug": entry.stream.slug, "pk": entry.pk})


def text(body: str) -> services.TextBlock:
    return services.TextBlock(f"<p>{body}</p>")


def publish(stream: Stream, by, *blocks, title: str = "Strikes on Aleppo") -> Entry:
    return services.entry_compose(
        stream=stream, by=by, action="publish", blocks=list(blocks), title=title
    )


def correct(entry: Entry, by, *blocks, note: str = "", title: str | None = None) -> Entry:
    entry = Entry.objects.get(pk=entry.pk)
    return services.entry_compose(
        stream=entry.stream,
        by=by,
        action="save",
        entry=entry,
        expected_revision=entry.revision,
        blocks=list(blocks),
        title=entry.title if title is None else title,
        correction=note,
    )


@pytest.fixture
def corrected(stream_a, editor_a, source):
    """Published at T1 with a quote, corrected at T2 with a public note."""
    quote = services.QuoteBlock(source=source, body="<p>We counted the dead.</p>")
    with frozen(T1):
        entry = publish(stream_a, editor_a, text("Russian strikes killed 10 civilians."), quote)
    with frozen(T2):
        correct(
            entry,
            editor_a,
            text("Russian strikes killed 12 civilians."),
            quote,
            note="The toll was 12, not 10.",
        )
    entry.refresh_from_db()
    return entry


# The word diff ----------------------------------------------------------------------------


def test_an_inserted_word_is_marked_as_added():
    assert word_diff("strikes killed civilians", "strikes killed 12 civilians") == (
        'strikes killed <ins><span class="visually-hidden">added: </span>12</ins> civilians'
    )


def test_a_deleted_word_is_marked_as_removed():
    assert word_diff("strikes killed many civilians", "strikes killed civilians") == (
        'strikes killed <del><span class="visually-hidden">removed: </span>many</del> civilians'
    )


def test_a_replaced_word_is_removed_then_added():
    assert word_diff("killed 10 civilians", "killed 12 civilians") == (
        'killed <del><span class="visually-hidden">removed: </span>10</del> '
        '<ins><span class="visually-hidden">added: </span>12</ins> civilians'
    )


def test_unchanged_text_comes_back_as_it_was():
    assert word_diff("Amnesty reports: nothing new.", "Amnesty reports: nothing new.") == (
        "Amnesty reports: nothing new."
    )


def test_markup_in_the_text_is_escaped_never_rendered():
    diff = word_diff("1 < 2 & fine", "1 < 2 & <script>alert(1)</script> fine")

    assert "<script>" not in diff
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in diff
    assert diff.startswith("1 &lt; 2 &amp; ")


def test_cyrillic_and_arabic_words_are_compared_as_words():
    assert word_diff("Россия нанесла удар", "Россия нанесла два удара") == (
        'Россия нанесла <del><span class="visually-hidden">removed: </span>удар</del> '
        '<ins><span class="visually-hidden">added: </span>два удара</ins>'
    )
    assert '<ins><span class="visually-hidden">added: </span>جديد</ins>' in word_diff(
        "قصف حلب", "قصف جديد حلب"
    )


def test_chinese_is_compared_character_by_character():
    assert word_diff("俄罗斯空袭", "俄罗斯再次空袭") == (
        '俄罗斯<ins><span class="visually-hidden">added: </span>再次</ins>空袭'
    )


def test_long_unchanged_stretches_keep_only_the_words_next_to_the_change():
    words = [f"w{n}" for n in range(200)]
    changed = [*words[:100], "NEW", *words[100:]]

    diff = word_diff(" ".join(words), " ".join(changed))

    assert "NEW</ins>" in diff
    assert "w99" in diff and "w100" in diff
    assert "w0 " not in diff and "w199" not in diff
    assert diff.startswith("…") and diff.endswith("…")


def test_paragraphs_added_and_removed_are_whole_and_unchanged_ones_are_counted():
    old = [Paragraph("title", "Title"), *(Paragraph("text", f"Same {n}.") for n in range(4))]
    new = [*old, Paragraph("text", "A new paragraph.")]
    new.remove(Paragraph("text", "Same 0."))

    rows = paragraphs_diff(old, new)

    states = [row.state for row in rows]
    assert states == ["context", "removed", "context", "same", "context", "added"]
    assert "removed: </span>Same 0.</del>" in rows[1].html
    assert rows[3].count == 1


def test_a_quote_is_labelled_with_its_source_and_a_translation_with_its_language():
    fields = {
        "kind": "quote",
        "source": 7,
        "body": "<p>First.</p><p>Second &amp; last.</p>",
        "original": "<p>Первый.</p>",
        "original_language": "ru",
    }

    paragraphs = block_paragraphs(fields, {7: "Sputnik"})

    assert paragraphs == [
        Paragraph("source", "Sputnik reports:"),
        Paragraph("quote", "First."),
        Paragraph("quote", "Second & last."),
        Paragraph("source", "Original (Russian):"),
        Paragraph("original", "Первый."),
    ]


def test_old_or_unknown_blocks_give_what_words_they_have():
    deleted_source = {"kind": "quote", "source": 999, "cited_url": "https://www.tass.ru/a/1"}
    assert block_paragraphs(deleted_source, {})[0] == Paragraph("source", "tass.ru reports:")
    assert block_paragraphs({"kind": "poll", "body": "<p>Which?</p>"}, {}) == [
        Paragraph("text", "Which?")
    ]
    assert block_paragraphs({"kind": "embed"}, {}) == [Paragraph("embed", "Embedded: a post")]
    assert block_paragraphs({"kind": None, "body": 12}, {}) == []


# The page -----------------------------------------------------------------------------------


def test_a_corrected_entry_shows_both_versions_the_change_and_the_note(client, corrected):
    with frozen(T3):
        response = client.get(changes_url(corrected))

    assert response.status_code == 200
    page = content(response)
    assert "<h1>Strikes on Aleppo</h1>" in page
    assertContains(
        response,
        'Russian strikes killed <del><span class="visually-hidden">removed: </span>10</del> '
        '<ins><span class="visually-hidden">added: </span>12</ins> civilians.',
    )
    assertContains(response, "<strong>Correction note (new):</strong> The toll was 12, not 10.")
    # Newest first: the correction, then the entry as first published, quote and all.
    assert page.index("Updated") < page.index("First published")
    assertContains(response, "The entry as first published")
    assertContains(response, "Amnesty International reports:")
    assertContains(response, f'datetime="{T2.isoformat(timespec="milliseconds")[:-6]}Z"')
    assertContains(response, "noindex")


@pytest.mark.parametrize("persona", [None, "member", "editor_b"])
def test_every_reader_may_see_the_changes_of_a_public_entry(
    client_as, client, corrected, persona, request
):
    reader = client if persona is None else client_as(request.getfixturevalue(persona))

    assert reader.get(changes_url(corrected)).status_code == 200


def test_drafts_and_withdrawn_schedules_between_published_versions_never_show(
    client, stream_a, editor_a
):
    with frozen(T1):
        entry = publish(stream_a, editor_a, text("Original words."))
    with frozen(T2):
        services.entry_unpublish(entry=Entry.objects.get(pk=entry.pk), by=editor_a)
    with frozen(T3):
        entry = Entry.objects.get(pk=entry.pk)
        services.entry_compose(
            stream=stream_a, by=editor_a, action="draft", entry=entry,
            blocks=[text("SECRET draft words.")], title="Strikes on Aleppo",
        )  # fmt: skip
    with frozen(T4):
        entry = Entry.objects.get(pk=entry.pk)
        services.entry_compose(
            stream=stream_a, by=editor_a, action="schedule", entry=entry, at=NOW,
            blocks=[text("FUTURE scheduled words.")], title="Strikes on Aleppo",
        )  # fmt: skip
    with frozen(T5):
        entry = Entry.objects.get(pk=entry.pk)
        services.entry_compose(
            stream=stream_a, by=editor_a, action="publish", entry=entry,
            blocks=[text("Corrected words.")], title="Strikes on Aleppo",
        )  # fmt: skip
        response = client.get(changes_url(entry))

    assert response.status_code == 200
    assertContains(response, "Original")
    assertContains(response, "Corrected")
    assertNotContains(response, "SECRET")
    assertNotContains(response, "FUTURE")
    assert content(response).count('class="change"') == 2


def test_an_entry_never_published_has_no_changes_page(client, stream_a, editor_a):
    with frozen(T1):
        entry = services.entry_compose(
            stream=stream_a, by=editor_a, action="draft", blocks=[text("First draft.")]
        )
    with frozen(T2):
        services.entry_compose(
            stream=stream_a, by=editor_a, action="draft", entry=Entry.objects.get(pk=entry.pk),
            blocks=[text("Second draft.")],
        )  # fmt: skip
        response = client.get(changes_url(entry))

    assert response.status_code == 404
    assertNotContains(response, "draft.", status_code=404)


def test_an_entry_readers_had_in_one_version_only_has_no_changes_page(client, stream_a, editor_a):
    with frozen(T1):
        entry = publish(stream_a, editor_a, text("Only version."))
    with frozen(T2):
        # Pinning changes nothing a reader reads.
        services.entry_pin(entry=Entry.objects.get(pk=entry.pk), pinned=True, by=editor_a)
        response = client.get(changes_url(entry))
        stream_page = client.get(stream_a.get_absolute_url())

    assert response.status_code == 404
    assertNotContains(stream_page, "What changed")


def test_an_unknown_entry_or_another_streams_entry_is_a_404(client, corrected, stream_b):
    url = reverse("streams:entry_changes", kwargs={"slug": stream_b.slug, "pk": corrected.pk})

    assert client.get(url).status_code == 404
    assert (
        client.get(changes_url(corrected).replace(str(corrected.pk), "999999")).status_code == 404
    )


def test_an_unpublished_entry_shows_no_history_even_if_it_had_one(client, corrected, editor_a):
    with frozen(T3):
        services.entry_unpublish(entry=corrected, by=editor_a)
        assert client.get(changes_url(corrected)).status_code == 404


def test_members_only_changes_ask_anonymous_readers_to_sign_in(
    client, client_as, member, corrected
):
    Stream.objects.filter(pk=corrected.stream_id).update(visibility=Stream.Visibility.MEMBERS)

    response = client.get(changes_url(corrected))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    signed_in = client_as(member).get(changes_url(corrected))
    assert signed_in.status_code == 200
    assert "private" in signed_in["Cache-Control"]


def test_a_very_long_entry_keeps_a_bounded_readable_diff(client, stream_a, editor_a):
    # 9000 words in three blocks: one block holds at most RICH_TEXT_MAX_LENGTH characters.
    thirds = [" ".join(f"word{n}" for n in range(k, k + 3000)) for k in (0, 3000, 6000)]
    with frozen(T1):
        entry = publish(stream_a, editor_a, *(text(third) for third in thirds))
    with frozen(T2):
        correct(
            entry,
            editor_a,
            text("CORRECTED " + thirds[0]),
            *(text(third) for third in thirds[1:]),
            note="A word added.",
        )
        response = client.get(changes_url(entry))

    assert response.status_code == 200
    assertContains(response, "added: </span>CORRECTED</ins>")
    assertContains(response, "only its first 4000 words are compared")
    assertNotContains(response, "word8999")
    # The first version at most 4000 words; the change itself a few words of context.
    assert len(response.content) < 120_000


# Old versions -------------------------------------------------------------------------------


def _stored_version(revision: Revision, obj_model, object_id: int, fields: dict, fmt="json"):
    Version.objects.create(
        revision=revision,
        object_id=str(object_id),
        content_type=ContentType.objects.get_for_model(obj_model),
        db="default",
        format=fmt,
        serialized_data=json.dumps([{"model": "x", "pk": object_id, "fields": fields}]),
        object_repr="old",
    )


def test_versions_from_before_block_kinds_or_with_deleted_sources_render(client, stream_a):
    with frozen(T1):
        entry = factories.EntryFactory(stream=stream_a, title="Now", published_at=T1)
    entry_fields = {
        "stream": stream_a.pk,
        "status": "published",
        "published_at": "2015-12-23T13:00:00Z",
    }
    first = Revision.objects.create(date_created=T1)
    # As the admin stored them before the save counter was left out: unreadable to reversion.
    _stored_version(
        first,
        Entry,
        entry.pk,
        {**entry_fields, "title": "Then", "revision": "F(revision) + Value(1)"},
    )
    _stored_version(
        first,
        Block,
        9001,
        {"entry": entry.pk, "position": 0, "kind": "text", "body": "<p>Old words.</p>"},
    )
    _stored_version(
        first,
        Block,
        9002,
        {
            "entry": entry.pk,
            "position": 1,
            "kind": "quote",
            "source": 424242,
            "cited_url": "https://sputniknews.com/a",
            "body": "<p>Claimed.</p>",
        },
    )
    _stored_version(
        first,
        Block,
        9003,
        {"entry": entry.pk, "position": 2, "kind": "poll", "body": "<p>Who is right?</p>"},
    )
    garbled = Revision.objects.create(date_created=T1 + timedelta(minutes=1))
    _stored_version(garbled, Entry, entry.pk, {}, fmt="xml")
    second = Revision.objects.create(date_created=T2)
    _stored_version(
        second, Entry, entry.pk, {**entry_fields, "title": "Now", "correction_note": "Retitled."}
    )
    _stored_version(
        second,
        Block,
        9001,
        {"entry": entry.pk, "position": 0, "kind": "text", "body": "<p>New words.</p>"},
    )
    _stored_version(
        second,
        Block,
        9002,
        {
            "entry": entry.pk,
            "position": 1,
            "kind": "quote",
            "source": 424242,
            "cited_url": "https://sputniknews.com/a",
            "body": "<p>Claimed.</p>",
        },
    )
    _stored_version(
        second,
        Block,
        77,
        {
            "entry": entry.pk + 1,
            "position": 0,
            "kind": "text",
            "body": "<p>Another entry's words.</p>",
        },
    )

    with frozen(T3):
        response = client.get(changes_url(entry))

    assert response.status_code == 200
    assertContains(response, "removed: </span>Then</del>")
    assertContains(response, "removed: </span>Old</del>")
    assertContains(response, "sputniknews.com reports:")
    assertContains(response, "removed: </span>Who is right?</del>")
    assertContains(response, "Retitled.")
    assertNotContains(response, "Another entry")


# Recording: the desk, the admin and the services --------------------------------------------


def _revision_shape(revision: Revision) -> set[str]:
    return {version.content_type.model for version in revision.version_set.all()}


def test_the_desk_records_a_revision_with_the_entrys_blocks_and_bylines(
    client_as, editor_a, stream_a
):
    from tests.test_desk import compose, desk_url

    data = compose(blocks=[{"body": "<p>From the desk.</p>"}], title="Desk")
    data["bylines"] = ["n:Guest Writer"]
    client_as(editor_a).post(desk_url(stream_a), data)

    entry = Entry.objects.get()
    version = Version.objects.get_for_object(entry).get()
    assert version.revision.user == editor_a
    assert version.revision.comment == "Published"
    assert _revision_shape(version.revision) == {"entry", "block", "byline"}
    assert version.field_dict["title"] == "Desk"


def test_the_admin_records_the_same_shape_and_both_feed_the_history(client_as, editor_a, stream_a):
    from tests.test_admin_workflow import ADD_URL, change_url, edit_form

    client = client_as(editor_a)
    with frozen(T1):
        client.post(
            ADD_URL,
            entry_form(
                stream_a, [{"body": "<p>From the admin.</p>"}], [{"name": "Guest"}],
                action="publish", title="Admin",
            ),
        )  # fmt: skip
    entry = Entry.objects.get()
    with frozen(T2):
        data = edit_form(entry, **{"blocks-0-body": "<p>From the admin, fixed.</p>"})
        data["correction"] = "Fixed in the admin."
        assert client.post(change_url(entry), data).status_code == 302

    versions = list(Version.objects.get_for_object(entry).order_by("pk"))
    assert len(versions) == 2
    assert _revision_shape(versions[0].revision) == {"entry", "block", "byline"}
    # Readable through reversion too: the save counter is no longer in versions.
    assert versions[-1].field_dict["correction_note"] == "Fixed in the admin."
    entry.refresh_from_db()
    assert entry.changes_shown_from == T2
    with frozen(T3):
        response = client.get(changes_url(entry))
    assertContains(
        response,
        'admin<ins><span class="visually-hidden">added: </span>, fixed</ins>.',
    )


def test_an_entry_without_history_is_kept_as_readers_had_it_before_its_first_correction(
    client, client_as, editor_a, stream_a
):
    from tests.test_admin_workflow import change_url, edit_form

    with frozen(T1):
        entry = factories.EntryFactory(stream=stream_a, title="Legacy", published_at=T1)
    assert not Version.objects.get_for_object(entry).exists()
    with frozen(T2):
        data = edit_form(entry, **{"blocks-0-body": "<p>Writer's text, corrected.</p>"})
        data["correction"] = "Corrected."
        client_as(editor_a).post(change_url(entry), data)
    with frozen(T3):
        response = client.get(changes_url(entry))

    assert response.status_code == 200
    assertContains(response, "added: </span>, corrected</ins>.")
    # Readers may have seen other words before T1's: the page does not claim otherwise.
    assertContains(response, "Earliest version kept")
    assertNotContains(response, "First published")
    baseline = Version.objects.get_for_object(entry).order_by("pk").first()
    assert baseline.revision.comment == changes.BASELINE_COMMENT
    assert baseline.revision.date_created == T1


def test_a_legacy_entry_corrected_on_the_desk_keeps_its_first_version_too(
    client, stream_a, editor_a
):
    with frozen(T1):
        entry = factories.EntryFactory(stream=stream_a, title="Legacy", published_at=T1)
    with frozen(T2):
        correct(entry, editor_a, text("Desk correction."), note="Rewritten.")
    with frozen(T3):
        response = client.get(changes_url(entry))

    assertContains(response, "removed: </span>Writer&#x27;s text</del>")
    assertContains(response, "added: </span>Desk correction</ins>.")


def test_a_legacy_entry_is_kept_once_however_many_corrections_follow(stream_a, editor_a):
    with frozen(T1):
        entry = factories.EntryFactory(stream=stream_a, title="Legacy", published_at=T1)
        draft = factories.EntryFactory(stream=stream_a, status="draft", published_at=None)
    with frozen(T2):
        correct(entry, editor_a, text("First correction."))
        services.entry_pin(entry=draft, pinned=True, by=editor_a)
    with frozen(T3):
        # Each write locks the entry first, so a colleague's correction queues behind this
        # one and finds the history already holding the entry.
        correct(entry, editor_a, text("Second correction."))

    comments = [
        version.revision.comment
        for version in Version.objects.get_for_object(entry).order_by("revision__date_created")
    ]
    assert comments == [
        changes.BASELINE_COMMENT,
        "Updated after publication",
        "Updated after publication",
    ]
    # Nobody ever read the draft: nothing of it is kept as readers' version.
    assert [v.revision.comment for v in Version.objects.get_for_object(draft)] == [
        "Pinned or unpinned as a key event"
    ]


def test_services_called_on_their_own_record_who_did_what(stream_a, editor_a):
    with frozen(T1):
        entry = services.entry_create(
            stream=stream_a, blocks=[text("Created.")], bylines=["Guest"], created_by=editor_a
        )
    with frozen(T2):
        services.entry_pin(entry=entry, pinned=True, by=editor_a)

    first, second = Version.objects.get_for_object(entry).order_by("pk")
    assert (first.revision.comment, first.revision.user) == ("Written", editor_a)
    assert _revision_shape(first.revision) == {"entry", "block", "byline"}
    assert second.revision.comment == "Pinned or unpinned as a key event"


# The link ---------------------------------------------------------------------------------


def test_the_link_shows_only_on_entries_whose_page_exists(client, stream_a, corrected):
    noted = factories.EntryFactory(
        stream=stream_a, published_at=T1, correction_note="A note, but no history.",
        updated_at=T2,
    )  # fmt: skip
    with frozen(T3):
        stream_page = client.get(stream_a.get_absolute_url())
        permalink = client.get(corrected.get_absolute_url())
        other = client.get(noted.get_absolute_url())

    link = f'<a href="{changes_url(corrected)}">What changed</a>'
    assertContains(stream_page, link, count=1)
    assertContains(permalink, link, count=1)
    assertContains(permalink, f'<link rel="version-history" href="{changes_url(corrected)}">')
    assertNotContains(other, "What changed")
    assertContains(other, "A note, but no history.")


def test_the_page_opens_when_a_rescheduled_correction_reaches_readers(client, stream_a, editor_a):
    with frozen(T1):
        entry = publish(stream_a, editor_a, text("First."))
    with frozen(T2):
        entry = Entry.objects.get(pk=entry.pk)
        services.entry_compose(
            stream=stream_a, by=editor_a, action="schedule", entry=entry, at=T4,
            blocks=[text("Second.")], title=entry.title,
        )  # fmt: skip
    entry.refresh_from_db()
    assert entry.changes_shown_from == T4

    with frozen(T3):
        assert not Entry.objects.get(pk=entry.pk).shows_changes
        assert client.get(changes_url(entry)).status_code == 404
    with frozen(T5):
        assert Entry.objects.get(pk=entry.pk).shows_changes
        assertContains(client.get(changes_url(entry)), "added: </span>Second</ins>.")


def test_a_stream_page_costs_no_more_queries_with_corrected_entries(
    client, stream_a, editor_a, source
):
    def queries(stream: Stream) -> int:
        with frozen(T3), CaptureQueriesContext(connection) as captured:
            response = client.get(stream.get_absolute_url())
        assert response.status_code == 200
        return len(captured.captured_queries)

    plain = factories.StreamFactory(publisher=stream_a.publisher, slug="plain")
    for _ in range(3):
        factories.EntryFactory(stream=plain, quotes=[source], published_at=T1)
    for n in range(3):
        with frozen(T1):
            entry = publish(stream_a, editor_a, text(f"Entry {n}."))
        with frozen(T2):
            correct(entry, editor_a, text(f"Entry {n}, corrected."), note="Fixed.")

    assert queries(stream_a) == queries(plain)
    with frozen(T3):
        assertContains(client.get(stream_a.get_absolute_url()), "What changed", count=3)


def test_a_correction_opens_the_page_of_its_own_entry_only(stream_a, editor_a):
    with frozen(T1):
        one = publish(stream_a, editor_a, text("One."))
        two = publish(stream_a, editor_a, text("Two."))
    with frozen(T2):
        correct(one, editor_a, text("One, corrected."))

    assert Entry.objects.get(pk=one.pk).changes_shown_from == T2
    assert Entry.objects.get(pk=two.pk).changes_shown_from is None
