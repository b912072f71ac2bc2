"""Fill the database with the demo content of seed_demo.toml, beside this file, or fill one
stream with many entries."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Profile, User
from streams import demo
from streams.models import Block, Byline, Entry, Membership, Publisher, Source, Stream
from streams.search import document_text
from streams.services import (
    BlockSpec,
    BylineSpec,
    QuoteBlock,
    TextBlock,
    entry_create,
    follow_toggle,
)

BATCH_SIZE = 2_000


class Command(BaseCommand):
    help = (
        "Fill an empty database with demo publishers, streams, entries, sources and "
        "accounts (safe to run again). With --entries N --stream SLUG, make SLUG a public "
        "live stream holding N published entries, adding only those it lacks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--entries",
            type=int,
            metavar="N",
            help="How many published entries the stream should hold (needs --stream).",
        )
        parser.add_argument(
            "--stream", metavar="SLUG", help="The stream to create or top up (needs --entries)."
        )

    def handle(self, *args, entries: int | None, stream: str | None, **options) -> None:
        if entries is None and stream is None:
            self.seed_demo(read_demo_content())
            return
        if entries is None:
            raise CommandError("--stream needs --entries: say how many entries it should hold.")
        if stream is None:
            raise CommandError("--entries needs --stream: say which stream (a slug) to fill.")
        if entries < 0:
            raise CommandError(f"--entries must be 0 or more, not {entries}.")
        try:
            validate_slug(stream)
        except ValidationError as error:
            raise CommandError(f"--stream {stream!r} is not a slug: {error.messages[0]}") from None
        if len(stream) > Stream._meta.get_field("slug").max_length:
            raise CommandError(f"--stream {stream!r} is too long for a slug.")
        self.seed_stream(read_demo_content(), slug=stream, count=entries)

    # The demo ----------------------------------------------------------------------------

    @transaction.atomic
    def seed_demo(self, content: demo.Demo) -> None:
        now = timezone.now()
        users = {
            spec.email: ensure_account(spec, password=content.password) for spec in content.accounts
        }
        publishers = {spec.slug: ensure_publisher(spec) for spec in content.publishers}
        for spec in content.accounts:
            if spec.publisher:
                ensure_membership(publishers[spec.publisher], users[spec.email], spec.role)
        sources = ensure_sources(content.sources)
        profiles = {email: user.profile for email, user in users.items()}
        editors = {spec.publisher: users[spec.email] for spec in content.accounts if spec.role}

        new_entries = 0
        for spec in content.streams:
            stream, _ = Stream.objects.get_or_create(
                slug=spec.slug,
                defaults={
                    "publisher": publishers[spec.publisher],
                    "title": spec.title,
                    "summary": spec.summary,
                    "status": spec.status,
                    "visibility": spec.visibility,
                    "started_at": spec.started(now),
                    "ended_at": spec.ended(now),
                },
            )
            existing = set(stream.entries.values_list("title", flat=True))
            started_at = spec.started(now)
            for entry_spec in spec.entries:
                if entry_spec.title in existing:
                    continue
                create_demo_entry(
                    stream=stream,
                    spec=entry_spec,
                    published_at=started_at + timedelta(minutes=entry_spec.minute),
                    sources=sources,
                    profiles=profiles,
                    created_by=editors.get(spec.publisher),
                )
                new_entries += 1

        for spec in content.follows:
            ensure_follow(spec, users=users)

        streams = Stream.objects.filter(slug__in=[spec.slug for spec in content.streams])
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {len(publishers)} publishers, {streams.count()} streams, "
                f"{Entry.objects.filter(stream__in=streams).count()} entries "
                f"({new_entries} new), {len(sources)} sources, {len(users)} accounts."
            )
        )
        self.stdout.write(f'Demo accounts, password "{content.password}" (local use only):')
        width = max(len(spec.email) for spec in content.accounts)
        for spec in content.accounts:
            self.stdout.write(f"  {spec.email:<{width}}  {spec.duty}")

    # Many entries --------------------------------------------------------------------------

    def seed_stream(self, content: demo.Demo, *, slug: str, count: int) -> None:
        started = time.monotonic()
        bulk = content.bulk
        with transaction.atomic():
            publisher = ensure_publisher(content.publisher(bulk.publisher))
            stream = ensure_live_stream(slug=slug, publisher=publisher)
            sources = ensure_sources(
                [s for s in content.sources if s.slug in {q.source for q in bulk.quotes}]
            )
            writers = list(Profile.objects.filter(user__email__in=bulk.writers).order_by("pk"))
            now = timezone.now()
            published = stream.entries.published(now)
            existing = published.count()
            newest = published.aggregate(newest=Max("published_at"))["newest"]

        missing = count - existing
        if missing <= 0:
            self.stdout.write(f"Stream {slug!r} already has {existing} published entries.")
            return
        self.stdout.write(f"Adding {missing} entries to stream {slug!r} ({existing} already).")
        times = publish_times(missing, after=newest, now=now)
        bylines: list[BylineSpec] = [*writers, *bulk.guests]
        with tqdm(
            total=missing, unit=" entries", file=_TqdmOutput(self.stderr), disable=None
        ) as progress:
            for start in range(0, missing, BATCH_SIZE):
                batch = times[start : start + BATCH_SIZE]
                with transaction.atomic():
                    create_entry_batch(
                        stream=stream,
                        bulk=bulk,
                        times=batch,
                        first_number=existing + start,
                        sources=sources,
                        bylines=bylines,
                    )
                progress.update(len(batch))
        stream.refresh_last_published()
        self.stdout.write(
            self.style.SUCCESS(
                f"Stream {slug!r} now holds {count} published entries "
                f"({missing} added in {time.monotonic() - started:.1f} s)."
            )
        )


class _TqdmOutput:
    """Lets tqdm redraw its bar through a command's stderr, which would add a newline and
    colour every chunk as an error."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.wrapper.flush()

    def isatty(self) -> bool:
        return self.wrapper.isatty()


def read_demo_content() -> demo.Demo:
    """The content of seed_demo.toml; a mistake in it stops the command, naming its place."""
    try:
        return demo.load_demo()
    except demo.DemoDataError as error:
        raise CommandError(str(error)) from None


def ensure_account(spec: demo.AccountSpec, *, password: str) -> User:
    user = User.objects.filter(email=spec.email).first()
    if user is None:
        create = User.objects.create_superuser if spec.is_superuser else User.objects.create_user
        user = create(spec.email, password, is_staff=spec.is_staff)
    else:
        changed = [
            field
            for field in ("is_staff", "is_superuser")
            if getattr(user, field) != getattr(spec, field)
        ]
        for field in changed:
            setattr(user, field, getattr(spec, field))
        # A password someone chose is kept; an account without one gets the demo password.
        if not user.has_usable_password():
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save(update_fields=changed)
    Profile.objects.get_or_create(
        user=user,
        defaults={"display_name": spec.display_name, "handle": spec.handle, "bio": spec.bio},
    )
    ensure_verified_email(user)
    for name in spec.groups:
        # The group comes from another app's data migration; without it there is nothing to join.
        if group := Group.objects.filter(name=name).first():
            user.groups.add(group)
    return user


def ensure_verified_email(user: User) -> None:
    """Sign-in requires a verified address: the demo accounts' own counts as verified."""
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        EmailAddress.objects.create(
            user=user, email=user.email, verified=True, primary=not has_primary
        )
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


def ensure_follow(spec: demo.FollowSpec, *, users: dict[str, User]) -> None:
    user = users[spec.email]
    if spec.stream:
        target = {"stream": Stream.objects.get(slug=spec.stream)}
    else:
        target = {"publisher": Publisher.objects.get(slug=spec.publisher)}
    follow_toggle(user=user, follow=True, **target)


def ensure_publisher(spec: demo.PublisherSpec) -> Publisher:
    publisher, _ = Publisher.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "description": spec.description,
            "website": spec.website,
            "time_zone": spec.time_zone,
        },
    )
    if not publisher.time_zone and spec.time_zone:
        # A demo seeded before publishers had a zone gets it on the next run.
        publisher.time_zone = spec.time_zone
        publisher.save(update_fields=["time_zone"])
    return publisher


def ensure_membership(publisher: Publisher, user: User, role: str) -> None:
    membership, created = Membership.objects.get_or_create(
        publisher=publisher, user=user, defaults={"role": role}
    )
    if not created and membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])


def ensure_sources(specs: Sequence[demo.SourceSpec]) -> dict[str, Source]:
    sources = {}
    for spec in specs:
        sources[spec.slug], _ = Source.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "home_page": spec.home_page,
                "description": spec.description,
            },
        )
    return sources


def ensure_live_stream(*, slug: str, publisher: Publisher) -> Stream:
    stream, created = Stream.objects.get_or_create(
        slug=slug,
        defaults={
            "publisher": publisher,
            "title": slug.replace("-", " ").replace("_", " ").strip().title() or slug,
            "summary": "Generated by seed_demo to see how Pressimus copes with a long stream.",
            "status": Stream.Status.LIVE,
            "visibility": Stream.Visibility.PUBLIC,
            "started_at": timezone.now(),
        },
    )
    if not created and (
        stream.status != Stream.Status.LIVE or stream.visibility != Stream.Visibility.PUBLIC
    ):
        stream.status = Stream.Status.LIVE
        stream.visibility = Stream.Visibility.PUBLIC
        stream.ended_at = None
        stream.save(update_fields=["status", "visibility", "ended_at", "updated_at"])
    return stream


def create_demo_entry(
    *,
    stream: Stream,
    spec: demo.EntrySpec,
    published_at: datetime,
    sources: dict[str, Source],
    profiles: dict[str, Profile],
    created_by: User | None,
) -> Entry:
    blocks: list[BlockSpec] = [
        TextBlock(body=block.text)
        if isinstance(block, demo.TextSpec)
        else QuoteBlock(
            source=sources[block.source],
            body=block.body,
            cited_url=block.cited_url,
            original=block.original,
            original_language=block.original_language,
        )
        for block in spec.blocks
    ]
    entry = entry_create(
        stream=stream,
        title=spec.title,
        blocks=blocks,
        bylines=[profiles.get(name, name) for name in spec.bylines],
        published_at=published_at,
        pinned=spec.pinned,
        created_by=created_by,
    )
    if spec.correction:
        entry.correction_note = spec.correction
        entry.updated_at = published_at + timedelta(minutes=spec.corrected_after)
        entry.save(update_fields=["correction_note", "updated_at", "modified_at"])
    return entry


def publish_times(count: int, *, after: datetime | None, now: datetime) -> list[datetime]:
    """``count`` increasing times one minute apart ending ``now``, all later than ``after``."""
    step = timedelta(minutes=1)
    if after is not None and now - step * count <= after:
        step = max((now - after) / (count + 1), timedelta(microseconds=1))
    return [now - step * (count - 1 - i) for i in range(count)]


def create_entry_batch(
    *,
    stream: Stream,
    bulk: demo.BulkSpec,
    times: Sequence[datetime],
    first_number: int,
    sources: dict[str, Source],
    bylines: Sequence[BylineSpec],
) -> None:
    texts, quotes, titles = bulk.texts, bulk.quotes, bulk.titles

    def entry(number: int, published_at: datetime) -> Entry:
        # bulk_create sends no signal, so the search document is written here, from the
        # same pieces the blocks below are made of.
        title = titles[number % len(titles)] if number % 3 == 0 else ""
        quote = quotes[number % len(quotes)]
        parts = [
            (texts[number % len(texts)], "", ""),
            (quote.body, quote.original, sources[quote.source].name),
        ]
        if number % 2:
            parts.append((texts[(number * 7 + 3) % len(texts)], "", ""))
        made = Entry(
            stream=stream,
            title=title,
            status=Entry.Status.PUBLISHED,
            published_at=published_at,
            search_document=document_text(title, parts),
        )
        # bulk_create calls no save(): what save() would note, noted here.
        made.note_first_publication()
        return made

    entries = Entry.objects.bulk_create(
        entry(first_number + i, published_at) for i, published_at in enumerate(times)
    )
    blocks: list[Block] = []
    byline_rows: list[Byline] = []
    for number, entry in enumerate(entries, start=first_number):
        quote = quotes[number % len(quotes)]
        blocks.append(
            Block(entry=entry, position=0, kind=Block.Kind.TEXT, body=texts[number % len(texts)])
        )
        blocks.append(
            Block(
                entry=entry,
                position=1,
                kind=Block.Kind.QUOTE,
                body=quote.body,
                source=sources[quote.source],
                cited_url=quote.cited_url,
                original=quote.original,
                original_language=quote.original_language,
            )
        )
        if number % 2:
            blocks.append(
                Block(
                    entry=entry,
                    position=2,
                    kind=Block.Kind.TEXT,
                    body=texts[(number * 7 + 3) % len(texts)],
                )
            )
        for position in range(1 + (number % 5 == 0)):
            writer = bylines[(number + position) % len(bylines)]
            if isinstance(writer, Profile):
                byline_rows.append(Byline(entry=entry, position=position, profile=writer))
            else:
                byline_rows.append(Byline(entry=entry, position=position, name=writer))
    Block.objects.bulk_create(blocks)
    Byline.objects.bulk_create(byline_rows)
