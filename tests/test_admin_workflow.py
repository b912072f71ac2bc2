"""The entry form's buttons: drafts, review, publishing, scheduling, corrections, history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains
from reversion.models import Version

from streams import services
from streams.models import Block, Entry, Source
from tests import factories
from tests.admin_forms import entry_form
from tests.fixtures_pages import NOW, frozen
from tests.test_images import encoded, halves, upload

ADD_URL = reverse("admin:streams_entry_add")
CHANGELIST = reverse("admin:streams_entry_changelist")


def change_url(entry: Entry) -> str:
    return reverse("admin:streams_entry_change", args=[entry.pk])


def edit_form(entry: Entry, action="save", **fields):
    """The change form of ``entry`` as the browser sends it back, with ``fields`` changed."""
    blocks = list(entry.blocks.all())
    data = {
        "stream": entry.stream_id,
        "title": entry.title,
        "based_on_revision": entry.revision,
        "_action": action,
        "blocks-TOTAL_FORMS": len(blocks),
        "blocks-INITIAL_FORMS": len(blocks),
        "bylines-TOTAL_FORMS": 0,
        "bylines-INITIAL_FORMS": 0,
    }
    if entry.published_at:
        local = entry.published_at
        data["published_at_0"] = local.strftime("%Y-%m-%d")
        data["published_at_1"] = local.strftime("%H:%M:%S")
    for i, block in enumerate(blocks):
        data.update(
            {
                f"blocks-{i}-id": block.pk,
                f"blocks-{i}-entry": entry.pk,
                f"blocks-{i}-position": block.position,
                f"blocks-{i}-kind": block.kind,
                f"blocks-{i}-body": block.body,
                f"blocks-{i}-source": block.source_id or "",
                f"blocks-{i}-cited_url": block.cited_url,
            }
        )
    data.update(fields)
    return data


def png(name: str = "photo.png"):
    return upload(encoded(halves((640, 400)), "PNG"), name)


# Writers --------------------------------------------------------------------------------


def test_writer_gets_save_draft_and_submit_buttons_but_no_publish(client_as, writer_a, stream_a):
    response = client_as(writer_a).get(ADD_URL)
    assertContains(response, "Save draft")
    assertContains(response, "Submit for review")
    assertNotContains(response, "Publish now")
    assertNotContains(response, 'value="schedule"')


def test_editor_gets_publish_and_schedule_buttons(client_as, editor_a, stream_a):
    response = client_as(editor_a).get(ADD_URL)
    assertContains(response, "Publish now")
    assertContains(response, 'value="schedule"')


def test_writer_submits_a_draft_for_review(client_as, writer_a, stream_a):
    data = entry_form(stream_a, blocks=[{"body": "<p>Amnesty reports:</p>"}], action="submit")
    response = client_as(writer_a).post(ADD_URL, data)
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.created_by == writer_a
    assert entry.submitted_by == writer_a


def test_writers_forged_publish_is_refused_and_nothing_saved(client_as, writer_a, stream_a):
    data = entry_form(stream_a, blocks=[{"body": "<p>x</p>"}], action="publish")
    response = client_as(writer_a).post(ADD_URL, data)
    assert response.status_code == 200
    assertContains(response, "Only an editor of")
    assert not Entry.objects.exists()


def test_writers_forged_status_is_ignored(client_as, writer_a, stream_a):
    data = entry_form(
        stream_a,
        blocks=[{"body": "<p>x</p>"}],
        status="published",
        pinned="on",
        published_at_0="2015-12-23",
        published_at_1="14:05:00",
    )
    client_as(writer_a).post(ADD_URL, data)
    entry = Entry.objects.get()
    assert (entry.status, entry.pinned, entry.published_at) == (Entry.Status.DRAFT, False, None)


def test_writer_cannot_change_their_entry_once_published(client_as, writer_a, stream_a):
    entry = factories.EntryFactory(stream=stream_a, created_by=writer_a)
    client = client_as(writer_a)
    page = client.get(change_url(entry))
    assert page.status_code == 200
    assertNotContains(page, "Save changes")
    response = client.post(change_url(entry), edit_form(entry, title="Rewritten"))
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.title != "Rewritten"


def test_writer_cannot_change_another_writers_draft(client_as, writer_a, editor_a, stream_a):
    entry = factories.EntryFactory(
        stream=stream_a, created_by=editor_a, status=Entry.Status.DRAFT, published_at=None
    )
    response = client_as(writer_a).post(change_url(entry), edit_form(entry, title="Mine now"))
    assert response.status_code == 403


def test_save_draft_stays_on_the_entry(client_as, editor_a, stream_a):
    response = client_as(editor_a).post(ADD_URL, entry_form(stream_a, [{"body": "<p>x</p>"}]))
    entry = Entry.objects.get()
    assert response["Location"] == change_url(entry)
    assert entry.status == Entry.Status.DRAFT


# Publishing and scheduling ----------------------------------------------------------------


def test_editor_publishes_a_submitted_entry(client_as, editor_a, writer_a, stream_a):
    entry = factories.EntryFactory(
        stream=stream_a, created_by=writer_a, status=Entry.Status.SUBMITTED, published_at=None
    )
    client = client_as(editor_a)
    assertContains(client.get(change_url(entry)), "Publish now")
    response = client.post(change_url(entry), edit_form(entry, action="publish"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.PUBLISHED
    assertContains(client.get(stream_a.get_absolute_url()), entry.title)


def test_scheduled_entry_appears_at_its_time(client_as, editor_a, stream_a):
    with frozen(NOW):
        data = entry_form(
            stream_a,
            [{"body": "<p>Later</p>"}],
            action="schedule",
            title="At seven",
            published_at_0="2015-12-23",
            published_at_1="19:00:00",
        )
        response = client_as(editor_a).post(ADD_URL, data)
        assert response.status_code == 302
        entry = Entry.objects.get()
        assert entry.status == Entry.Status.SCHEDULED
        assertNotContains(client_as(editor_a).get(stream_a.get_absolute_url()), "At seven")
    with frozen(NOW + timedelta(hours=1, minutes=1)):
        assertContains(client_as(editor_a).get(stream_a.get_absolute_url()), "At seven")


def test_scheduling_in_the_past_is_refused(client_as, editor_a, stream_a):
    with frozen(NOW):
        data = entry_form(
            stream_a,
            [{"body": "<p>x</p>"}],
            action="schedule",
            published_at_0="2015-12-23",
            published_at_1="17:00:00",
        )
        response = client_as(editor_a).post(ADD_URL, data)
    assertContains(response, "pick a publish time in the future")
    assert not Entry.objects.exists()


def test_publishing_without_blocks_is_refused_and_nothing_saved(client_as, editor_a, stream_a):
    response = client_as(editor_a).post(ADD_URL, entry_form(stream_a, [], action="publish"))
    assertContains(response, "An entry needs at least one block")
    assert not Entry.objects.exists()


def test_publishing_a_quote_without_source_is_refused(client_as, editor_a, stream_a):
    data = entry_form(stream_a, [{"kind": "quote", "body": "<p>Claim</p>"}], action="publish")
    response = client_as(editor_a).post(ADD_URL, data)
    assertContains(response, "A quote needs a source")
    assert not Entry.objects.exists() and not Block.objects.exists()


def test_publishing_an_image_without_alt_text_is_refused(client_as, editor_a, stream_a):
    data = entry_form(stream_a, [{"kind": "image", "upload": png()}], action="publish")
    response = client_as(editor_a).post(ADD_URL, data)
    assertContains(response, "alt text is required")
    assert not Entry.objects.exists() and not Block.objects.exists()


def test_image_block_is_uploaded_reencoded_and_previewed(client_as, editor_a, stream_a):
    data = entry_form(
        stream_a,
        [{"kind": "image", "upload": png(), "alt_text": "Aleppo", "caption": "A street"}],
        action="publish",
    )
    response = client_as(editor_a).post(ADD_URL, data)
    assert response.status_code == 302
    block = Block.objects.get()
    assert block.image.name.endswith(".webp")
    assert block.image_width == 480  # the largest standard width that fits 640 pixels
    assertContains(client_as(editor_a).get(change_url(block.entry)), block.image.url)


def test_a_file_that_is_not_an_image_is_refused_in_words(client_as, editor_a, stream_a):
    bogus = upload(b"<?php echo 1; ?>", "photo.png")
    data = entry_form(stream_a, [{"kind": "image", "upload": bogus, "alt_text": "x"}])
    response = client_as(editor_a).post(ADD_URL, data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["upload"]
    assert not Entry.objects.exists()


def test_a_refusal_by_the_service_rolls_everything_back(client_as, editor_a, stream_a, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError("The wire desk says no.")

    monkeypatch.setattr(services, "entry_publish", refuse)
    data = entry_form(stream_a, [{"body": "<p>x</p>"}], action="publish", title="Kept input")
    response = client_as(editor_a).post(ADD_URL, data)
    assert response.status_code == 200
    assertContains(response, "The wire desk says no.")
    assertContains(response, 'value="Kept input"')
    assert not Entry.objects.exists() and not Block.objects.exists()
    assert not Version.objects.exists()


# Corrections and history ------------------------------------------------------------------


def test_editing_a_published_entry_records_a_public_correction(client_as, editor_a, stream_a):
    with frozen(NOW - timedelta(hours=2)):
        entry = factories.EntryFactory(stream=stream_a, created_by=editor_a)
    client = client_as(editor_a)
    with frozen(NOW):
        assertContains(client.get(change_url(entry)), "Correction note (shown publicly)")
        data = edit_form(entry, **{"blocks-0-body": "<p>Fixed figure: 12.</p>"})
        data["correction"] = "The casualty figure was corrected."
        response = client.post(change_url(entry), data)
        assert response.status_code == 302
        entry.refresh_from_db()
        assert entry.updated_at == NOW
        assert entry.correction_note == "The casualty figure was corrected."
        page = client.get(entry.get_absolute_url())
    assertContains(page, "The casualty figure was corrected.")
    assertContains(page, "Fixed figure: 12.")


def test_saving_an_edit_keeps_the_publish_time_to_the_microsecond(client_as, editor_a, stream_a):
    published_at = NOW - timedelta(hours=2, microseconds=-123_456)
    entry = factories.EntryFactory(stream=stream_a, published_at=published_at)
    assert entry.published_at.microsecond == 123_456

    with frozen(NOW):
        response = client_as(editor_a).post(
            change_url(entry), edit_form(entry, **{"blocks-0-body": "<p>Fixed.</p>"})
        )

    assert response.status_code == 302
    entry.refresh_from_db()
    # Otherwise it would move behind entries published later in the same second.
    assert entry.published_at == published_at


def test_a_publish_time_changed_in_the_form_is_saved(client_as, editor_a, stream_a):
    entry = factories.EntryFactory(stream=stream_a, published_at=NOW - timedelta(hours=2))
    data = edit_form(entry)
    data["published_at_1"] = (NOW - timedelta(hours=3)).strftime("%H:%M:%S")

    with frozen(NOW):
        client_as(editor_a).post(change_url(entry), data)

    entry.refresh_from_db()
    assert entry.published_at == (NOW - timedelta(hours=3)).replace(microsecond=0)


def test_revision_history_lists_the_change_with_its_author(client_as, editor_a, stream_a):
    client = client_as(editor_a)
    client.post(ADD_URL, entry_form(stream_a, [{"body": "<p>First</p>"}], title="Draft"))
    entry = Entry.objects.get()
    client.post(change_url(entry), edit_form(entry, action="draft", title="Second title"))
    versions = Version.objects.get_for_object(entry)
    assert len(versions) == 2
    assert versions[0].revision.user == editor_a
    history = client.get(reverse("admin:streams_entry_history", args=[entry.pk]))
    assertContains(history, "editor-a@example.org")
    old = versions[1]
    revision = client.get(reverse("admin:streams_entry_revision", args=[entry.pk, old.pk]))
    assert revision.status_code == 200
    assertContains(revision, 'value="Draft"')


# The list --------------------------------------------------------------------------------


def test_changelist_queries_do_not_grow_with_rows(
    client_as, editor_a, stream_a, source, django_assert_max_num_queries
):
    client = client_as(editor_a)
    factories.EntryFactory(stream=stream_a, quotes=[source], bylines=["Guest", "Other"])
    client.get(CHANGELIST)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(CHANGELIST)
    for _ in range(10):
        factories.EntryFactory(stream=stream_a, quotes=[source], bylines=["Guest", "Other"])
    with django_assert_max_num_queries(len(few)):
        response = client.get(CHANGELIST)
    assertContains(response, "Guest, Other")


def test_pin_action_pins_and_unpins(client_as, editor_a, stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    client = client_as(editor_a)
    client.post(CHANGELIST, {"action": "pin", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.pinned
    client.post(CHANGELIST, {"action": "unpin", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert not entry.pinned


def test_publish_action_explains_a_refusal(client_as, editor_a, stream_a):
    entry = Entry.objects.create(stream=stream_a, title="Empty", created_by=editor_a)
    response = client_as(editor_a).post(
        CHANGELIST, {"action": "publish_now", "_selected_action": [entry.pk]}, follow=True
    )
    assertContains(response, "at least one block")
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DRAFT


def test_list_filters_offer_only_the_editors_streams(client_as, editor_a, stream_a, stream_b):
    response = client_as(editor_a).get(CHANGELIST)
    assertContains(response, "Syria: December 23")
    assertNotContains(response, "Flood watch")


def test_search_finds_entries_by_block_text(client_as, editor_a, stream_a):
    factories.EntryFactory(stream=stream_a, title="One", text="<p>Sputnik reports</p>")
    factories.EntryFactory(stream=stream_a, title="Two", text="<p>Nothing</p>")
    response = client_as(editor_a).get(CHANGELIST, {"q": "sputnik"})
    assert [str(e) for e in response.context["cl"].result_list] == ["One"]


# Sources ---------------------------------------------------------------------------------


def test_editor_merges_duplicate_sources_keeping_the_chosen_one(client_as, editor_a, stream_a):
    keep = factories.SourceFactory(name="Amnesty International")
    duplicate = factories.SourceFactory(name="Amnesty Intl")
    entry = factories.EntryFactory(stream=stream_a, quotes=[duplicate])
    client = client_as(editor_a)
    url = reverse("admin:streams_source_changelist")
    chosen = {"action": "merge", "_selected_action": [keep.pk, duplicate.pk]}
    page = client.post(url, chosen)
    assertContains(page, "Keep this source")
    response = client.post(url, {**chosen, "keep": keep.pk})
    assert response.status_code == 302
    assert list(Source.objects.all()) == [keep]
    assert entry.blocks.get(kind="quote").source == keep


# Streams ---------------------------------------------------------------------------------


def test_stream_list_shows_counts_and_a_link_to_the_site(client_as, editor_a, stream_a):
    factories.EntryFactory(stream=stream_a)
    response = client_as(editor_a).get(reverse("admin:streams_stream_changelist"))
    assertContains(response, stream_a.get_absolute_url())
    assert response.context["cl"].result_list[0].entry_count == 1


@pytest.mark.parametrize(("action", "status"), [("end_streams", "ended")])
def test_stream_actions_call_the_services(client_as, editor_a, stream_a, action, status):
    client_as(editor_a).post(
        reverse("admin:streams_stream_changelist"),
        {"action": action, "_selected_action": [stream_a.pk]},
    )
    stream_a.refresh_from_db()
    assert stream_a.status == status
