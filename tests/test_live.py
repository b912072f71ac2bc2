"""The per-stream content version (streams/live.py): every change readers see bumps it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from streams import services
from streams.live import stream_changed, stream_version, stream_version_bump
from streams.models import Entry, Source
from tests import factories
from tests.fixtures_pages import draft_entry, person

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _bumps(stream, change) -> None:
    before = stream_version(stream.pk)
    change()
    assert stream_version(stream.pk) > before


def test_a_missing_version_starts_from_the_clock_in_milliseconds(db):
    from tests.fixtures_pages import NOW

    assert stream_version(12345) == int(NOW.timestamp() * 1000)


def test_each_bump_yields_a_new_larger_version(db):
    first = stream_version(1)

    assert stream_version_bump(1) == first + 1
    assert stream_version_bump(1) == first + 2
    assert stream_version(2) == first


def test_a_version_lost_from_the_cache_comes_back_from_the_clock(db):
    stream_version_bump(1)
    cache.clear()

    assert stream_version_bump(1) > 0


def test_publishing_bumps_the_version(stream_a):
    entry = draft_entry(stream_a)

    _bumps(stream_a, lambda: services.entry_publish(entry=entry))


def test_creating_a_published_entry_bumps_the_version(stream_a):
    _bumps(
        stream_a,
        lambda: services.entry_create(stream=stream_a, blocks=[services.TextBlock("New")]),
    )


def test_unpublishing_bumps_the_version(stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    _bumps(stream_a, lambda: services.entry_unpublish(entry=entry))


def test_an_edit_bumps_the_version(stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    _bumps(stream_a, lambda: services.entry_record_edit(entry=entry, note="Corrected."))


def test_editing_a_block_bumps_the_version(stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    block = entry.blocks.get()
    block.body = "Changed"

    _bumps(stream_a, block.save)


def test_pinning_bumps_the_version(stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    _bumps(stream_a, lambda: services.entry_pin(entry=entry, pinned=True))


def test_deleting_an_entry_bumps_the_version(stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    _bumps(stream_a, entry.delete)


def test_deleting_entries_in_bulk_as_the_admin_does_bumps_the_version(stream_a):
    factories.EntryFactory(stream=stream_a)

    _bumps(stream_a, lambda: Entry.objects.filter(stream=stream_a).delete())


def test_renaming_a_source_bumps_every_stream_quoting_it(stream_a, stream_b, source):
    factories.EntryFactory(stream=stream_a, quotes=[source])
    factories.EntryFactory(stream=stream_b, quotes=[source])
    before_b = stream_version(stream_b.pk)
    source.name = "Renamed"

    _bumps(stream_a, source.save)
    assert stream_version(stream_b.pk) > before_b


def test_merging_sources_bumps_the_streams_now_quoting_the_kept_one(stream_a, source):
    duplicate = factories.SourceFactory(name="Amnesty Intl")
    factories.EntryFactory(stream=stream_a, quotes=[duplicate])

    _bumps(stream_a, lambda: services.sources_merge(keep=source, duplicates=[duplicate]))
    assert not Source.objects.filter(pk=duplicate.pk).exists()


def test_renaming_a_byline_profile_bumps_the_streams_of_its_entries(stream_a, stream_b):
    profile = person(display_name="James Miller")
    factories.EntryFactory(stream=stream_a, bylines=[profile])
    before_b = stream_version(stream_b.pk)
    profile.display_name = "James A. Miller"

    _bumps(stream_a, profile.save)
    assert stream_version(stream_b.pk) == before_b


def test_editing_the_stream_bumps_its_version(stream_a):
    stream_a.title = "Syria: December 24"

    _bumps(stream_a, stream_a.save)


@pytest.mark.django_db(transaction=True)
def test_the_version_moves_only_once_the_change_commits(publisher_a):
    from django.db import transaction

    stream = factories.StreamFactory(publisher=publisher_a)
    before = stream_version(stream.pk)
    with transaction.atomic():
        stream_changed(stream.pk)
        assert stream_version(stream.pk) == before

    assert stream_version(stream.pk) > before
