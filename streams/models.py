from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from pressimus.lib.fields import PlainCharField, PlainTextField, RichTextField
from pressimus.lib.html import is_blank_html
from pressimus.lib.oembed import PROVIDER_CHOICES, PROVIDERS, VIDEO, PlayerFrame
from pressimus.lib.zones import known_zone, validate_time_zone

# Languages that quoted originals come in. Our own list, not settings.LANGUAGES, so
# that a Django upgrade renaming a language does not change a migration.
ORIGINAL_LANGUAGES = [
    ("ar", "Arabic"),
    ("hy", "Armenian"),
    ("az", "Azerbaijani"),
    ("be", "Belarusian"),
    ("zh-hans", "Chinese (Simplified)"),
    ("zh-hant", "Chinese (Traditional)"),
    ("cs", "Czech"),
    ("nl", "Dutch"),
    ("en", "English"),
    ("et", "Estonian"),
    ("fr", "French"),
    ("ka", "Georgian"),
    ("de", "German"),
    ("el", "Greek"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("kk", "Kazakh"),
    ("ko", "Korean"),
    ("ku", "Kurdish"),
    ("lv", "Latvian"),
    ("lt", "Lithuanian"),
    ("fa", "Persian"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sr", "Serbian"),
    ("sk", "Slovak"),
    ("es", "Spanish"),
    ("sv", "Swedish"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("ur", "Urdu"),
    ("uz", "Uzbek"),
]


def reads_members_only(user) -> bool:
    """Whether ``user`` may read members-only streams: anyone signed in with an active account."""
    return bool(user is not None and user.is_authenticated and user.is_active)


class PublisherQuerySet(models.QuerySet["Publisher"]):
    def with_follow_state(self, user) -> PublisherQuerySet:
        """Each publisher knows, as ``is_followed``, whether ``user`` follows it."""
        if not reads_members_only(user):
            return self
        return self.annotate(
            is_followed=Exists(Follow.objects.filter(user=user, publisher=OuterRef("pk")))
        )


class Publisher(models.Model):
    """Who runs streams: a journal, a newsroom, a newsletter."""

    name = PlainCharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    description = PlainTextField(
        blank=True, max_length=500, help_text="One or two sentences shown under the name."
    )
    logo = models.ImageField(upload_to="publishers/", blank=True)
    website = models.URLField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Where the newsroom works, e.g. Europe/London: its streams show their times in "
        "this zone to readers whose own zone is not known. Empty: the site's zone.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="publishers", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PublisherQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("streams:publisher", kwargs={"slug": self.slug})

    def get_follow_url(self) -> str:
        return reverse("streams:publisher_follow", kwargs={"slug": self.slug})

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.name.split()[:2]).upper() or "?"

    @property
    def zone(self) -> ZoneInfo:
        """The zone its pages show times in for readers without one of their own."""
        return known_zone(self.time_zone) or known_zone(settings.TIME_ZONE) or ZoneInfo("UTC")


class Membership(models.Model):
    class Role(models.TextChoices):
        EDITOR = "editor", "Editor"
        WRITER = "writer", "Writer"

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.WRITER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publisher", "user"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.publisher}"


class Source(models.Model):
    """An outlet that entries quote, with a page of its own across publishers."""

    class Kind(models.TextChoices):
        NEWS_AGENCY = "news_agency", "News agency"
        NEWSPAPER = "newspaper", "Newspaper or magazine"
        BROADCASTER = "broadcaster", "Broadcaster"
        STATE_MEDIA = "state_media", "State media"
        NGO = "ngo", "NGO"
        GOVERNMENT = "government", "Government or official body"
        MILITARY = "military", "Military"
        RESEARCH = "research", "Researcher or think tank"
        SOCIAL = "social", "Social media account"
        OTHER = "other", "Other"

    name = PlainCharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    home_page = models.URLField(blank=True)
    domain = models.CharField(max_length=253, blank=True, editable=False, db_index=True)
    description = PlainTextField(blank=True, max_length=500)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"],
                condition=~Q(domain=""),
                name="source_domain_unique",
                violation_error_message="A source with this web site already exists: "
                "merge the two instead of adding another.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                name="source_name_unique_ci",
                violation_error_message="A source with this name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.domain = normalised_domain(self.home_page)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("streams:source", kwargs={"slug": self.slug})

    def clean(self) -> None:
        # Computed here too, so that validation sees the domain that save will store.
        self.domain = normalised_domain(self.home_page)
        others = Source.objects.exclude(pk=self.pk)
        errors: dict[str, str] = {}
        if self.domain and (same := others.filter(domain=self.domain).first()):
            errors["home_page"] = (
                f"A source with this web site already exists: “{same.name}”. "
                "Pick it instead of adding another."
            )
        if self.name and (same := others.filter(name__iexact=self.name).first()):
            errors["name"] = f"A source with this name already exists: “{same.name}”."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None) -> None:
        # clean() already named the existing source for a clashing home page; the
        # constraint on the domain derived from it would only repeat that, less helpfully.
        exclude = set(exclude or ())
        if "home_page" in exclude:
            exclude.add("domain")
        super().validate_constraints(exclude=exclude)


def normalised_domain(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


class StreamQuerySet(models.QuerySet["Stream"]):
    def public(self) -> StreamQuerySet:
        """Streams any reader may see: not drafts, and not for members only."""
        return self.visible_to(None)

    def visible_to(self, user) -> StreamQuerySet:
        """Streams ``user`` may read: public ones, and members-only ones when signed in."""
        return self.filter(
            visibility__in=Stream.visibilities_for(user), status__in=Stream.SHOWN_STATUSES
        )

    def members_only(self) -> StreamQuerySet:
        """Streams that signed-in readers see and anonymous ones are asked to sign in for."""
        return self.filter(visibility=Stream.Visibility.MEMBERS, status__in=Stream.SHOWN_STATUSES)

    def followed_by(self, user) -> StreamQuerySet:
        """Streams ``user`` follows, by themselves or through their publisher."""
        follows = Follow.objects.filter(user=user)
        return self.filter(
            Q(pk__in=follows.filter(stream__isnull=False).values("stream_id"))
            | Q(publisher__in=follows.filter(publisher__isnull=False).values("publisher_id"))
        )

    def with_follow_state(self, user) -> StreamQuerySet:
        """Each stream knows, as ``is_followed``, whether ``user`` follows it."""
        if not reads_members_only(user):
            return self
        return self.annotate(
            is_followed=Exists(Follow.objects.filter(user=user, stream=OuterRef("pk")))
        )

    def with_publisher(self) -> StreamQuerySet:
        return self.select_related("publisher")

    def live_first(self) -> StreamQuerySet:
        return self.alias(
            is_ended=models.Case(models.When(status=Stream.Status.LIVE, then=0), default=1)
        ).order_by("is_ended", models.F("last_published_at").desc(nulls_last=True), "-id")


class Stream(models.Model):
    """A live, timestamped stream of entries about one unfolding story."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        MEMBERS = "members", "Members only"

    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="streams")
    title = PlainCharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = PlainTextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its newest entry was published."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StreamQuerySet.as_manager()

    # Drafts are for their publisher's eyes only, in the admin.
    SHOWN_STATUSES = (Status.LIVE, Status.ENDED)

    class Meta:
        ordering = [models.F("last_published_at").desc(nulls_last=True), "-id"]
        indexes = [models.Index(fields=["status", "visibility", "-last_published_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("streams:stream", kwargs={"slug": self.slug})

    def get_follow_url(self) -> str:
        return reverse("streams:stream_follow", kwargs={"slug": self.slug})

    @staticmethod
    def visibilities_for(user) -> list[str]:
        """The visibilities of the streams ``user`` may read."""
        if reads_members_only(user):
            return [Stream.Visibility.PUBLIC, Stream.Visibility.MEMBERS]
        return [Stream.Visibility.PUBLIC]

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def is_members_only(self) -> bool:
        return self.visibility == self.Visibility.MEMBERS

    def refresh_last_published(self) -> None:
        """Keep the denormalised time of the newest visible entry, which listings sort by."""
        newest = (
            self.entries.published()
            .order_by("-published_at")
            .values_list("published_at", flat=True)
        ).first()
        Stream.objects.filter(pk=self.pk).update(last_published_at=newest)
        self.last_published_at = newest


# The text-search configuration of entry documents (stemming, stop words).
SEARCH_CONFIG = "english"


def entry_search_vector() -> SearchVector:
    """The text-search vector of an entry's document.

    The GIN index and every search query build this one expression: PostgreSQL uses an
    expression index only for a query that repeats the indexed expression exactly.
    """
    return SearchVector("search_document", config=SEARCH_CONFIG)


class PostgresOnlyGinIndex(GinIndex):
    """A GIN index that only PostgreSQL builds; other databases (SQLite) skip it.

    A no-op statement rather than none at all, because SQLite rebuilds a table with
    every index of its model whenever a migration alters it, and would choke on GIN.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)


class EntryQuerySet(models.QuerySet["Entry"]):
    def published(self, now: datetime | None = None) -> EntryQuerySet:
        """Entries readers may see: published, or scheduled for a moment already past."""
        # "Published" entries are never in the future (Entry.save schedules those), so
        # only scheduled ones compare with now. That leaves paging cursors the one range
        # on published_at, which SQLite then walks in the index instead of scanning.
        return self.filter(
            Q(status=Entry.Status.PUBLISHED)
            | Q(status=Entry.Status.SCHEDULED, published_at__lte=now or timezone.now())
        )

    def for_stream(self, stream: Stream) -> EntryQuerySet:
        return self.filter(stream=stream)

    def in_public_streams(self) -> EntryQuerySet:
        return self.in_streams_visible_to(None)

    def in_streams_visible_to(self, user) -> EntryQuerySet:
        return self.filter(
            stream__visibility__in=Stream.visibilities_for(user),
            stream__status__in=Stream.SHOWN_STATUSES,
        )

    def seen_by_readers(self, now: datetime | None = None) -> EntryQuerySet:
        """Entries readers may have seen, visible now or not: their first moment has come."""
        return self.filter(first_published_at__lte=now or timezone.now())

    def newest_first(self) -> EntryQuerySet:
        return self.order_by("-published_at", "-id")

    def oldest_first(self) -> EntryQuerySet:
        return self.order_by("published_at", "id")

    def listed_for(self, user) -> EntryQuerySet:
        """Entries ``user`` may see in listings across streams (home, source and profile pages)."""
        return self.published().in_streams_visible_to(user).with_stream()

    def followed_by(self, user) -> EntryQuerySet:
        """Entries of the streams ``user`` follows, by themselves or through their publisher."""
        return self.filter(stream__in=Stream.objects.followed_by(user).values("pk"))

    def quoting(self, source: Source) -> EntryQuerySet:
        # A subquery rather than a join: an entry quoting a source twice is listed once.
        return self.filter(pk__in=Block.objects.filter(source=source).values("entry_id"))

    def bylined(self, profile) -> EntryQuerySet:
        return self.filter(pk__in=Byline.objects.filter(profile=profile).values("entry_id"))

    def for_display(self) -> EntryQuerySet:
        """Everything an entry's template touches, in a constant number of queries."""
        return self.prefetch_related(*ENTRY_DISPLAY_PREFETCHES)

    def with_stream(self) -> EntryQuerySet:
        return self.select_related("stream__publisher")


class Entry(models.Model):
    """One timestamped piece of press in a stream: blocks of text and quotes, then bylines."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="entries")
    title = PlainCharField(
        max_length=200, blank=True, help_text="Optional; give key events a title."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When readers see it; a future time schedules it."
    )
    pinned = models.BooleanField(default=False, help_text="Shown on top as a key event.")
    # Kept when the entry is unpublished: open pages are told to remove an entry readers may
    # have seen, and never told anything of one nobody has (a draft, a schedule withdrawn).
    first_published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When readers could first see it (a future time while only scheduled).",
    )
    updated_at = models.DateTimeField(
        null=True, blank=True, help_text="When a published entry was last corrected."
    )
    correction_note = PlainTextField(
        blank=True, max_length=1000, help_text="Shown publicly on the entry."
    )
    # Kept by streams.changes whenever a revision of the entry is recorded, so that a stream
    # page knows which entries offer "What changed" without a query per entry.
    changes_shown_from = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When its “What changed” page opens: once a second published version "
        "of it has reached readers.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who last submitted it for review.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_note = PlainCharField(
        max_length=300, blank=True, help_text="Why an editor sent it back to its writer."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who saved it last.",
    )
    # Counted up by the database on every save. A form carries the revision it was opened
    # at; a save based on an older one is refused (streams.services.entry_for_update), so
    # two people editing one entry never silently overwrite each other.
    revision = models.PositiveIntegerField(default=1, editable=False)
    # Title, text and quotes as plain text, kept by streams.search after every change.
    search_document = models.TextField(blank=True, editable=False)

    objects = EntryQuerySet.as_manager()

    # Readers never see these, whatever their publish time.
    UNPUBLISHED_STATUSES = (Status.DRAFT, Status.SUBMITTED)

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-published_at", "-id"]
        indexes = [
            # Pages read a stream newest first and filter the status as they go: nearly
            # every row is published, so an index in page order never has to sort.
            models.Index(fields=["stream", "-published_at", "-id"]),
            models.Index(
                fields=["stream", "-published_at", "-id"],
                condition=Q(pinned=True),
                name="entry_pinned_idx",
            ),
            models.Index(fields=["status", "-published_at"]),
            PostgresOnlyGinIndex(entry_search_vector(), name="entry_search_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]) | Q(published_at__isnull=False),
                name="entry_published_has_time",
                violation_error_message="A published or scheduled entry needs a publish time.",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"Entry {self.pk or '(new)'}"

    def save(self, *args, **kwargs) -> None:
        now = timezone.now()
        changed = []
        if (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > now
        ):
            self.status = self.Status.SCHEDULED
            changed.append("status")
        if self.note_first_publication(now):
            changed.append("first_published_at")
        adding = self._state.adding
        if not adding:
            # In the database, not from this object's copy: that may be older than the row.
            self.revision = models.F("revision") + 1
            changed.append("revision")
        if changed and (fields := kwargs.get("update_fields")) is not None:
            kwargs["update_fields"] = {*fields, *changed}
        super().save(*args, **kwargs)
        if not adding:
            self.refresh_from_db(fields=["revision"])

    def get_absolute_url(self) -> str:
        return reverse("streams:entry", kwargs={"slug": self.stream.slug, "pk": self.pk})

    def note_first_publication(self, now: datetime | None = None) -> bool:
        """Keep ``first_published_at`` true to the status and time; whether it changed.

        Until that moment has come nobody has seen the entry, so a new publish time moves it
        and going back to draft clears it; once it has come, it stays.
        """
        now = now or timezone.now()
        before = self.first_published_at
        if before is not None and before <= now:
            return False
        goes_out = self.status in (self.Status.PUBLISHED, self.Status.SCHEDULED)
        self.first_published_at = self.published_at if goes_out else None
        return self.first_published_at != before

    @property
    def is_visible(self) -> bool:
        return (
            self.status not in self.UNPUBLISHED_STATUSES
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def corrected_today(self) -> bool:
        """Whether the last correction is less than a day old: its time then needs no date."""
        return self.updated_at is not None and timezone.now() - self.updated_at < timedelta(days=1)

    @property
    def shows_changes(self) -> bool:
        """Whether readers are offered "What changed": its published versions and diffs."""
        return self.changes_shown_from is not None and self.changes_shown_from <= timezone.now()


IMAGE_MISSING = "An image block needs an image: choose a file to upload."
ALT_TEXT_MISSING = "Describe the image for readers who cannot see it: alt text is required."
EMBED_MISSING = (
    "An embed block needs a post or video: paste its address (YouTube, Vimeo, X, Bluesky, "
    "Mastodon or Telegram) and save, so that it is fetched."
)


class Block(models.Model):
    """One piece of an entry's body, in order.

    Every kind lives in this one table so that an entry's whole body is read in
    one query; a new kind is a choice here, its fields, a rule in ``clean`` and
    a template ``includes/blocks/<kind>.html``.
    """

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        QUOTE = "quote", "Quote"
        IMAGE = "image", "Image"
        EMBED = "embed", "Embed (post or video)"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = RichTextField(
        blank=True,
        help_text="For text: the writer's own words. For a quote: the quoted text "
        "(in English, when translated).",
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, null=True, blank=True, related_name="quotes"
    )
    cited_url = models.URLField(
        "cited article", max_length=1000, blank=True, help_text="The quoted article's address."
    )
    original = RichTextField(
        "original text", blank=True, help_text="For a translated quote: the text as published."
    )
    original_language = models.CharField(
        max_length=10,
        blank=True,
        choices=ORIGINAL_LANGUAGES,
        help_text="The language of the original text.",
    )
    # The image is the largest rendition; ``renditions`` lists every size made of the
    # upload as {"width", "height", "name"}, smallest first. The upload itself is never kept.
    image = models.ImageField(upload_to="entries/%Y/%m/", blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    renditions = models.JSONField(default=list, blank=True, editable=False)
    caption = PlainTextField(blank=True, max_length=500)
    credit = PlainCharField(
        blank=True, max_length=200, help_text="Who took or owns the image, shown as “Credit: …”."
    )
    alt_text = PlainCharField(
        "alt text",
        blank=True,
        max_length=300,
        help_text="What the image shows, for readers who cannot see it.",
    )
    # An embed: a post or video on another site, as pressimus.lib.oembed fetched it. Readers get
    # a card of ours (the thumbnail is a copy we re-encoded); the player, at an address built
    # from the provider's id, loads only when they ask.
    embed_url = models.URLField(
        "embed URL",
        max_length=1000,
        blank=True,
        help_text="The address of a post or video on YouTube, Vimeo, X, Bluesky, Mastodon or "
        "Telegram. Its title, author and thumbnail are fetched when you save.",
    )
    embed_provider = models.CharField(
        max_length=20, blank=True, choices=PROVIDER_CHOICES, editable=False
    )
    embed_title = PlainCharField(max_length=300, blank=True, editable=False)
    embed_author_name = PlainCharField(max_length=200, blank=True, editable=False)
    embed_author_url = models.URLField(max_length=1000, blank=True, editable=False)
    embed_player_url = models.URLField(max_length=1000, blank=True, editable=False)
    embed_thumbnail = models.ImageField(upload_to="embeds/%Y/%m/", blank=True, editable=False)
    embed_thumbnail_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    embed_thumbnail_height = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["entry", "position"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} block {self.position}"

    @property
    def image_url(self) -> str:
        """The address of the largest rendition."""
        if self.renditions:
            return default_storage.url(self.renditions[-1]["name"])
        return self.image.url if self.image else ""

    @property
    def srcset(self) -> str:
        """Every rendition for ``<img srcset>``: "url 480w, url 960w, …"."""
        return ", ".join(
            f"{default_storage.url(rendition['name'])} {rendition['width']}w"
            for rendition in self.renditions
        )

    @property
    def template_name(self) -> str:
        return f"includes/blocks/{self.kind}.html"

    @property
    def original_language_name(self) -> str:
        return self.get_original_language_display()

    @property
    def embed_is_video(self) -> bool:
        """Whether the embed is a video (a "Play video" card) rather than a post."""
        provider = PROVIDERS.get(self.embed_provider)
        return provider is not None and provider.shape == VIDEO

    @property
    def embed_frame(self) -> PlayerFrame | None:
        """What the embed's player frame may do (its sandbox, features and referrer)."""
        provider = PROVIDERS.get(self.embed_provider)
        return provider.frame if provider is not None else None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind in (self.Kind.TEXT, self.Kind.QUOTE) and is_blank_html(self.body or ""):
            errors["body"] = (
                "This block is empty: write its text. (Markup that is not allowed, "
                "such as scripts, is removed.)"
            )
        if self.kind == self.Kind.QUOTE:
            if self.source_id is None:
                errors["source"] = "A quote needs a source: pick the outlet it comes from."
            if self.original and not self.original_language:
                errors["original_language"] = "Say which language the original text is in."
            if self.original_language and is_blank_html(self.original or ""):
                errors["original"] = "Give the original text, or clear its language."
        if self.kind == self.Kind.IMAGE:
            if not self.image:
                # Not keyed to "image": forms upload through a field of their own.
                errors[NON_FIELD_ERRORS] = IMAGE_MISSING
            if not self.alt_text:
                errors["alt_text"] = ALT_TEXT_MISSING
        # Fetched means its provider answered and the player's address was built from its id.
        if self.kind == self.Kind.EMBED and not (self.embed_provider and self.embed_player_url):
            errors["embed_url"] = EMBED_MISSING
        if errors:
            raise ValidationError(errors)


class Byline(models.Model):
    """Who wrote an entry, in order: a person with a profile, or a plain name."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="bylines")
    position = models.PositiveIntegerField(default=0)
    profile = models.ForeignKey(
        "accounts.Profile",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bylines",
    )
    name = PlainCharField(
        max_length=100, blank=True, help_text="For a guest writer without a profile."
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["entry", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(profile__isnull=True, name=""),
                name="byline_has_profile_or_name",
                violation_error_message="A byline needs a person or a name.",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.profile.display_name if self.profile_id else self.name

    def clean(self) -> None:
        if self.profile_id is None and not self.name:
            raise ValidationError("Pick a person or type a name for this byline.")


class FollowQuerySet(models.QuerySet["Follow"]):
    def shown_to(self, user) -> FollowQuerySet:
        """What ``user`` follows and may still read, with what a list of it shows."""
        return (
            self.filter(user=user)
            .filter(
                Q(publisher__isnull=False)
                | Q(
                    stream__visibility__in=Stream.visibilities_for(user),
                    stream__status__in=Stream.SHOWN_STATUSES,
                )
            )
            .select_related("stream__publisher", "publisher")
            .order_by("-created_at", "-id")
        )


class Follow(models.Model):
    """A signed-in reader following a stream or a whole publisher."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    stream = models.ForeignKey(
        Stream, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    publisher = models.ForeignKey(
        Publisher, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stream__isnull=True, publisher__isnull=False)
                | Q(stream__isnull=False, publisher__isnull=True),
                name="follow_one_target",
                violation_error_message="Follow either a stream or a publisher.",
            ),
            models.UniqueConstraint(
                fields=["user", "stream"],
                condition=Q(stream__isnull=False),
                name="follow_stream_once",
            ),
            models.UniqueConstraint(
                fields=["user", "publisher"],
                condition=Q(publisher__isnull=False),
                name="follow_publisher_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.stream or self.publisher}"


ENTRY_DISPLAY_PREFETCHES = (
    Prefetch("blocks", queryset=Block.objects.select_related("source")),
    Prefetch("bylines", queryset=Byline.objects.select_related("profile")),
)
