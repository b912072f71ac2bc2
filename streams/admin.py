"""The editorial back office: every streams ModelAdmin is scoped by ``admin_scoping``.

Status changes go through the buttons and actions, each calling a service in
``streams.services``; the admin never sets a status itself.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django_prose_editor.widgets import AdminProseEditorWidget
from reversion.admin import VersionAdmin
from reversion.models import Version

from accounts.admin import ProfileAdmin
from accounts.models import Profile
from pressimus.lib.images import validate_entry_image
from pressimus.lib.zones import time_zone_choices
from streams import presence, services
from streams.admin_scoping import (
    PublisherScopedAdmin,
    PublisherScopedInline,
    byline_profiles_for,
    editor_publisher_ids,
    is_editor,
    is_editor_of,
    is_superuser,
    may_change_entry,
    roles,
    streams_for,
)
from streams.desk import DeskViews
from streams.models import (
    EMBED_MISSING,
    Block,
    Byline,
    Entry,
    Membership,
    Publisher,
    Source,
    Stream,
)

# What the rich-text editor offers; the server still sanitises with RichTextField.
PROSE_EDITOR_CONFIG = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Link": {"enableTarget": False},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Heading": {"levels": [2, 3]},
        "Blockquote": True,
        "HardBreak": True,
    }
}


class ProseEditorWidget(AdminProseEditorWidget):
    """The package's admin widget, with our stylesheet after the package's own.

    Added to the widget's media (not to the admin's pages) so that it follows the editor
    wherever it is used. Django orders merged media only by the lists they come in: ours
    names the package's stylesheets too, so it lands after them, whose rules it overrides.
    """

    @property
    def media(self) -> forms.Media:
        ours = [
            "django_prose_editor/editor.css",
            "django_prose_editor/overrides.css",
            "css/admin-prose.css",
        ]
        return super().media + forms.Media(css={"all": ours})


def prose_editor() -> ProseEditorWidget:
    return ProseEditorWidget(config=PROSE_EDITOR_CONFIG, preset="configurable")


# Publishers -----------------------------------------------------------------------------


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class PublisherForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=lambda: [("", f"Same as the site ({settings.TIME_ZONE})"), *time_zone_choices()],
        help_text=Publisher._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = Publisher
        fields = ["name", "slug", "description", "logo", "website", "time_zone"]


@admin.register(Publisher)
class PublisherAdmin(PublisherScopedAdmin):
    form = PublisherForm
    publisher_field = "pk"
    list_display = ["name", "slug", "website", "member_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Publisher]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    def get_inlines(self, request: HttpRequest, obj: Publisher | None):
        # Who is an editor is decided by staff with full rights, never by editors.
        return [MembershipInline] if is_superuser(request) else []

    def member_may_add(self, request: HttpRequest) -> bool:
        return False

    def member_may_delete(self, request: HttpRequest, obj) -> bool:
        return False

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, publisher: Publisher) -> int:
        return publisher.member_count


# Sources --------------------------------------------------------------------------------


class MergeSourcesForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Source.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Keep this source",
        help_text="Every quote of the others moves to it; the others are deleted.",
    )


@admin.register(Source)
class SourceAdmin(PublisherScopedAdmin):
    # Sources are shared by every publisher: any member picks or creates them.
    publisher_field = None
    list_display = ["name", "kind", "domain", "quote_count"]
    list_filter = ["kind"]
    search_fields = ["name", "domain", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["domain"]
    actions = ["merge"]
    # Annotated querysets drop Meta.ordering; pages and autocomplete need a stable order.
    ordering = ["name", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(quote_count=Count("quotes"))

    def member_may_add(self, request: HttpRequest) -> bool:
        return True

    def member_may_delete(self, request: HttpRequest, obj) -> bool:
        # Quotes of every publisher point at sources; merging is the way to remove one.
        return False

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not is_editor(request):
            actions.pop("merge", None)
        return actions

    @admin.display(description="Quotes", ordering="quote_count")
    def quote_count(self, source: Source) -> int:
        return source.quote_count

    @admin.action(description="Merge selected into one")
    def merge(self, request: HttpRequest, queryset: QuerySet[Source]) -> HttpResponse | None:
        if not is_editor(request):
            raise PermissionDenied
        sources = list(queryset.order_by("name", "pk"))
        if len(sources) < 2:
            self.message_user(request, "Select at least two sources to merge.", messages.WARNING)
            return None
        form = MergeSourcesForm(request.POST if "keep" in request.POST else None)
        form.fields["keep"].queryset = queryset
        if form.is_valid():
            keep = form.cleaned_data["keep"]
            duplicates = [source for source in sources if source.pk != keep.pk]
            moved = services.sources_merge(keep=keep, duplicates=duplicates)
            self.message_user(
                request,
                f"Merged {len(duplicates)} source(s) into “{keep.name}”; moved {moved} quote(s).",
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/streams/source/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": "Merge sources",
                "opts": self.opts,
                "form": form,
                "sources": sources,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


# Streams --------------------------------------------------------------------------------


@admin.register(Stream)
class StreamAdmin(PublisherScopedAdmin):
    publisher_field = "publisher"
    list_display = [
        "title", "desk_link", "publisher", "status", "visibility", "entry_count",
        "last_published_at", "view_link",
    ]  # fmt: skip
    list_filter = ["status", "visibility"]
    list_select_related = ["publisher"]
    ordering = ["-last_published_at", "-pk"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    # Opening and ending go through the actions, which keep the times with the status.
    readonly_fields = [
        "status", "started_at", "ended_at", "last_published_at", "created_at", "updated_at"
    ]  # fmt: skip
    actions = ["open_streams", "end_streams", "reopen_streams"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Stream]:
        visible = Q(entries__status__in=[Entry.Status.PUBLISHED, Entry.Status.SCHEDULED])
        return super().get_queryset(request).annotate(entry_count=Count("entries", filter=visible))

    @admin.display(description="Entries", ordering="entry_count")
    def entry_count(self, stream: Stream) -> int:
        return stream.entry_count

    @admin.display(description="On site")
    def view_link(self, stream: Stream) -> str:
        return format_html('<a href="{}">View on site</a>', stream.get_absolute_url())

    @admin.display(description="Desk")
    def desk_link(self, stream: Stream) -> str:
        return format_html(
            '<a class="desk-link" href="{}">Open desk</a>',
            reverse("admin:streams_stream_desk", args=[stream.pk]),
        )

    # The desk: streams.desk ------------------------------------------------------------

    def get_urls(self):
        views = DeskViews(self)

        def desk(route: str, view, name: str):
            return path(
                f"<path:object_id>/desk/{route}",
                self.admin_site.admin_view(view),
                name=f"streams_stream_{name}",
            )

        return [
            desk("", views.page, "desk"),
            desk("composer/", views.composer, "desk_composer"),
            desk("feed/", views.feed, "desk_feed"),
            desk("sources/", views.sources, "desk_sources"),
            path(
                "<path:object_id>/desk/entries/<int:entry_id>/<slug:action>/",
                self.admin_site.admin_view(views.act),
                name="streams_stream_desk_act",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["desk_url"] = reverse("admin:streams_stream_desk", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _each_editable(self, request: HttpRequest, queryset: QuerySet[Stream], service, verb: str):
        done = 0
        for stream in queryset:
            if not is_editor_of(request, stream.publisher_id):
                continue
            try:
                service(stream=stream)
            except ValidationError as error:
                self.message_user(
                    request, f"“{stream}”: {' '.join(error.messages)}", messages.ERROR
                )
            else:
                done += 1
        self.message_user(request, f"{verb} {done} stream(s).", messages.SUCCESS)

    @admin.action(description="Open selected streams (live)")
    def open_streams(self, request: HttpRequest, queryset: QuerySet[Stream]) -> None:
        self._each_editable(request, queryset, services.stream_open, "Opened")

    @admin.action(description="End selected streams")
    def end_streams(self, request: HttpRequest, queryset: QuerySet[Stream]) -> None:
        self._each_editable(request, queryset, services.stream_end, "Ended")

    @admin.action(description="Reopen selected streams")
    def reopen_streams(self, request: HttpRequest, queryset: QuerySet[Stream]) -> None:
        self._each_editable(request, queryset, services.stream_reopen, "Reopened")

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not is_editor(request):
            for name in ("open_streams", "end_streams", "reopen_streams"):
                actions.pop(name, None)
        return actions


# Entries --------------------------------------------------------------------------------

# The name of each listed entry's hidden revision in the entry list (see status_shown).
LISTED_REVISION_PREFIX = "_listed_revision_"

# The buttons of the entry form, by the name of what they ask for.
DRAFT, SUBMIT, PUBLISH, SCHEDULE, UNPUBLISH, SAVE = (
    "draft", "submit", "publish", "schedule", "unpublish", "save"
)  # fmt: skip
EDITOR_ACTIONS = {PUBLISH, SCHEDULE, UNPUBLISH}
BUTTON_LABELS = {
    DRAFT: "Save draft",
    SUBMIT: "Submit for review",
    SCHEDULE: "Schedule",
    PUBLISH: "Publish now",
    UNPUBLISH: "Unpublish (back to draft)",
    SAVE: "Save changes",
}


def requested_action(request: HttpRequest) -> str:
    action = request.POST.get("_action", SAVE)
    return action if action in BUTTON_LABELS else SAVE


class ActionRefused(Exception):
    """A service refused the button's action after the forms were saved: roll back."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error)
        self.messages = error.messages


STALE_FORM_HELP = (
    "Your version is below as you left it, and theirs above it. Save again to replace theirs "
    "with yours, or reload the page to start from theirs."
)


class EntryForm(forms.ModelForm):
    # The revision this form was opened at: a save based on an older one is refused.
    based_on_revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    correction = forms.CharField(
        label="Correction note (shown publicly)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="Optional. Say what changed; readers see it with the time of this edit.",
    )

    # Set per request by EntryAdmin.get_form.
    admin_request: HttpRequest | None = None

    class Meta:
        model = Entry
        fields = ["stream", "title", "published_at", "pinned"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Who saved it in between, when a save was refused for that reason.
        self.conflict: services.EntryChanged | None = None
        if self.instance.pk and not self.is_bound:
            self.fields["based_on_revision"].initial = self._stored_revision()

    def _stored_revision(self) -> int:
        # On reversion's "revert to this version" page the row holds the old version, its
        # revision number included, until the page's transaction ends; EntryAdmin
        # .revision_view noted (and locked) the revision stored before.
        before_revert = getattr(self.admin_request, "_revision_before_revert", None)
        return before_revert if before_revert is not None else self.instance.revision

    def _check_revision(self, cleaned: dict) -> None:
        """Lock the entry and refuse a save based on an older revision than the stored one.

        The lock holds until the admin's transaction ends, so nobody saves in between.
        """
        based_on = cleaned.get("based_on_revision")
        try:
            if getattr(self.admin_request, "_revision_before_revert", None) is None:
                services.entry_for_update(self.instance, based_on)
            elif self._stored_revision() != based_on:
                raise services.EntryChanged(
                    Entry.objects.select_related("modified_by__profile").get(pk=self.instance.pk)
                )
        except services.EntryChanged as changed:
            self.conflict = changed
            # Shown theirs now, the person may save again on purpose: the form carries the
            # revision they have seen.
            self.data = self.data.copy()
            self.data[self.add_prefix("based_on_revision")] = str(
                getattr(self.admin_request, "_revision_before_revert", None)
                or changed.current.revision
            )
            raise ValidationError(f"{changed.message} {STALE_FORM_HELP}") from None

    def clean_published_at(self):
        when = self.cleaned_data.get("published_at")
        stored = self.instance.published_at if self.instance.pk else None
        # The widget shows whole seconds. Saving an edit must keep the stored time, or the
        # entry would move among those published in the same second after readers had it.
        if when is not None and stored is not None and when == stored.replace(microsecond=0):
            return stored
        return when

    def clean(self):
        cleaned = super().clean()
        request = self.admin_request
        if request is None or request.method != "POST":
            return cleaned
        if self.instance.pk:
            if cleaned.get("based_on_revision") is None:
                # A form from before revisions were sent, or one tampered with.
                raise ValidationError(
                    "This form is out of date: reload the page to edit the entry as it is now."
                )
            self._check_revision(cleaned)
        refusal = getattr(request, "_entry_refusal", None)
        if refusal:
            raise ValidationError(refusal)
        action = requested_action(request)
        stream = cleaned.get("stream") or (self.instance.stream if self.instance.pk else None)
        if action in EDITOR_ACTIONS and stream and not is_editor_of(request, stream.publisher_id):
            raise ValidationError(
                f"Only an editor of {stream.publisher} can publish or schedule entries: "
                "use “Submit for review”."
            )
        moved = self.instance.pk and stream and stream.pk != self.instance.stream_id
        out = self.instance.status not in Entry.UNPUBLISHED_STATUSES
        if moved and out and not is_editor_of(request, stream.publisher_id):
            self.add_error("stream", f"Only an editor of {stream.publisher} can move it there.")
        if "published_at" in self.fields:
            when = cleaned.get("published_at")
            if action == SCHEDULE and (when is None or when <= timezone.now()):
                self.add_error(
                    "published_at", "To schedule this entry, pick a publish time in the future."
                )
            status = self.instance.status
            goes_out = status in (Entry.Status.PUBLISHED, Entry.Status.SCHEDULED)
            if when is None and goes_out and action != UNPUBLISH:
                self.add_error(
                    "published_at", "A published or scheduled entry needs a publish time."
                )
        return cleaned


class BlockForm(forms.ModelForm):
    upload = forms.FileField(
        label="Image file",
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
        help_text="JPEG, PNG, WebP or GIF. It is checked, stripped of metadata and resized.",
    )
    # Text rather than a URL field: "youtu.be/…" pasted without its scheme is fine too.
    embed_url = forms.CharField(
        label="Embed URL",
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"inputmode": "url", "size": 60, "spellcheck": "false"}),
        help_text=Block._meta.get_field("embed_url").help_text,
    )

    # Set per request by BlockInline.get_formset.
    admin_request: HttpRequest | None = None
    # What fetching refused, and what it found to store on save.
    _embed_refusal: ValidationError | None = None
    _embed: services.EmbedBlock | None = None

    class Meta:
        model = Block
        fields = [
            "position", "kind", "body", "source", "cited_url", "original", "original_language",
            "alt_text", "caption", "credit", "embed_url",
        ]  # fmt: skip
        widgets = {"body": prose_editor(), "original": prose_editor()}

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            validate_entry_image(upload)
            upload.seek(0)
        return upload

    def clean(self):
        cleaned = super().clean()
        self._image_before = self.instance.image
        if cleaned.get("upload") and not self.instance.image:
            # The picture is stored after the block (block_image_store); until then the
            # model's own check that an image block has an image must see that one comes.
            self.instance.image = cleaned["upload"].name
        if cleaned.get("kind") == Block.Kind.EMBED:
            self._clean_embed(cleaned)
        elif "embed_url" in cleaned:
            # The hidden field of another kind: the block keeps the address it had.
            cleaned["embed_url"] = self.instance.embed_url
        return cleaned

    def _clean_embed(self, cleaned: dict) -> None:
        url = (cleaned.get("embed_url") or "").strip()
        block = self.instance
        if not url:
            # Refused here, not by the model: a stored embed would otherwise lose its address.
            self._embed_refusal = ValidationError(EMBED_MISSING)
            self.add_error("embed_url", self._embed_refusal)
            return
        if block.pk and url == block.embed_url and block.embed_player_url:
            return
        try:
            embed = embed_for(self.admin_request, url)
        except ValidationError as refusal:
            self._embed_refusal = refusal
            self.add_error("embed_url", refusal)
            return
        cleaned["embed_url"] = embed.url
        # Stored on save (block_embed_store); the model's check must see what will be there.
        block.embed_provider, block.embed_player_url = embed.provider, embed.player_url
        self._embed = embed

    def _post_clean(self):
        super()._post_clean()
        if self._embed_refusal is not None:
            # The model's "needs a post or video" would only repeat why, less precisely.
            self._errors["embed_url"] = self.error_class(self._embed_refusal.messages)

    def save(self, commit: bool = True):
        upload = self.cleaned_data.get("upload")
        if hasattr(self, "_image_before"):
            self.instance.image = self._image_before
        if upload:
            # In the admin's transaction: a rollback deletes the stored renditions too.
            services.block_image_store(block=self.instance, upload=upload)
        if self._embed is not None:
            # Likewise: a rollback deletes the stored thumbnail.
            services.block_embed_store(block=self.instance, embed=self._embed)
        return super().save(commit)


def embeds_prefetch(request: HttpRequest) -> None:
    """Fetch the embeds a POST of the entry form asks for, before the admin's transaction.

    The admin validates and saves a change form inside one transaction; fetching there would
    keep it open, and whatever rows it locked, while a provider takes its time. Called first
    (EntryAdmin's add and change views), this fetches each new embed address of the POST;
    ``BlockForm`` then takes the answers from the request instead of fetching itself.
    """
    if request.method != "POST":
        return
    wanted: dict[str, str] = {}
    for key, url in request.POST.items():
        prefix = key.removesuffix("-embed_url")
        if not key.startswith("blocks-") or prefix == key or not url.strip():
            continue
        if request.POST.get(f"{prefix}-kind") == Block.Kind.EMBED and not request.POST.get(
            f"{prefix}-DELETE"
        ):
            wanted[prefix] = url.strip()
    ids = [request.POST.get(f"{prefix}-id") for prefix in wanted]
    stored = set(
        Block.objects.filter(pk__in=[pk for pk in ids if pk and pk.isdigit()])
        .exclude(embed_player_url="")
        .values_list("embed_url", flat=True)
    )
    found: dict[str, services.EmbedBlock | ValidationError] = {}
    for url in dict.fromkeys(wanted.values()):
        if url in stored:
            continue
        try:
            found[url] = services.embed_fetch(url=url)
        except ValidationError as refusal:
            found[url] = refusal
    request.prefetched_embeds = found


def embed_for(request: HttpRequest | None, url: str) -> services.EmbedBlock:
    """The embed at ``url``: as ``embeds_prefetch`` found it for this request, else fetched now."""
    found = getattr(request, "prefetched_embeds", {}).get(url)
    if found is None:
        return services.embed_fetch(url=url)
    if isinstance(found, ValidationError):
        raise found
    return found


class BlockInlineFormSet(BaseInlineFormSet):
    # Set per request by BlockInline.get_formset.
    admin_request: HttpRequest | None = None

    def clean(self) -> None:
        super().clean()
        request = self.admin_request
        action = requested_action(request) if request and request.method == "POST" else DRAFT
        goes_out = action in (SUBMIT, PUBLISH, SCHEDULE) or (
            action == SAVE and self.instance.status != Entry.Status.DRAFT
        )
        if not goes_out or any(form.errors for form in self.forms):
            return
        kept = [
            form
            for form in self.forms
            if (form.instance.pk or form.has_changed()) and not self._should_delete_form(form)
        ]
        if not kept:
            raise ValidationError(
                "An entry needs at least one block before it is submitted or published: "
                "write its text, add a quote or an image."
            )


class BlockInline(PublisherScopedInline, admin.StackedInline):
    model = Block
    form = BlockForm
    formset = BlockInlineFormSet
    extra = 0
    min_num = 1
    autocomplete_fields = ["source"]
    readonly_fields = ["image_preview", "embed_preview"]
    fieldsets = [
        (None, {"fields": ["position", "kind", "body"]}),
        (
            "Quote",
            {
                "classes": ["block-quote-fields"],
                "fields": ["source", "cited_url", "original", "original_language"],
            },
        ),
        (
            "Image",
            {
                "classes": ["block-image-fields"],
                "fields": ["upload", "image_preview", "alt_text", "caption", "credit"],
            },
        ),
        (
            "Embed",
            {"classes": ["block-embed-fields"], "fields": ["embed_url", "embed_preview"]},
        ),
    ]

    class Media:
        js = ["js/admin-blocks.js"]

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.admin_request = request
        # The factory made a form class for this request alone.
        formset.form.admin_request = request
        return formset

    @admin.display(description="Fetched")
    def embed_preview(self, block: Block) -> str:
        if not block.embed_player_url:
            return "—"
        thumbnail = (
            format_html(
                '<img src="{}" alt="" width="160" loading="lazy"><br>', block.embed_thumbnail.url
            )
            if block.embed_thumbnail
            else ""
        )
        return format_html(
            '{}<a href="{}" rel="nofollow noopener">{}</a><br>{}{}',
            thumbnail,
            block.embed_url,
            block.embed_title,
            block.get_embed_provider_display(),
            f" · {block.embed_author_name}" if block.embed_author_name else "",
        )

    @admin.display(description="Current image")
    def image_preview(self, block: Block) -> str:
        if not block.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="240" loading="lazy">', block.image.url, block.alt_text
        )


class NamedRowsFormSet(BaseInlineFormSet):
    """A table's fields say what they are: a screen reader on a row hears the field's name,
    which the admin's tabular inline shows only as a column heading."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        row = "new row" if index is None else f"row {index + 1}"
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", f"{field.label}, {row}")


class BylineInline(PublisherScopedInline, admin.TabularInline):
    model = Byline
    formset = NamedRowsFormSet
    extra = 0
    autocomplete_fields = ["profile"]
    fields = ["position", "profile", "name"]


class StreamFilter(admin.SimpleListFilter):
    title = "stream"
    parameter_name = "stream"

    def lookups(self, request, model_admin):
        return [(str(stream.pk), stream.title) for stream in streams_for(request)]

    def queryset(self, request, queryset):
        return queryset.filter(stream_id=self.value()) if self.value() else queryset


class BylineFilter(admin.SimpleListFilter):
    title = "byline"
    parameter_name = "byline"

    def lookups(self, request, model_admin):
        return [
            (str(profile.pk), profile.display_name)
            for profile in byline_profiles_for(request).order_by("display_name")
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(pk__in=Byline.objects.filter(profile=self.value()).values("entry"))


@admin.register(Entry)
class EntryAdmin(PublisherScopedAdmin, VersionAdmin):
    publisher_field = "stream__publisher"
    form = EntryForm
    list_display = [
        "__str__", "stream", "status_shown", "published_at", "pinned", "byline_names",
        "modified_at", "view_link",
    ]  # fmt: skip
    list_filter = [StreamFilter, "status", "pinned", BylineFilter]
    list_select_related = ["stream__publisher"]
    search_fields = ["title", "blocks__body"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["stream"]
    inlines = [BlockInline, BylineInline]
    actions = ["publish_now", "unpublish", "pin", "unpin"]

    class Media:
        # The action buttons (submit_line.html), here rather than in change_form.html: the
        # revision and recover forms render the same buttons from reversion's templates.
        css = {"all": ["css/admin-entry.css"]}
        js = ["js/admin-labels.js"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(getattr(field, "widget", None), forms.SplitDateTimeWidget):
            # The admin's label points at neither box of a date and time: each names itself.
            date, time = field.widget.widgets
            date.attrs["aria-label"] = f"{field.label}: date"
            time.attrs["aria-label"] = f"{field.label}: time"
        return field

    # Permissions ----------------------------------------------------------------------

    def member_may_add(self, request: HttpRequest) -> bool:
        return True

    def member_may_change(self, request: HttpRequest, obj: Entry | None) -> bool:
        if obj is None:
            return True
        return may_change_entry(request, obj)

    # Form -----------------------------------------------------------------------------

    def get_fields(self, request: HttpRequest, obj: Entry | None = None):
        fields = ["stream", "title", "status", "published_at", "pinned", "correction_note"]
        if obj is not None:
            fields.append("based_on_revision")
        if obj is not None and obj.status == Entry.Status.PUBLISHED:
            fields.append("correction")
        if obj is not None and obj.submitted_by_id:
            fields += ["submitted_by", "submitted_at"]
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Entry | None = None):
        readonly = ["status", "correction_note", "submitted_by", "submitted_at", "updated_at"]
        publisher_id = obj.stream.publisher_id if obj else None
        editor = is_editor_of(request, publisher_id) if obj else is_editor(request)
        if not editor:
            # Writers write; when and how prominently it goes out is the editors' call.
            readonly += ["published_at", "pinned"]
        return readonly

    def get_form(self, request: HttpRequest, obj: Entry | None = None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_request = request
        return form

    def get_changeform_initial_data(self, request: HttpRequest):
        initial = super().get_changeform_initial_data(request)
        if "stream" not in initial:
            streams = list(streams_for(request)[:2])
            if len(streams) == 1:
                initial["stream"] = streams[0].pk
        return initial

    def entry_buttons(self, request: HttpRequest, obj: Entry | None) -> list[tuple[str, str]]:
        if obj is None:
            editor = is_editor(request)
            status = Entry.Status.DRAFT
        else:
            if not self.has_change_permission(request, obj):
                return []
            editor = is_editor_of(request, obj.stream.publisher_id)
            status = obj.status
        if status == Entry.Status.PUBLISHED:
            names = [SAVE, UNPUBLISH]
        elif status == Entry.Status.SCHEDULED:
            names = [SAVE, PUBLISH, UNPUBLISH]
        elif editor:
            names = [DRAFT, SCHEDULE, PUBLISH]
        else:
            names = [DRAFT, SUBMIT]
        return [(name, BUTTON_LABELS[name]) for name in names]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["entry_buttons"] = self.entry_buttons(request, obj)
        conflict = getattr(context.get("adminform") and context["adminform"].form, "conflict", None)
        if conflict is not None:
            context["conflict"] = conflict
            context["conflict_entry"] = (
                Entry.objects.filter(pk=conflict.current.pk).with_stream().for_display().first()
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Who else has it open ---------------------------------------------------------------

    def get_urls(self):
        presence_url = path(
            "<path:object_id>/presence/",
            self.admin_site.admin_view(self.presence_view),
            name="streams_entry_presence",
        )
        return [presence_url, *super().get_urls()]

    def presence_view(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """An open change form or desk says it is still open; the answer names the others."""
        if request.method != "POST":
            return JsonResponse({"error": "POST only"}, status=405)
        entry = self.get_object(request, object_id)
        if entry is None or not self.has_change_permission(request, entry):
            raise Http404
        others = presence.presence_note(
            entry_id=entry.pk, user=request.user, leaving=request.POST.get("leaving") == "1"
        )
        return JsonResponse(
            {
                "others": [{"name": other.name, "editing": other.editing} for other in others],
                "revision": entry.revision,
                "beat": presence.PRESENCE_BEAT_S,
            }
        )

    # Saving ---------------------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url="", extra_context=None):
        embeds_prefetch(request)
        return self._refusals_as_form_errors(
            lambda: super(EntryAdmin, self).add_view(request, form_url, extra_context), request
        )

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        embeds_prefetch(request)
        return self._refusals_as_form_errors(
            lambda: super(EntryAdmin, self).change_view(
                request, object_id, form_url, extra_context
            ),
            request,
        )

    def _refusals_as_form_errors(self, view, request: HttpRequest) -> HttpResponse:
        try:
            return view()
        except ActionRefused as refusal:
            # The exception rolled back the entry, its blocks, bylines and revision.
            # The same POST again, with the refusal as the form's error, shows the
            # editor's input as sent with the reason it was not published.
            request._entry_refusal = refusal.messages
            return view()

    def save_model(self, request: HttpRequest, obj: Entry, form, change: bool) -> None:
        if obj.created_by_id is None:
            obj.created_by = request.user
        obj.modified_by = request.user
        before_revert = getattr(request, "_revision_before_revert", None)
        if before_revert is not None:
            # The revert wrote the old version's number back; a revision never goes back.
            Entry.objects.filter(pk=obj.pk).update(revision=before_revert)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        entry = form.instance
        action = requested_action(request)
        try:
            if action == SUBMIT:
                services.entry_submit(entry=entry, by=request.user)
            elif action == PUBLISH:
                services.entry_publish(entry=entry, by=request.user)
            elif action == SCHEDULE:
                services.entry_publish(
                    entry=entry, by=request.user, at=form.cleaned_data["published_at"]
                )
            elif action == UNPUBLISH:
                services.entry_unpublish(entry=entry, by=request.user)
            elif change and entry.status == Entry.Status.PUBLISHED:
                if form.has_changed() or any(formset.has_changed() for formset in formsets):
                    note = form.cleaned_data.get("correction") or None
                    services.entry_record_edit(entry=entry, note=note)
                entry.stream.refresh_last_published()
            elif entry.status != Entry.Status.DRAFT:
                entry.stream.refresh_last_published()
        except ValidationError as error:
            raise ActionRefused(error) from error

    def response_add(self, request: HttpRequest, obj: Entry, post_url_continue=None):
        self._stay_on_drafts(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Entry):
        self._stay_on_drafts(request)
        return super().response_change(request, obj)

    def _stay_on_drafts(self, request: HttpRequest) -> None:
        # A draft is saved to keep writing it, so "Save draft" stays on the page.
        if requested_action(request) == DRAFT and "_popup" not in request.POST:
            request.POST = request.POST.copy()
            request.POST["_continue"] = "1"

    # List -----------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Entry]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                Prefetch("bylines", queryset=Byline.objects.select_related("profile"))
            )
        )

    @admin.display(description="Bylines")
    def byline_names(self, entry: Entry) -> str:
        return ", ".join(byline.display_name for byline in entry.bylines.all()) or "—"

    @admin.display(description="On site")
    def view_link(self, entry: Entry) -> str:
        if not entry.is_visible:
            return "—"
        return format_html('<a href="{}">View</a>', entry.get_absolute_url())

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not is_editor(request):
            for name in ("publish_now", "unpublish", "pin", "unpin"):
                actions.pop(name, None)
        return actions

    @admin.display(description="Status", ordering="status")
    def status_shown(self, entry: Entry) -> str:
        # The revision each row was listed at goes back with an action, so that an entry
        # changed since this list was loaded is not acted on blindly.
        return format_html(
            '{}<input type="hidden" name="{}{}" value="{}">',
            entry.get_status_display(),
            LISTED_REVISION_PREFIX,
            entry.pk,
            entry.revision,
        )

    def _for_each_edited(self, request: HttpRequest, queryset: QuerySet[Entry], act, verb: str):
        mine = editor_publisher_ids(request)
        done, refused = 0, []
        for entry in queryset.select_related("stream"):
            if not is_superuser(request) and entry.stream.publisher_id not in mine:
                refused.append(f"“{entry}”: only its publisher's editors can do that.")
                continue
            listed = request.POST.get(f"{LISTED_REVISION_PREFIX}{entry.pk}", "")
            try:
                act(entry, int(listed) if listed.isdigit() else None)
            except ValidationError as error:
                refused.append(f"“{entry}”: {' '.join(error.messages)}")
            except services.EntryChanged as changed:
                refused.append(f"“{entry}”: {changed.message} Reload the list and try again.")
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} entries.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, f"Not done: {message}", messages.ERROR)

    @admin.action(description="Publish selected entries now")
    def publish_now(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._for_each_edited(
            request,
            queryset,
            lambda entry, listed: services.entry_publish(
                entry=entry, by=request.user, expected_revision=listed
            ),
            "Published",
        )

    @admin.action(description="Unpublish selected entries (back to draft)")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._for_each_edited(
            request,
            queryset,
            lambda entry, listed: services.entry_unpublish(
                entry=entry, by=request.user, expected_revision=listed
            ),
            "Unpublished",
        )

    @admin.action(description="Pin selected entries as key events")
    def pin(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._for_each_edited(
            request,
            queryset,
            lambda entry, listed: services.entry_pin(
                entry=entry, pinned=True, by=request.user, expected_revision=listed
            ),
            "Pinned",
        )

    @admin.action(description="Unpin selected entries")
    def unpin(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._for_each_edited(
            request,
            queryset,
            lambda entry, listed: services.entry_pin(
                entry=entry, pinned=False, by=request.user, expected_revision=listed
            ),
            "Unpinned",
        )

    # Revision history, inside the publisher's walls ------------------------------------

    def history_view(self, request: HttpRequest, object_id, extra_context=None):
        self.get_object(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def revision_view(self, request: HttpRequest, object_id, version_id, extra_context=None):
        entry = self.get_object(request, object_id)
        if request.method == "POST" and not is_editor_of(request, entry.stream.publisher_id):
            raise PermissionDenied
        with transaction.atomic():
            # Locked and noted before reversion writes the old version into the row: the
            # form is based on what was stored, and a revert counts on from there.
            request._revision_before_revert = services.entry_for_update(entry).revision
            return super().revision_view(request, object_id, version_id, extra_context)

    def _deleted_versions_in_scope(self, request: HttpRequest) -> list[Version]:
        versions = Version.objects.get_deleted(Entry).select_related("revision")
        if is_superuser(request):
            return list(versions)
        streams = set(
            Stream.objects.filter(publisher__in=editor_publisher_ids(request)).values_list(
                "pk", flat=True
            )
        )
        return [version for version in versions if version.field_dict.get("stream_id") in streams]

    def recoverlist_view(self, request: HttpRequest, extra_context=None):
        if not is_editor(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "module_name": "Entries",
            "title": "Recover deleted entries",
            "deleted": self._deleted_versions_in_scope(request),
            **(extra_context or {}),
        }
        return render(request, "reversion/recover_list.html", context)

    def recover_view(self, request: HttpRequest, version_id, extra_context=None):
        if not is_editor(request):
            raise PermissionDenied
        if int(version_id) not in {v.pk for v in self._deleted_versions_in_scope(request)}:
            raise Http404("No such deleted entry in your publishers.")
        return super().recover_view(request, version_id, extra_context)


# Bylines pick people by autocomplete: only members of the editor's publishers -----------


class BylineProfileAdmin(ProfileAdmin):
    """accounts' ProfileAdmin, also answering the bylines' autocomplete for members.

    Members of a publisher are not staff of the whole site: they never see the profiles
    list, and their autocomplete offers only the members of their own publishers.
    """

    def _member_autocomplete(self, request: HttpRequest) -> bool:
        match = request.resolver_match
        return bool(
            not is_superuser(request)
            and roles(request)
            and match is not None
            and match.url_name == "autocomplete"
        )

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._member_autocomplete(request) or super().has_view_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Profile]:
        if self._member_autocomplete(request):
            return byline_profiles_for(request)
        return super().get_queryset(request)


admin.site.unregister(Profile)
admin.site.register(Profile, BylineProfileAdmin)
