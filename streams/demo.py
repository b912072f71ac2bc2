"""The demo content that ``manage.py seed_demo`` writes, read from the TOML file beside the
command and checked before anything touches the database.

Each spec mirrors a table of the file, field for field; reading the file builds them from their
type hints, so a misspelt key, a missing one, a value of the wrong type or a name that refers to
nothing stops the command with the file, the place in it and what is wrong.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import types
import typing
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.core.validators import slug_re

from pressimus.lib.zones import known_zone
from streams.models import Membership, Source, Stream

DEMO_FILE = Path(__file__).parent / "management" / "commands" / "seed_demo.toml"


class DemoDataError(ValueError):
    """The demo data file cannot be used as it stands."""


class _Invalid(Exception):
    """A problem at a place in the file, the place filled in as the error leaves each table."""

    def __init__(self, problem: str, *place: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.place = list(place)


@dataclass(frozen=True)
class PublisherSpec:
    slug: str
    name: str
    description: str
    website: str
    time_zone: str = ""
    """Where the newsroom works: its readers' times without a zone of their own."""

    def __post_init__(self) -> None:
        _check_slug("slug", self.slug)
        if self.time_zone and known_zone(self.time_zone) is None:
            raise _Invalid(
                f"{self.time_zone!r} is not a time zone, such as Europe/London", "time_zone"
            )


@dataclass(frozen=True)
class AccountSpec:
    email: str
    display_name: str
    handle: str
    bio: str
    duty: str
    """What the account is for, as seed_demo lists it."""
    is_staff: bool = False
    is_superuser: bool = False
    publisher: str = ""
    role: str = ""
    groups: tuple[str, ...] = ()
    """Groups the account joins when they exist (another app's data migration makes them)."""

    def __post_init__(self) -> None:
        _check_choice("role", self.role, Membership.Role, blank=True)
        if bool(self.publisher) != bool(self.role):
            raise _Invalid("a member of a publisher needs both `publisher` and `role`")
        if self.is_superuser and not self.is_staff:
            raise _Invalid("a superuser is staff too: add `is_staff = true`")


@dataclass(frozen=True)
class SourceSpec:
    slug: str
    name: str
    kind: str
    home_page: str
    description: str

    def __post_init__(self) -> None:
        _check_slug("slug", self.slug)
        _check_choice("kind", self.kind, Source.Kind)


@dataclass(frozen=True)
class TextSpec:
    """A block of the writer's HTML."""

    text: str


@dataclass(frozen=True)
class QuoteSpec:
    """A quoted passage; ``body`` is in English, ``original`` the text as published."""

    source: str
    body: str
    cited_url: str
    original: str = ""
    original_language: str = ""

    def __post_init__(self) -> None:
        if bool(self.original) != bool(self.original_language):
            raise _Invalid("a translated quote needs both `original` and `original_language`")


@dataclass(frozen=True)
class EntrySpec:
    minute: int
    """Minutes from the stream's start to the entry's publication."""
    title: str
    blocks: tuple[TextSpec | QuoteSpec, ...]
    bylines: tuple[str, ...]
    """Demo account e-mails (bylined with their profile) or guest writers' names."""
    pinned: bool = False
    correction: str = ""
    corrected_after: int = 0
    """Minutes from publication to the correction."""

    def __post_init__(self) -> None:
        if self.minute < 0:
            raise _Invalid(f"{self.minute} is before the stream started", "minute")
        if not self.blocks:
            raise _Invalid("an entry needs at least one block", "blocks")
        if not self.bylines:
            raise _Invalid("an entry needs at least one byline", "bylines")
        if self.corrected_after and not self.correction:
            raise _Invalid("`corrected_after` needs a `correction`", "corrected_after")


@dataclass(frozen=True)
class StreamSpec:
    publisher: str
    slug: str
    title: str
    summary: str
    status: str
    entries: tuple[EntrySpec, ...]
    started_at: datetime | None = None
    """When the stream started, for one set on a known day..."""
    started_ago: timedelta | None = None
    """...or how long before the seeding it started."""
    duration: timedelta | None = None
    """For an ended stream: how long it ran."""
    visibility: str = Stream.Visibility.PUBLIC.value

    def __post_init__(self) -> None:
        _check_slug("slug", self.slug)
        _check_choice("status", self.status, Stream.Status)
        _check_choice("visibility", self.visibility, Stream.Visibility)
        if (self.started_at is None) == (self.started_ago is None):
            raise _Invalid("give exactly one of `started_at` and `started_ago`")
        if (self.status == Stream.Status.ENDED) != (self.duration is not None):
            raise _Invalid("an ended stream, and only an ended stream, needs a `duration`")
        # seed_demo knows an entry it already wrote by its title.
        if titles := _repeated(entry.title for entry in self.entries):
            raise _Invalid(f"two entries are titled {titles[0]!r}", "entries")

    def started(self, now: datetime) -> datetime:
        return self.started_at if self.started_at is not None else now - self.started_ago

    def ended(self, now: datetime) -> datetime | None:
        if self.duration is None:
            return None
        return self.started(now) + self.duration


@dataclass(frozen=True)
class FollowSpec:
    """A demo account following a stream (by slug) or a whole publisher (by slug)."""

    email: str
    stream: str = ""
    publisher: str = ""

    def __post_init__(self) -> None:
        if bool(self.stream) == bool(self.publisher):
            raise _Invalid("follow exactly one of a `stream` and a `publisher`")


@dataclass(frozen=True)
class BulkSpec:
    """What ``seed_demo --entries N --stream SLUG`` varies among."""

    publisher: str
    writers: tuple[str, ...]
    """Demo account e-mails, bylined with their profile."""
    guests: tuple[str, ...]
    titles: tuple[str, ...]
    texts: tuple[str, ...]
    quotes: tuple[QuoteSpec, ...]

    def __post_init__(self) -> None:
        for name in ("titles", "texts", "quotes"):
            if not getattr(self, name):
                raise _Invalid("needs at least one", name)


@dataclass(frozen=True)
class Demo:
    password: str
    publishers: tuple[PublisherSpec, ...]
    accounts: tuple[AccountSpec, ...]
    guest_writers: tuple[str, ...]
    """Bylined by name, without a profile."""
    sources: tuple[SourceSpec, ...]
    streams: tuple[StreamSpec, ...]
    follows: tuple[FollowSpec, ...]
    bulk: BulkSpec

    def __post_init__(self) -> None:
        # seed_demo knows what it already wrote by these.
        for name, key in [
            ("publishers", "slug"),
            ("accounts", "email"),
            ("sources", "slug"),
            ("streams", "slug"),
        ]:
            if values := _repeated(getattr(spec, key) for spec in getattr(self, name)):
                raise _Invalid(f"{key} {values[0]!r} appears twice", name)
        self._check_references()

    def _check_references(self) -> None:
        publishers = {spec.slug for spec in self.publishers}
        emails = {spec.email for spec in self.accounts}
        guests = set(self.guest_writers)
        sources = {spec.slug for spec in self.sources}
        streams = {spec.slug for spec in self.streams}
        for i, account in enumerate(self.accounts):
            if account.publisher:
                where = ("accounts", _item(i, account.email), "publisher")
                _check_known(account.publisher, publishers, "a publisher", *where)
        for i, stream in enumerate(self.streams):
            at_stream = ("streams", _item(i, stream.slug))
            _check_known(stream.publisher, publishers, "a publisher", *at_stream, "publisher")
            for j, entry in enumerate(stream.entries):
                at_entry = (*at_stream, "entries", _item(j, entry.title))
                for k, name in enumerate(entry.bylines):
                    where = (*at_entry, "bylines", _item(k))
                    _check_known(name, emails | guests, "an account or a guest writer", *where)
                for k, block in enumerate(entry.blocks):
                    if isinstance(block, QuoteSpec):
                        where = (*at_entry, "blocks", _item(k), "source")
                        _check_known(block.source, sources, "a source", *where)
        for i, follow in enumerate(self.follows):
            at_follow = ("follows", _item(i))
            _check_known(follow.email, emails, "an account", *at_follow, "email")
            if follow.stream:
                _check_known(follow.stream, streams, "a stream", *at_follow, "stream")
            else:
                _check_known(follow.publisher, publishers, "a publisher", *at_follow, "publisher")
        _check_known(self.bulk.publisher, publishers, "a publisher", "bulk", "publisher")
        for i, email in enumerate(self.bulk.writers):
            _check_known(email, emails, "an account", "bulk", "writers", _item(i))
        for i, name in enumerate(self.bulk.guests):
            _check_known(name, guests, "a guest writer", "bulk", "guests", _item(i))
        for i, quote in enumerate(self.bulk.quotes):
            where = ("bulk", "quotes", _item(i), "source")
            _check_known(quote.source, sources, "a source", *where)

    def publisher(self, slug: str) -> PublisherSpec:
        return next(spec for spec in self.publishers if spec.slug == slug)

    def editor_of(self, publisher: str) -> AccountSpec:
        return next(
            spec
            for spec in self.accounts
            if spec.publisher == publisher and spec.role == Membership.Role.EDITOR
        )


def load_demo(path: Path | None = None) -> Demo:
    """The demo content in ``path`` (DEMO_FILE unless given); DemoDataError says what in it is
    wrong, and where."""
    path = path or DEMO_FILE
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise DemoDataError(f"{path}: {error}") from None
    try:
        return _build(Demo, data)
    except _Invalid as error:
        raise DemoDataError(f"{path}: {_where(error.place)}: {error.problem}") from None


# Reading tables into specs ---------------------------------------------------------------------


def _build(spec: type, table: object):
    if not isinstance(table, dict):
        raise _Invalid(f"should be a table, not {_describe(table)}")
    fields = {field.name: field for field in dataclasses.fields(spec)}
    for key in table:
        if key not in fields:
            raise _Invalid(f"unknown key {key!r}; expected one of: {', '.join(fields)}")
    for name, field in fields.items():
        required = field.default is field.default_factory is dataclasses.MISSING
        if required and name not in table:
            raise _Invalid(f"missing key {name!r}")
    hints = _type_hints(spec)
    values = {}
    for key, value in table.items():
        try:
            values[key] = _convert(hints[key], value)
        except _Invalid as error:
            error.place.insert(0, key)
            raise
    return spec(**values)


def _convert(hint: object, value: object) -> object:
    if typing.get_origin(hint) is types.UnionType:
        choices = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(choices) == 1:
            return _convert(choices[0], value)
        # A table is read as the spec it shares most keys with: a table with a misspelt key
        # is still read as the spec it was meant to be, which names the key as unknown.
        keys = set(value) if isinstance(value, dict) else set()
        return _convert(max(choices, key=lambda spec: len(keys & _field_names(spec))), value)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list):
            raise _Invalid(f"should be an array, not {_describe(value)}")
        items = []
        for i, item in enumerate(value):
            try:
                items.append(_convert(typing.get_args(hint)[0], item))
            except _Invalid as error:
                labels = [item.get(key) for key in ("slug", "email", "title")]
                error.place.insert(0, _item(i, *labels) if isinstance(item, dict) else _item(i))
                raise
        return tuple(items)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value)
    if hint is timedelta:
        return _timedelta(value)
    if hint is datetime:
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise _Invalid(
                "should be a date and time with its offset, like 2015-11-09T05:45:00Z, "
                f"not {_describe(value)}"
            )
        return value
    # Not isinstance: bool is an int to Python, not to TOML.
    if type(value) is not hint:
        raise _Invalid(f"should be {_TYPE_NAMES[hint]}, not {_describe(value)}")
    return value


_TYPE_NAMES = {str: "a string", int: "a whole number", bool: "true or false"}


def _timedelta(value: object) -> timedelta:
    units = ("days", "hours", "minutes")
    if not isinstance(value, dict) or not value:
        raise _Invalid(
            f"should be a table of {', '.join(units)}, like {{ hours = 14 }}, "
            f"not {_describe(value)}"
        )
    for key, amount in value.items():
        if key not in units:
            raise _Invalid(f"unknown unit {key!r}; expected one of: {', '.join(units)}")
        if type(amount) is not int or amount < 0:
            raise _Invalid(f"should be a whole number, 0 or more, not {_describe(amount)}", key)
    return timedelta(**value)


@functools.cache
def _type_hints(spec: type) -> dict[str, object]:
    return typing.get_type_hints(spec)


def _field_names(spec: type) -> set[str]:
    return {field.name for field in dataclasses.fields(spec)}


def _describe(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, date | time):
        return value.isoformat()
    return repr(value)


def _item(index: int, *labels: object) -> str:
    """An array item's place: its index, and the first of its labels that names it."""
    label = next((label for label in labels if isinstance(label, str) and label), "")
    return f"[{index}] ({label})" if label else f"[{index}]"


def _where(place: list[str]) -> str:
    """``streams[2] (arden-valley-floods) > entries[4] (…) > blocks[0] > source``."""
    if not place:
        return "top level"
    return "".join(
        part if part.startswith("[") or i == 0 else f" > {part}" for i, part in enumerate(place)
    )


# Checks ---------------------------------------------------------------------------------------


def _check_choice(key: str, value: str, choices: type, *, blank: bool = False) -> None:
    if value not in choices.values and not (blank and value == ""):
        allowed = ", ".join(repr(choice) for choice in choices.values)
        raise _Invalid(f"{value!r} is not one of {allowed}", key)


def _check_slug(key: str, value: str) -> None:
    if not slug_re.fullmatch(value):
        raise _Invalid(f"{value!r} is not a slug (letters, digits, - and _)", key)


def _check_known(value: str, known: set[str], what: str, *place: str) -> None:
    if value not in known:
        listed = ", ".join(sorted(known))
        raise _Invalid(f"{value!r} is not {what} in this file ({listed})", *place)


def _repeated(values: Iterable[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]
