"""The editorial services: review, publishing rules, pins, corrections, images, merges, streams."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from pytest_django.asserts import assertContains, assertInHTML

from streams import services
from streams.models import Block, Entry, Source, Stream
from tests import factories
from tests.fixtures_pages import NOW, frozen, minutes_ago
from tests.test_images import encoded, halves, upload

pytestmark = pytest.mark.usefixtures("frozen_clock")


def draft(stream, **kwargs) -> Entry:
    return factories.EntryFactory(
        stream=stream, status=Entry.Status.DRAFT, published_at=None, **kwargs
    )


def photo(size=(1200, 800), name="photo.jpg"):
    return upload(encoded(halves(size), "JPEG"), name)


# Review


def test_writer_submits_a_draft_for_review_and_readers_still_do_not_see_it(stream_a, writer_a):
    entry = draft(stream_a)

    services.entry_submit(entry=entry, by=writer_a)

    entry.refresh_from_db()
    assert entry.status == Entry.Status.SUBMITTED
    assert entry.submitted_by == writer_a
    assert entry.submitted_at == NOW
    assert not entry.is_visible
    assert not Entry.objects.published().exists()


def test_submitted_entry_needs_no_publish_time(stream_a, writer_a):
    entry = draft(stream_a)

    services.entry_submit(entry=entry, by=writer_a)

    entry.refresh_from_db()
    assert entry.published_at is None


def test_a_submitted_entry_with_a_past_publish_time_stays_out_of_sight(stream_a, writer_a):
    entry = draft(stream_a)
    entry.published_at = minutes_ago(10)
    entry.save()

    services.entry_submit(entry=entry, by=writer_a)

    assert not Entry.objects.published().exists()
    assert not entry.is_visible


def test_submitting_twice_is_harmless(stream_a, writer_a):
    entry = draft(stream_a)
    services.entry_submit(entry=entry, by=writer_a)

    services.entry_submit(entry=entry, by=writer_a)

    assert entry.status == Entry.Status.SUBMITTED


def test_a_published_entry_cannot_be_submitted(stream_a, writer_a):
    entry = factories.EntryFactory(stream=stream_a)

    with pytest.raises(ValidationError, match="Only a draft can be submitted for review"):
        services.entry_submit(entry=entry, by=writer_a)


# Publishing


def test_editor_publishes_a_submitted_entry(stream_a, writer_a, editor_a):
    entry = draft(stream_a)
    services.entry_submit(entry=entry, by=writer_a)

    services.entry_publish(entry=entry, by=editor_a)

    entry.refresh_from_db()
    assert entry.status == Entry.Status.PUBLISHED
    assert entry.published_at == NOW
    stream_a.refresh_from_db()
    assert stream_a.last_published_at == NOW


def test_a_writer_cannot_publish(stream_a, writer_a):
    entry = draft(stream_a)

    with pytest.raises(PermissionDenied):
        services.entry_publish(entry=entry, by=writer_a)

    entry.refresh_from_db()
    assert entry.status == Entry.Status.DRAFT


def test_an_editor_of_another_publisher_cannot_publish(stream_a, editor_b):
    with pytest.raises(PermissionDenied):
        services.entry_publish(entry=draft(stream_a), by=editor_b)


def test_a_superuser_may_publish_anywhere(stream_a, superuser):
    entry = services.entry_publish(entry=draft(stream_a), by=superuser)

    assert entry.status == Entry.Status.PUBLISHED


def test_publishing_at_a_future_time_schedules(stream_a, editor_a):
    later = NOW + timedelta(hours=2)

    entry = services.entry_publish(entry=draft(stream_a), by=editor_a, at=later)

    assert entry.status == Entry.Status.SCHEDULED
    assert not Entry.objects.published().exists()
    stream_a.refresh_from_db()
    assert stream_a.last_published_at is None


def test_an_entry_without_blocks_is_not_published(stream_a):
    entry = draft(stream_a)
    entry.blocks.all().delete()

    with pytest.raises(ValidationError) as caught:
        services.entry_publish(entry=entry)

    assert caught.value.messages == [
        "An entry needs at least one block before it can be published."
    ]
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DRAFT


def test_a_quote_without_a_source_is_not_published(stream_a):
    entry = draft(stream_a)
    Block.objects.create(entry=entry, position=1, kind=Block.Kind.QUOTE, body="<p>Q</p>")

    with pytest.raises(ValidationError, match="Block 2 is a quote without a source"):
        services.entry_publish(entry=entry)

    assert not Entry.objects.published().exists()


def test_an_image_without_alt_text_is_not_published(stream_a):
    entry = draft(stream_a)
    block = Block(entry=entry, position=1, kind=Block.Kind.IMAGE)
    services.block_image_store(block=block, upload=photo(), save=True)

    with pytest.raises(ValidationError, match="Block 2 is an image without alt text"):
        services.entry_publish(entry=entry)


def test_every_problem_is_told_at_once(stream_a):
    entry = draft(stream_a)
    Block.objects.create(entry=entry, position=1, kind=Block.Kind.QUOTE, body="<p>Q</p>")
    Block.objects.create(entry=entry, position=2, kind=Block.Kind.IMAGE)

    with pytest.raises(ValidationError) as caught:
        services.entry_publish(entry=entry)

    assert len(caught.value.messages) == 3


def test_unpublish_takes_the_entry_out_of_sight(stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    stream_a.refresh_last_published()

    services.entry_unpublish(entry=entry)

    assert not Entry.objects.published().exists()
    stream_a.refresh_from_db()
    assert stream_a.last_published_at is None


# Pins


def test_pin_and_unpin_a_key_event(stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    services.entry_pin(entry=entry, pinned=True)
    assert Entry.objects.get().pinned

    services.entry_pin(entry=entry, pinned=False)
    assert not Entry.objects.get().pinned


# Corrections


def test_an_edit_of_a_published_entry_bumps_its_updated_time_and_sets_the_note(stream_a):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(60))

    services.entry_record_edit(entry=entry, note="An earlier version misnamed the town.")

    entry.refresh_from_db()
    assert entry.updated_at == NOW
    assert entry.correction_note == "An earlier version misnamed the town."


def test_an_edit_without_a_note_keeps_the_earlier_note(stream_a):
    entry = factories.EntryFactory(
        stream=stream_a, updated_at=minutes_ago(30), correction_note="Earlier note."
    )

    services.entry_record_edit(entry=entry, note="  ")

    entry.refresh_from_db()
    assert entry.updated_at == NOW
    assert entry.correction_note == "Earlier note."


@pytest.mark.parametrize("status", [Entry.Status.DRAFT, Entry.Status.SUBMITTED])
def test_an_edit_of_an_unpublished_entry_is_no_correction(stream_a, status):
    entry = factories.EntryFactory(stream=stream_a, status=status, published_at=None)

    services.entry_record_edit(entry=entry, note="Typo.")

    entry.refresh_from_db()
    assert entry.updated_at is None
    assert entry.correction_note == ""


def test_an_edit_of_an_entry_scheduled_for_later_is_no_correction(stream_a):
    entry = factories.EntryFactory(
        stream=stream_a, status=Entry.Status.SCHEDULED, published_at=NOW + timedelta(hours=1)
    )

    services.entry_record_edit(entry=entry, note="Typo.")

    entry.refresh_from_db()
    assert entry.updated_at is None


def test_the_correction_note_reads_updated_at_a_clock_time(client, stream_a):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(120))
    with frozen(NOW - timedelta(minutes=55)):
        services.entry_record_edit(entry=entry, note="The death toll was corrected.")

    response = client.get(entry.get_absolute_url())

    assertInHTML(
        '<p class="entry__correction"><strong>Updated '
        '<time datetime="2015-12-23T17:05:00.000Z" '
        'title="Wednesday 23 December 2015, 17:05 UTC">17:05</time></strong>'
        " — The death toll was corrected.</p>",
        response.content.decode(),
    )


def test_a_correction_older_than_a_day_gives_its_date(client, stream_a):
    entry = factories.EntryFactory(
        stream=stream_a,
        published_at=minutes_ago(3 * 24 * 60),
        updated_at=minutes_ago(2 * 24 * 60 - 5),
        correction_note="Name corrected.",
    )

    response = client.get(entry.get_absolute_url())

    assertContains(response, ">21 December 2015, 18:05</time></strong> — Name corrected.")


def test_a_member_reads_the_correction_time_in_their_zone(client_as, member, stream_a):
    member.time_zone = "Europe/Moscow"
    member.save()
    entry = factories.EntryFactory(
        stream=stream_a, updated_at=minutes_ago(55), correction_note="Typo."
    )

    response = client_as(member).get(entry.get_absolute_url())

    # The datetime is UTC, as HTML wants it; the text is the member's time.
    assertContains(response, 'datetime="2015-12-23T17:05:00.000Z"')
    assertContains(response, ">20:05</time></strong> — Typo.")


# Images


def test_block_image_store_writes_the_renditions_and_leaves_saving_to_the_caller(stream_a):
    entry = draft(stream_a)
    block = Block(entry=entry, position=1, kind=Block.Kind.IMAGE, alt_text="A photo.")

    services.block_image_store(block=block, upload=photo((1000, 500)))

    assert block.pk is None
    assert [r["width"] for r in block.renditions] == [480, 960]
    assert (block.image_width, block.image_height) == (960, 480)
    assert all(default_storage.exists(r["name"]) for r in block.renditions)


def test_block_image_store_can_save_the_block(stream_a):
    block = Block(entry=draft(stream_a), position=1, kind=Block.Kind.IMAGE, alt_text="A photo.")

    services.block_image_store(block=block, upload=photo(), save=True)

    stored = Block.objects.get(pk=block.pk)
    assert stored.renditions == block.renditions
    assert stored.image.name == block.renditions[-1]["name"]


def test_block_image_store_refuses_a_bad_file_and_stores_nothing(stream_a):
    block = Block(entry=draft(stream_a), position=1, kind=Block.Kind.IMAGE, alt_text="x")

    with pytest.raises(ValidationError, match="not an image we accept"):
        services.block_image_store(block=block, upload=upload(b"not an image", "x.jpg"))

    assert block.renditions == []
    assert not default_storage.exists("entries")


def test_a_replaced_image_is_deleted_once_the_change_is_committed(
    stream_a, django_capture_on_commit_callbacks
):
    block = Block(entry=draft(stream_a), position=1, kind=Block.Kind.IMAGE, alt_text="x")
    with django_capture_on_commit_callbacks(execute=True):
        services.block_image_store(block=block, upload=photo(), save=True)
    old = [r["name"] for r in block.renditions]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.block_image_store(block=block, upload=photo(), save=True)
    new = [r["name"] for r in block.renditions]
    assert all(default_storage.exists(name) for name in old + new)

    for callback in callbacks:
        callback()

    assert not any(default_storage.exists(name) for name in old)
    assert all(default_storage.exists(name) for name in new)


def test_new_files_are_deleted_when_the_transaction_rolls_back(stream_a):
    block = Block(entry=draft(stream_a), position=1, kind=Block.Kind.IMAGE, alt_text="x")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.block_image_store(block=block, upload=photo(), save=True)
        names = [r["name"] for r in block.renditions]
        assert all(default_storage.exists(name) for name in names)
        raise RuntimeError("the admin's save failed after the upload")

    assert not any(default_storage.exists(name) for name in names)


def test_an_upload_assigned_by_a_form_is_replaced_not_deleted(
    stream_a, django_capture_on_commit_callbacks
):
    block = Block(entry=draft(stream_a), position=1, kind=Block.Kind.IMAGE, alt_text="x")
    file = photo()
    # What a form's clean may do so that Block.clean sees an image before it is stored.
    block.image = file
    block.full_clean(exclude=["entry"])

    with django_capture_on_commit_callbacks(execute=True):
        services.block_image_store(block=block, upload=file, save=True)

    assert Block.objects.get(pk=block.pk).image.name == block.renditions[-1]["name"]
    assert all(default_storage.exists(r["name"]) for r in block.renditions)


# Sources


def test_merging_moves_every_quote_to_the_kept_source_and_deletes_the_duplicates(stream_a):
    keep = factories.SourceFactory(name="Amnesty International", home_page="")
    twin = factories.SourceFactory(name="Amnesty Intl", home_page="https://amnesty.org/")
    triplet = factories.SourceFactory(name="AI", home_page="")
    factories.EntryFactory(stream=stream_a, quotes=[twin, triplet])
    factories.EntryFactory(stream=stream_a, quotes=[keep, twin])

    moved = services.sources_merge(keep=keep, duplicates=[twin, triplet])

    assert moved == 3
    assert list(Source.objects.all()) == [keep]
    assert Block.objects.filter(kind=Block.Kind.QUOTE, source=keep).count() == 4
    keep.refresh_from_db()
    assert keep.home_page == "https://amnesty.org/"
    assert keep.domain == "amnesty.org"


def test_a_source_cannot_be_merged_into_itself(source):
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        services.sources_merge(keep=source, duplicates=[source])

    assert Source.objects.filter(pk=source.pk).exists()


def test_merging_nothing_moves_nothing(source):
    assert services.sources_merge(keep=source, duplicates=[]) == 0


# Streams


def test_opening_a_draft_stream_makes_it_live_from_now(db):
    stream = factories.StreamFactory(status=Stream.Status.DRAFT)

    services.stream_open(stream=stream)

    stream.refresh_from_db()
    assert stream.status == Stream.Status.LIVE
    assert stream.started_at == NOW
    assert stream.ended_at is None


def test_ending_and_reopening_a_stream_keeps_when_it_started(stream_a):
    stream_a.started_at = minutes_ago(600)
    stream_a.save()

    services.stream_end(stream=stream_a)
    stream_a.refresh_from_db()
    assert stream_a.status == Stream.Status.ENDED
    assert stream_a.ended_at == NOW

    services.stream_reopen(stream=stream_a)
    stream_a.refresh_from_db()
    assert stream_a.status == Stream.Status.LIVE
    assert stream_a.ended_at is None
    assert stream_a.started_at == minutes_ago(600)


def test_a_draft_stream_cannot_end_out_into_readers_sight(db):
    stream = factories.StreamFactory(status=Stream.Status.DRAFT)

    with pytest.raises(ValidationError, match="Only a live stream can end"):
        services.stream_end(stream=stream)

    stream.refresh_from_db()
    assert stream.status == Stream.Status.DRAFT


def test_a_draft_stream_is_opened_not_reopened(db):
    with pytest.raises(ValidationError, match="Only an ended stream can be reopened"):
        services.stream_reopen(stream=factories.StreamFactory(status=Stream.Status.DRAFT))


def test_ending_an_ended_stream_keeps_its_end_time(stream_a):
    services.stream_end(stream=stream_a)
    with frozen(NOW + timedelta(hours=1)):
        services.stream_end(stream=stream_a)

    stream_a.refresh_from_db()
    assert stream_a.ended_at == NOW


def test_services_take_keywords_only(stream_a):
    with pytest.raises(TypeError):
        services.entry_pin(draft(stream_a), True)  # type: ignore[misc]
    assert timezone.now() == NOW
