"""The per-stream content version (live/versions.py): every change readers see bumps it."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from live.versions import stream_changed, stream_version, stream_version_bump
from streams import services
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


# The version catches up with the clock


def test_a_bump_after_a_quiet_spell_catches_up_with_the_clock(db):
    from datetime import timedelta

    from tests.fixtures_pages import NOW, frozen

    start = stream_version(1)
    with frozen(NOW + timedelta(milliseconds=2)):
        assert stream_version_bump(1) == start + 2
    with frozen(NOW + timedelta(seconds=5)):
        assert stream_version_bump(1) == start + 5000


def test_bumps_faster_than_the_clock_still_grow_one_by_one(db):
    start = stream_version(1)

    assert [stream_version_bump(1) for _ in range(3)] == [start + 1, start + 2, start + 3]


# Every kind of change readers see


def test_adding_and_removing_a_byline_bump_the_version(stream_a):
    from streams.models import Byline

    entry = factories.EntryFactory(stream=stream_a)

    _bumps(stream_a, lambda: Byline.objects.create(entry=entry, position=0, name="Anna Guest"))
    _bumps(stream_a, lambda: Byline.objects.filter(entry=entry).delete())


def test_removing_a_block_bumps_the_version(stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    _bumps(stream_a, lambda: entry.blocks.get().delete())


def test_a_change_to_one_stream_leaves_the_others_alone(stream_a, stream_b):
    entry = factories.EntryFactory(stream=stream_a)
    before_b = stream_version(stream_b.pk)

    _bumps(stream_a, lambda: services.entry_pin(entry=entry, pinned=True))
    assert stream_version(stream_b.pk) == before_b


def test_a_byline_profile_that_changes_after_commit_bumps_the_streams_it_had(stream_a):
    from live.versions import streams_bylined_changed

    profile = person(display_name="James Miller")
    factories.EntryFactory(stream=stream_a, bylines=[profile])

    _bumps(stream_a, lambda: streams_bylined_changed(profile.pk))


# What the updates endpoint knows of a stream


def test_stream_meta_describes_a_shown_stream(stream_a):
    from live.versions import stream_meta

    meta = stream_meta("syria")

    assert meta == {
        "id": stream_a.pk,
        "slug": "syria",
        "visibility": "public",
        "status": "live",
        "members_only": False,
        "live": True,
        "time_zone": "",
        "version": stream_version(stream_a.pk),
        "due": None,
    }


def test_stream_meta_knows_nothing_of_an_unknown_or_draft_stream(stream_a, publisher_a):
    from live.versions import stream_meta
    from streams.models import Stream

    factories.StreamFactory(publisher=publisher_a, slug="unready", status=Stream.Status.DRAFT)

    assert stream_meta("nowhere") is None
    assert stream_meta("unready") is None


def test_stream_meta_of_an_unchanged_stream_comes_from_the_cache(
    stream_a, django_assert_num_queries
):
    from live.versions import stream_meta

    first = stream_meta("syria")

    with django_assert_num_queries(0):
        assert stream_meta("syria") == first


def test_stream_meta_is_read_afresh_once_the_stream_changes(stream_a):
    from live.versions import stream_meta
    from streams.models import Stream

    stream_meta("syria")
    stream_a.visibility = Stream.Visibility.MEMBERS
    stream_a.save()

    meta = stream_meta("syria")

    assert (meta["members_only"], meta["version"]) == (True, stream_version(stream_a.pk))


def test_a_scheduled_entry_coming_due_moves_the_version_exactly_when_it_is_due(
    stream_a, django_assert_num_queries
):
    from datetime import timedelta

    from live.versions import stream_meta
    from tests.fixtures_pages import NOW, frozen, scheduled_entry

    due = NOW + timedelta(minutes=10)
    scheduled_entry(stream_a, published_at=due)
    scheduled_entry(stream_a, published_at=NOW + timedelta(minutes=20))
    first = stream_meta("syria")
    assert first["due"] == due.timestamp()

    with frozen(due - timedelta(microseconds=1)), django_assert_num_queries(0):
        assert stream_meta("syria") == first
    with frozen(due):
        after = stream_meta("syria")

    assert after["version"] > first["version"]
    assert after["due"] == (NOW + timedelta(minutes=20)).timestamp()


# Answers kept per stream version


def _meta(stream, **changes) -> dict:
    from live.versions import stream_meta

    return {**stream_meta(stream.slug), **changes}


def test_a_kept_answer_is_found_while_the_stream_is_unchanged(stream_a):
    from live.versions import keep, kept

    keep(_meta(stream_a), "page", {"body": "<p>kept</p>"}, 60)

    assert kept("syria", "page")["body"] == "<p>kept</p>"
    assert kept("syria", "other") is None
    assert kept("elsewhere", "page") is None


def test_a_kept_answer_is_gone_once_the_stream_changes(stream_a):
    from live.versions import keep, kept

    keep(_meta(stream_a), "page", {"body": "old"}, 60)
    stream_version_bump(stream_a.pk)

    assert kept("syria", "page") is None


def test_a_kept_answer_is_gone_when_its_version_is_lost_from_the_cache(stream_a):
    from live.versions import _version_key, keep, kept

    keep(_meta(stream_a), "page", {"body": "old"}, 60)
    cache.delete(_version_key(stream_a.pk))

    assert kept("syria", "page") is None


def test_a_kept_answer_never_serves_another_slug_of_the_same_stream(stream_a, monkeypatch):
    from live import versions as live

    live.keep(_meta(stream_a), "page", {"body": "old"}, 60)
    monkeypatch.setitem(live._slug_ids, "renamed", stream_a.pk)

    assert live.kept("renamed", "page") is None
    assert live.kept("syria", "page") is not None


def test_a_kept_answer_lasts_until_the_scheduled_entry_comes_due(stream_a):
    from datetime import timedelta

    from live.versions import keep, kept
    from tests.fixtures_pages import NOW, frozen

    due = NOW + timedelta(minutes=10)
    keep(_meta(stream_a, due=due.timestamp()), "page", {"body": "old"}, 3600)

    with frozen(due - timedelta(microseconds=1)):
        assert kept("syria", "page") is not None
    with frozen(due):
        assert kept("syria", "page") is None


def test_a_forgotten_slug_is_looked_up_afresh(stream_a):
    from live.versions import forget_slug, keep, kept

    keep(_meta(stream_a), "page", {"body": "old"}, 60)
    forget_slug("syria")

    assert kept("syria", "page") is None


def test_the_slug_map_stays_bounded(stream_a, monkeypatch):
    from live import versions as live

    monkeypatch.setattr(live, "_SLUG_IDS_MAX", 3)
    monkeypatch.setattr(live, "_slug_ids", {f"other-{n}": 1000 + n for n in range(3)})
    live.keep(_meta(stream_a), "page", {"body": "kept"}, 60)

    assert live._slug_ids == {"syria": stream_a.pk}
    assert live.kept("syria", "page")["body"] == "kept"


def test_versions_are_whole_milliseconds_of_the_clock(db):
    from datetime import timedelta

    from tests.fixtures_pages import NOW, frozen

    with frozen(NOW + timedelta(microseconds=500)):
        assert stream_version(5) == int(NOW.timestamp() * 1000)
        assert stream_version_bump(5) == int(NOW.timestamp() * 1000) + 1
