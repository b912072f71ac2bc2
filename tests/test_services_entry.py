from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone

from streams.models import Block, Entry
from streams.services import QuoteBlock, TextBlock, entry_create, entry_publish, entry_unpublish
from tests import factories


def test_entry_create_saves_blocks_and_bylines_in_order(stream_a, source):
    profile = factories.ProfileFactory(display_name="James Miller")
    entry = entry_create(
        stream=stream_a,
        title="Key event",
        blocks=[TextBlock("<p>Amnesty reports:</p>"), QuoteBlock(source=source, body="<p>Q</p>")],
        bylines=[profile, "Pierre Vaux"],
    )
    assert [b.kind for b in entry.blocks.all()] == ["text", "quote"]
    assert [b.display_name for b in entry.bylines.all()] == ["James Miller", "Pierre Vaux"]
    assert entry.status == Entry.Status.PUBLISHED
    stream_a.refresh_from_db()
    assert stream_a.last_published_at == entry.published_at


def test_entry_create_with_a_sourceless_quote_saves_nothing(stream_a):
    with pytest.raises(ValidationError, match="A quote needs a source"):
        entry_create(
            stream=stream_a,
            blocks=[TextBlock("<p>fine</p>"), QuoteBlock(source=None, body="<p>Q</p>")],
        )
    assert not Entry.objects.exists()
    assert not Block.objects.exists()


def test_entry_create_refuses_a_block_that_cleaning_empties(stream_a):
    with pytest.raises(ValidationError, match="This block is empty"):
        entry_create(stream=stream_a, blocks=[TextBlock("<script>x()</script>")])
    assert not Entry.objects.exists()


def test_a_future_publish_time_schedules_the_entry_out_of_sight(stream_a):
    later = timezone.now() + timedelta(hours=1)
    entry = entry_create(stream=stream_a, blocks=[TextBlock("<p>x</p>")], published_at=later)
    assert entry.status == Entry.Status.SCHEDULED
    assert not Entry.objects.published().exists()
    assert Entry.objects.published(now=later).get() == entry


def test_publish_then_unpublish_moves_the_stream_update_time(stream_a):
    entry = entry_create(stream=stream_a, blocks=[TextBlock("<p>x</p>")], publish=False)
    assert entry.status == Entry.Status.DRAFT
    entry_publish(entry=entry)
    stream_a.refresh_from_db()
    assert stream_a.last_published_at == entry.published_at
    entry_unpublish(entry=entry)
    stream_a.refresh_from_db()
    assert stream_a.last_published_at is None


def test_titles_lose_control_characters_when_saved(stream_a):
    entry = entry_create(stream=stream_a, title="Break\x1bing\x00 ", blocks=[TextBlock("<p>x</p>")])
    entry.refresh_from_db()
    assert entry.title == "Breaking"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: PostgreSQL (CI runs it there too)"
)
@pytest.mark.django_db(transaction=True)
def test_publishers_of_one_stream_take_turns_so_publish_times_follow_commit_order():
    stream = factories.StreamFactory()
    first = factories.EntryFactory(stream=stream, status=Entry.Status.DRAFT, published_at=None)
    second = factories.EntryFactory(stream=stream, status=Entry.Status.DRAFT, published_at=None)
    first_holds_the_lock = threading.Event()
    committed: dict[str, object] = {}

    def publish_and_commit_slowly():
        try:
            with transaction.atomic():
                entry_publish(entry=first)
                first_holds_the_lock.set()
                time.sleep(0.5)
                committed["first"] = timezone.now()
        finally:
            connections.close_all()

    slow = threading.Thread(target=publish_and_commit_slowly)
    slow.start()
    assert first_holds_the_lock.wait(10)
    entry_publish(entry=second)
    slow.join(10)

    first.refresh_from_db()
    second.refresh_from_db()
    # The second publisher waited for the first one's commit before reading the clock: no
    # reader can see the second entry, move its cursor past it, and then miss the first.
    assert second.published_at > committed["first"] > first.published_at


def test_a_web_process_whose_clock_runs_behind_publishes_after_the_newest_entry(db):
    stream = factories.StreamFactory()
    ahead = timezone.now() + timedelta(milliseconds=300)
    # Published a moment ago by another web process, whose clock is 300 ms ahead of ours.
    factories.EntryFactory(stream=stream, published_at=ahead, status=Entry.Status.PUBLISHED)
    # Saved there as published: our Entry.save would hold it as scheduled by our clock.
    Entry.objects.filter(stream=stream).update(status=Entry.Status.PUBLISHED)
    draft = factories.EntryFactory(stream=stream, status=Entry.Status.DRAFT, published_at=None)

    entry_publish(entry=draft)

    # After the newest entry, so no reader's cursor has passed it already.
    assert draft.published_at > ahead


def test_an_entry_scheduled_for_later_does_not_push_a_publish_into_the_future(db):
    stream = factories.StreamFactory()
    later = timezone.now() + timedelta(hours=1)
    factories.EntryFactory(stream=stream, published_at=later, status=Entry.Status.SCHEDULED)
    draft = factories.EntryFactory(stream=stream, status=Entry.Status.DRAFT, published_at=None)

    entry_publish(entry=draft)

    assert draft.published_at < later
    assert draft.status == Entry.Status.PUBLISHED
