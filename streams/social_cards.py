"""Social cards of streams and entries: what each shows, where it is kept, when it is drawn.

Every public stream and published entry has a card (``pressimus.lib.cards`` draws it), the
``og:image`` of its page. Members-only streams have none: a card is for sharing.

**Named by what it shows.** A card's name is a digest of its text (and of the drawing code's
version), and its address carries that digest (``card.png?v=…``). A page therefore links the
card of what it shows; any change (a title edited, a pin, the publisher renamed, the stream
ended) makes a new name and a new address, so caches keep each card forever and never hand
out a stale one. Computing the name costs no query and no drawing: pages stay as cheap.

**Drawn on demand.** The card's view draws it the first time its address is asked for, keeps
it in storage (``default_storage``, under ``cards/<stream id>/…``) and serves it from there
afterwards. Link previews are fetched by the crawlers of the sites a link is shared on, not by
readers, and drawing takes a few tens of milliseconds: that crawler waits, nobody else. Drawing
after every commit instead would slow each editor's save, and a renamed stream would redraw
the cards of all its entries, most of which nobody ever shares.

**Old cards go.** Drawing an entry's (or a stream's) new card deletes the ones it replaces;
deleting an entry, unpublishing it or making its stream members-only deletes its cards after
commit (``connect_receivers``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import dateformat

from pressimus.lib import cards
from streams.models import Entry, Publisher, Stream
from streams.search import untitled_heading

logger = logging.getLogger(__name__)

CARDS_DIR = "cards"
# Part of every card's name: change it when the drawing changes, and every card is redrawn.
DRAWING_VERSION = "1"
KEY_EVENT = "Key event"
# Words of an untitled entry its card shows (the drawing cuts what does not fit).
UNTITLED_WORDS = 30


@dataclass(frozen=True)
class SocialCard:
    text: cards.CardText
    directory: str
    path: str
    alt: str

    @property
    def digest(self) -> str:
        shown = [DRAWING_VERSION, cards.LAYOUT_ENGINE.name, asdict(self.text)]
        encoded = json.dumps(shown, ensure_ascii=False, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:24]

    @property
    def name(self) -> str:
        """Its file's name in storage."""
        return f"{self.directory}/{self.digest}.png"

    @property
    def url(self) -> str:
        """The address pages link: the view's, with the digest that names this very card."""
        return f"{self.path}?v={self.digest}"

    width = cards.WIDTH
    height = cards.HEIGHT


def _stream_directory(stream_id: int) -> str:
    return f"{CARDS_DIR}/{stream_id}"


def _entry_directory(stream_id: int, entry_id: int) -> str:
    return f"{_stream_directory(stream_id)}/entries/{entry_id}"


def has_card(stream: Stream) -> bool:
    """Whether the stream's pages have cards: it is shown, and not for members only."""
    return stream.visibility == Stream.Visibility.PUBLIC and stream.status in Stream.SHOWN_STATUSES


def _zone(publisher: Publisher) -> ZoneInfo:
    # The newsroom's zone (Publisher.time_zone), else the site's: a card is the same for
    # every reader, so never the reader's.
    return publisher.zone


def time_text(when: datetime, zone: ZoneInfo) -> str:
    """``23 December 2015, 20:55 MSK``: a date and time with its zone, for any reader."""
    local = when.astimezone(zone)
    name = local.tzname() or "UTC"
    # Zones without an abbreviation are named by their offset: "+03" reads "UTC+03".
    if not name[0].isalpha():
        name = f"UTC{name}"
    return f"{dateformat.format(local, 'j F Y, H:i')} {name}"


def _date_text(when: datetime, zone: ZoneInfo) -> str:
    return dateformat.format(when.astimezone(zone), "j F Y")


def _stream_when(stream: Stream, zone: ZoneInfo) -> str:
    start = _date_text(stream.started_at, zone) if stream.started_at else ""
    if stream.is_live:
        return f"Since {start}" if start else ""
    end = _date_text(stream.ended_at, zone) if stream.ended_at else ""
    if start and end and start != end:
        return f"{start} \N{EN DASH} {end}"
    return end or start


def stream_card(stream: Stream) -> SocialCard | None:
    """The card of a stream's page; None for a stream without one (see ``has_card``)."""
    if not has_card(stream):
        return None
    publisher = stream.publisher
    text = cards.CardText(
        headlines=(stream.title, publisher.name),
        tag="Live" if stream.is_live else "",
        eyebrow="Press stream" if stream.is_live else "Press stream, ended",
        byline=publisher.name,
        when=_stream_when(stream, _zone(publisher)),
    )
    return SocialCard(
        text=text,
        directory=f"{_stream_directory(stream.pk)}/stream",
        path=reverse("streams:stream_card", kwargs={"slug": stream.slug}),
        alt=f"{stream.title} — a press stream by {publisher.name}",
    )


def entry_card(entry: Entry, stream: Stream) -> SocialCard | None:
    """The card of an entry's permalink; None when its stream has none or it is not out."""
    if not has_card(stream) or not entry.is_visible:
        return None
    publisher = stream.publisher
    when = time_text(entry.published_at, _zone(publisher))
    headline = (
        entry.title
        or untitled_heading(entry.search_document, UNTITLED_WORDS)
        or f"Update of {when}"
    )
    text = cards.CardText(
        headlines=(headline, stream.title, publisher.name),
        tag=KEY_EVENT if entry.pinned else "",
        eyebrow=stream.title,
        byline=publisher.name,
        when=when,
    )
    alt = f"{headline} — {stream.title}, {publisher.name}, {when}"
    return SocialCard(
        text=text,
        directory=_entry_directory(stream.pk, entry.pk),
        path=reverse("streams:entry_card", kwargs={"slug": stream.slug, "pk": entry.pk}),
        alt=f"{KEY_EVENT}: {alt}" if entry.pinned else alt,
    )


# Storage ---------------------------------------------------------------------------------------


def card_png(card: SocialCard) -> bytes:
    """The card's PNG: from storage, or drawn now and kept, replacing its older versions."""
    name = card.name
    if default_storage.exists(name):
        with default_storage.open(name) as kept:
            return kept.read()
    data = cards.png(card.text)
    try:
        default_storage.save(name, ContentFile(data))
        # Also removes a copy saved under another name by a request that drew it meanwhile.
        _delete_files(card.directory, keep=name)
    except Exception:
        # Storage down or full: the card is served anyway, and kept by the next request.
        logger.exception("The social card %s could not be kept.", name)
    return data


def _delete_files(directory: str, *, keep: str = "") -> None:
    try:
        _subdirectories, files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for file_name in files:
        name = f"{directory}/{file_name}"
        if name != keep:
            default_storage.delete(name)


def _delete_tree(directory: str) -> None:
    try:
        subdirectories, _files = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for subdirectory in subdirectories:
        _delete_tree(f"{directory}/{subdirectory}")
    _delete_files(directory)


def entry_cards_delete(stream_id: int, entry_id: int) -> None:
    _delete_files(_entry_directory(stream_id, entry_id))


def stream_cards_delete(stream_id: int) -> None:
    """Every card of the stream and of its entries."""
    _delete_tree(_stream_directory(stream_id))


# Keeping storage tidy ----------------------------------------------------------------------------


def _after_commit(delete) -> None:
    transaction.on_commit(delete)


def _entry_saved(sender, instance: Entry, **kwargs) -> None:
    # A card is drawn only once an entry is out; an entry taken back leaves no card behind.
    # (One that was never out has none: its drafts' saves ask storage nothing.)
    if instance.status in Entry.UNPUBLISHED_STATUSES and instance.first_published_at:
        stream_id, entry_id = instance.stream_id, instance.pk
        _after_commit(lambda: entry_cards_delete(stream_id, entry_id))


def _entry_deleted(sender, instance: Entry, **kwargs) -> None:
    stream_id, entry_id = instance.stream_id, instance.pk
    _after_commit(lambda: entry_cards_delete(stream_id, entry_id))


def _stream_saved(sender, instance: Stream, **kwargs) -> None:
    if not has_card(instance):
        stream_id = instance.pk
        _after_commit(lambda: stream_cards_delete(stream_id))


def _stream_deleted(sender, instance: Stream, **kwargs) -> None:
    stream_id = instance.pk
    _after_commit(lambda: stream_cards_delete(stream_id))


def connect_receivers() -> None:
    post_save.connect(_entry_saved, sender=Entry, dispatch_uid="cards_entry_saved")
    post_delete.connect(_entry_deleted, sender=Entry, dispatch_uid="cards_entry_deleted")
    post_save.connect(_stream_saved, sender=Stream, dispatch_uid="cards_stream_saved")
    post_delete.connect(_stream_deleted, sender=Stream, dispatch_uid="cards_stream_deleted")
