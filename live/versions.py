"""A per-stream content version in the cache, bumped in this one place on every change.

The updates endpoint keys its cached answers on the version, so an unchanged stream
is answered from the cache without a query, and any change is seen on the next poll.

How changes reach here, and why: the services change entries, but so do the admin's
inline formsets (blocks, bylines), its delete actions and profile or source edits
elsewhere. Rather than trust every one of those paths to remember a call, receivers on
``post_save``/``post_delete`` of each model readers see in a stream bump the version;
they hold no business logic, and the bump runs after commit. The few writes that bypass
signals (queryset ``update()`` in ``sources_merge`` and ``account_delete``) call
``streams_quoting_changed`` and ``streams_bylined_changed`` themselves.

The bump waits for the commit so that a reader who sees the new version also sees the
new rows; one who reads the old version and the new rows merely caches newer data
under a key that is already on its way out.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from accounts.models import Profile
from live import edge, push
from pressimus.lib import commits
from streams.models import Block, Byline, Entry, Source, Stream

# Versions outlive any answer cached under them: a version lost to eviction comes back
# as the present time in milliseconds, above any value counted from an earlier start.
# (Any other lifetime only makes that happen sooner or later: no reader sees stale data.)
VERSION_TIMEOUT = 7 * 24 * 3600  # pragma: no mutate


def _version_key(stream_id: int) -> str:
    return f"live:version:{stream_id}"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def stream_version(stream_id: int) -> int:
    """The stream's content version: it grows whenever readers would see something new."""
    key = _version_key(stream_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, _now_ms(), VERSION_TIMEOUT)
        version = cache.get(key, _now_ms())
    return int(version)


def stream_version_bump(stream_id: int) -> int:
    """Move the version on at once; each call yields a new, larger value.

    ``incr`` is atomic in every shared cache, so two concurrent bumps never land on the
    same value; the version then catches up with the clock in milliseconds, which lets
    the endpoint ask for entries modified since a version the reader holds.
    """
    key = _version_key(stream_id)
    try:
        version = cache.incr(key)
    except ValueError:
        cache.add(key, _now_ms(), VERSION_TIMEOUT)
        version = cache.incr(key)
    # Catching up by nothing (>= 0, or > -1) changes nothing.
    if (behind := _now_ms() - version) > 0:  # pragma: no mutate: Gt_GtE, NumberReplacer
        version = cache.incr(key, behind)
    return version


def _after_commit(bump) -> None:
    transaction.on_commit(bump)


# One bump per stream and commit, however many of its rows the commit saved (pressimus.lib.commits),
# and one announcement to its open pages.
_PENDING = "live_pending_lookups"


def _drain() -> None:
    stream_ids = commits.take_ids(_PENDING)
    if not stream_ids:
        return
    bumped = {stream_id: stream_version_bump(stream_id) for stream_id in sorted(stream_ids)}
    if push.is_on() or edge.is_on():
        slugs = dict(Stream.objects.filter(pk__in=bumped).values_list("pk", "slug"))
        changed = {slugs[pk]: version for pk, version in bumped.items() if pk in slugs}
        edge.refresh(changed)
        push.announce(changed)


def _bump_after_commit(stream_ids: Callable[[], Iterable[int]]) -> None:
    """Once the transaction commits, find the streams concerned and bump each once."""
    commits.gather(_PENDING, stream_ids)
    _after_commit(_drain)


def _stream_ids_of_entries(**lookup) -> list[int]:
    return list(Entry.objects.filter(**lookup).values_list("stream_id", flat=True).distinct())


def stream_changed(stream_id: int) -> None:
    """Bump the stream's version once the current transaction commits (at once outside one)."""
    _bump_after_commit(lambda: [stream_id])


def streams_quoting_changed(source_id: int) -> None:
    """Bump every stream quoting the source, found after commit in one query."""
    _bump_after_commit(lambda: _stream_ids_of_entries(blocks__source_id=source_id))


def streams_bylined_changed(profile_id: int) -> None:
    """Bump every stream with an entry bylined by the profile, as the bylines are now."""
    stream_ids = _stream_ids_of_entries(bylines__profile_id=profile_id)
    _bump_after_commit(lambda: stream_ids)


@receiver([post_save, post_delete], sender=Entry, dispatch_uid="live_entry")
def _entry_changed(sender, instance: Entry, **kwargs) -> None:
    stream_changed(instance.stream_id)


@receiver([post_save, post_delete], sender=Block, dispatch_uid="live_block")
@receiver([post_save, post_delete], sender=Byline, dispatch_uid="live_byline")
def _part_changed(sender, instance: Block | Byline, **kwargs) -> None:
    # The entry's stream id without loading the entry: one small query at most.
    _bump_after_commit(lambda: _stream_ids_of_entries(pk=instance.entry_id))


@receiver([post_save, post_delete], sender=Stream, dispatch_uid="live_stream")
def _stream_changed(sender, instance: Stream, **kwargs) -> None:
    stream_changed(instance.pk)


@receiver([post_save, post_delete], sender=Source, dispatch_uid="live_source")
def _source_changed(sender, instance: Source, **kwargs) -> None:
    streams_quoting_changed(instance.pk)


@receiver(post_save, sender=Profile, dispatch_uid="live_profile")
def _profile_changed(sender, instance: Profile, **kwargs) -> None:
    _bump_after_commit(lambda: _stream_ids_of_entries(bylines__profile_id=instance.pk))


def stream_meta(slug: str) -> dict | None:
    """What the updates endpoint needs to know of a shown stream, from the cache.

    Cached with the version it was read at, so any change to the stream (its visibility,
    its status, a scheduled entry coming due) makes the next poll read it afresh. None for
    a stream that does not exist or readers may not see.
    """
    key = f"live:stream:{slug}"
    meta = cache.get(key)
    if meta is not None:
        due = meta["due"]
        if due is not None and due <= time.time():
            # A scheduled entry became visible without any write to announce it.
            stream_version_bump(meta["id"])
        elif stream_version(meta["id"]) == meta["version"]:
            return meta
    stream = (
        Stream.objects.filter(slug=slug, status__in=Stream.SHOWN_STATUSES)
        .select_related("publisher")
        .first()
    )
    if stream is None:
        return None
    # Read before the rows, so what is cached is at least as new as its version.
    version = stream_version(stream.pk)
    due = (
        stream.entries.filter(status=Entry.Status.SCHEDULED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    meta = {
        "id": stream.pk,
        "slug": stream.slug,
        "visibility": stream.visibility,
        "status": stream.status,
        "members_only": stream.is_members_only,
        "live": stream.is_live,
        # Poll answers are shared by every reader: their times are the newsroom's.
        "time_zone": stream.publisher.time_zone,
        "version": version,
        "due": due.timestamp() if due else None,
    }
    cache.set(key, meta, VERSION_TIMEOUT)
    return meta


# Answers kept per stream version ------------------------------------------------------------
#
# The updates endpoint and the anonymous stream page keep their rendered answers under the
# stream's id, with the version and slug they were made at. A process-local map from slug
# to id lets a request fetch the current version and the kept answer in one cache round
# trip; the map is only a hint, since an answer counts only if its version is the stream's
# current one and its slug the one asked for.

# A bound on memory, not behaviour: the tests shrink it to see the bounding work.
_SLUG_IDS_MAX = 10_000  # pragma: no mutate
_slug_ids: dict[str, int] = {}

# With the cache on another machine, even that one round trip is most of an unchanged
# poll's cost. So a process also remembers each answer for LIVE_MEMO_MS: readers polling the
# same stream share one cache read per process and moment. The answers say "max-age=5" to
# every proxy and browser anyway, so this serves nothing staler than they may.
# Pages of some 50 kB each: a bound of a few tens of MB per process, whatever URLs arrive.
# A bound on memory, as _SLUG_IDS_MAX.
_MEMO_MAX = 512  # pragma: no mutate
_memo: dict[tuple[str, str], tuple[float, dict]] = {}


def _remember(slug: str, name: str, answer: dict) -> None:
    lifetime = settings.LIVE_MEMO_MS / 1000
    if lifetime <= 0:
        return
    now = time.monotonic()
    if len(_memo) >= _MEMO_MAX:
        for key in [key for key, (until, _) in _memo.items() if until <= now]:
            del _memo[key]
        if len(_memo) >= _MEMO_MAX:
            _memo.clear()
    _memo[(slug, name)] = (now + lifetime, answer)


def _remembered(slug: str, name: str) -> dict | None:
    found = _memo.get((slug, name))
    if found is None:
        return None
    until, answer = found
    if until <= time.monotonic():
        _memo.pop((slug, name), None)
        return None
    return answer


def _still_current(answer: dict) -> dict | None:
    due = answer["due"]
    if due is not None and due <= time.time():
        # A scheduled entry came due: the slow path bumps the version (stream_meta).
        return None
    return answer


def kept_name(kind: str, *parts: str) -> str:
    """A short cache-safe name for an answer kept per request parameters."""
    # Any separator no parameter holds, and enough of the digest that two never meet: another
    # character or one more or less of it names the same answers apart as well.
    digest = hashlib.sha256(chr(0).join(parts).encode()).hexdigest()  # pragma: no mutate
    return f"{kind}:{digest[:32]}"  # pragma: no mutate


def _kept_key(stream_id: int, name: str) -> str:
    return f"live:kept:{stream_id}:{name}"


def kept(slug: str, name: str) -> dict | None:
    """What was kept under ``name`` for the stream, if it is still current; else None."""
    remembered = _remembered(slug, name)
    if remembered is not None:
        return _still_current(remembered)
    stream_id = _slug_ids.get(slug)
    if stream_id is None:
        return None
    version_key, kept_key = _version_key(stream_id), _kept_key(stream_id, name)
    found = cache.get_many([version_key, kept_key])
    answer, version = found.get(kept_key), found.get(version_key)
    if answer is None or version is None:
        return None
    if answer["version"] != int(version) or answer["slug"] != slug:
        return None
    _remember(slug, name, answer)
    return _still_current(answer)


def keep(meta: dict, name: str, answer: dict, timeout: int) -> None:
    """Keep ``answer`` for the stream of ``meta`` (see ``stream_meta``) at its version."""
    answer = {**answer, "version": meta["version"], "slug": meta["slug"], "due": meta["due"]}
    cache.set(_kept_key(meta["id"], name), answer, timeout)
    _remember(meta["slug"], name, answer)
    if len(_slug_ids) >= _SLUG_IDS_MAX:
        _slug_ids.clear()
    _slug_ids[meta["slug"]] = meta["id"]


def forget_slug(slug: str) -> None:
    _slug_ids.pop(slug, None)


def forget_remembered() -> None:
    """Drop every answer this process remembers (for tests and after a restore)."""
    _memo.clear()
