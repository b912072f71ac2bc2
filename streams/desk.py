"""The desk: one admin page per stream to write, publish and tend its entries.

A composer on top (text, quotes with their source picked or created in place, pictures, posts
and videos, bylines, key event, a time to schedule), the stream below as readers see it, with
Edit, Pin, Correct and Unpublish on each entry, and the writers' submissions waiting for an
editor. The page is a plain form that works without JavaScript; static/js/desk.js makes it
keyboard-first, autosaving and live. Every write goes through streams.services, as the
admin's entry form does; the admin's permissions, two-factor gate and publisher scoping
apply (the views are admin views of StreamAdmin).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.forms import formset_factory
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import linebreaks

from accounts.models import Profile
from live import versions
from pressimus.lib.fields import RICH_TEXT_MAX_LENGTH, PlainCharFormField
from pressimus.lib.images import validate_entry_image
from streams import services
from streams.admin_scoping import (
    byline_profiles_for,
    entries_for,
    is_editor_of,
    may_change_entry,
)
from streams.models import ORIGINAL_LANGUAGES, Block, Entry, Source, Stream, normalised_domain

DESK_PAGE_SIZE = 20
QUEUE_SIZE = 50
SOURCE_SUGGESTIONS = 8
# A tag at the start of a value means the desk's script sent HTML from an editable area;
# anything else was typed into a plain text box (the page without JavaScript).
_LOOKS_LIKE_HTML = re.compile(r"^\s*<[a-z]", re.IGNORECASE)

BLOCK_KINDS = [
    (Block.Kind.TEXT, "Text"),
    (Block.Kind.QUOTE, "Quote"),
    (Block.Kind.IMAGE, "Picture"),
    (Block.Kind.EMBED, "Post or video"),
]

QUOTE_WITHOUT_SOURCE = (
    "Pick the outlet this quote comes from, or type its name and choose “Create source”."
)
QUOTE_WITHOUT_WORDS = "Type or paste the quoted words."
IMAGE_WITHOUT_FILE = "Choose, paste or drop a picture."
IMAGE_WITHOUT_ALT = (
    "Describe the picture for readers who cannot see it (alt text) before it goes out."
)
EMBED_WITHOUT_URL = "Paste the address of the post or video."
EMPTY_ENTRY = "Write the entry first: it has no text, quote or picture yet."


def as_html(value: str) -> str:
    """Rich text from the desk: HTML from its editable areas, paragraphs from a plain box.

    Either way the model's field cleans it through our one sanitiser when it is saved.
    """
    value = value.strip()
    if not value or _LOOKS_LIKE_HTML.match(value):
        return value
    return linebreaks(value, autoescape=True)


# Forms ------------------------------------------------------------------------------------


class DeskBlockForm(forms.Form):
    """One block of the composer; which fields count depends on its kind."""

    kind = forms.ChoiceField(choices=BLOCK_KINDS, widget=forms.HiddenInput)
    block = forms.IntegerField(required=False, widget=forms.HiddenInput)
    body = forms.CharField(
        required=False,
        strip=False,
        max_length=RICH_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    source = forms.IntegerField(required=False, widget=forms.HiddenInput)
    source_name = PlainCharFormField(label="Source", required=False, max_length=120)
    cited_url = forms.URLField(
        label="Link to the article quoted", required=False, max_length=500, assume_scheme="https"
    )
    original = forms.CharField(
        label="Original text",
        required=False,
        max_length=RICH_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    original_language = forms.ChoiceField(
        label="Its language", required=False, choices=[("", "—"), *ORIGINAL_LANGUAGES]
    )
    upload = forms.FileField(
        label="Picture",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    alt_text = PlainCharFormField(label="Alt text", required=False, max_length=300)
    caption = forms.CharField(label="Caption", required=False, max_length=500)
    credit = PlainCharFormField(label="Credit", required=False, max_length=200)
    embed_url = forms.URLField(
        label="Address of the post or video", required=False, max_length=1000, assume_scheme="https"
    )

    def __init__(self, *args, entry: Entry | None = None, going_out: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.going_out = going_out
        self.spec: services.BlockSpec | None = None

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            # Refused here, beside the field, before anything is written.
            validate_entry_image(upload)
            upload.seek(0)
        return upload

    @property
    def kind_value(self) -> str:
        return self["kind"].value() or Block.Kind.TEXT

    def _existing(self, kind: str) -> Block | None:
        """The entry's own block this form edits, if it names one (never another entry's)."""
        pk = self.cleaned_data.get("block")
        if not pk or self.entry is None or self.entry.pk is None:
            return None
        return next(
            (block for block in self.entry.blocks.all() if block.pk == pk and block.kind == kind),
            None,
        )

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        body = as_html(data.get("body") or "")
        cleaner = {
            Block.Kind.TEXT: self._clean_text,
            Block.Kind.QUOTE: self._clean_quote,
            Block.Kind.IMAGE: self._clean_image,
            Block.Kind.EMBED: self._clean_embed,
        }.get(kind)
        if cleaner is not None:
            cleaner(data, body)
        return data

    def _clean_text(self, data: dict, body: str) -> None:
        # An empty text box is no block: left out, not an error.
        if _has_words(body):
            self.spec = services.TextBlock(body)

    def _clean_quote(self, data: dict, body: str) -> None:
        source_id, source_name = data.get("source"), data.get("source_name") or ""
        if not (_has_words(body) or source_id or source_name or data.get("cited_url")):
            return
        if not _has_words(body):
            self.add_error("body", QUOTE_WITHOUT_WORDS)
        source = Source.objects.filter(pk=source_id).first() if source_id else None
        if source is None and not source_name:
            self.add_error("source_name", QUOTE_WITHOUT_SOURCE)
        if self.errors:
            return
        if source is None:
            try:
                source = services.source_find_or_create(name=source_name)
            except ValidationError as error:
                self.add_error("source_name", error)
                return
        original = as_html(data.get("original") or "")
        if original and not data.get("original_language"):
            self.add_error("original_language", "Say which language the original is in.")
            return
        self.spec = services.QuoteBlock(
            source=source,
            body=body,
            cited_url=data.get("cited_url") or "",
            original=original,
            original_language=data.get("original_language") or "",
        )

    def _clean_image(self, data: dict, body: str) -> None:
        upload, kept = data.get("upload"), self._existing(Block.Kind.IMAGE)
        alt = data.get("alt_text") or ""
        if upload is None and kept is None:
            if alt or data.get("caption"):
                self.add_error("upload", IMAGE_WITHOUT_FILE)
            return
        if not alt and self.going_out:
            self.add_error("alt_text", IMAGE_WITHOUT_ALT)
            return
        self.spec = services.ImageBlock(
            alt_text=alt,
            caption=data.get("caption") or "",
            credit=data.get("credit") or "",
            upload=upload,
            kept=kept,
        )

    def _clean_embed(self, data: dict, body: str) -> None:
        url = data.get("embed_url") or ""
        kept = self._existing(Block.Kind.EMBED)
        if not url:
            if "embed_url" not in self.errors and kept is None:
                return
            if kept is None:
                return
            url = kept.embed_url
        if kept is not None and kept.embed_url == url:
            # Fetched before: nothing to ask the provider again.
            self.spec = services.KeptBlock(kept)
            return
        try:
            # Outside any transaction: the provider may take its time.
            self.spec = services.embed_fetch(url=url)
        except ValidationError as error:
            self.add_error("embed_url", error)


def _has_words(html: str) -> bool:
    from pressimus.lib.html import is_blank_html

    return bool(html) and not is_blank_html(html)


class BaseDeskBlockFormSet(forms.BaseFormSet):
    def __init__(self, *args, entry: Entry | None = None, going_out: bool = False, **kwargs):
        self.entry = entry
        self.going_out = going_out
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "entry": self.entry, "going_out": self.going_out}

    @property
    def empty_forms(self) -> dict[str, forms.Form]:
        """One empty block of each kind, for the page's script to copy."""
        made = {}
        for kind, _ in BLOCK_KINDS:
            form = self.empty_form
            form.fields["kind"].initial = kind
            made[kind] = form
        return made

    def specs(self) -> list[services.BlockSpec]:
        return [form.spec for form in self.forms if form.spec is not None]


DeskBlockFormSet = formset_factory(
    DeskBlockForm, formset=BaseDeskBlockFormSet, extra=0, max_num=100, validate_max=True
)

ACTION_LABELS = {
    "publish": "Publish",
    "submit": "Submit for review",
    "draft": "Save draft",
    "schedule": "Schedule",
    "save": "Update",
}


class DeskEntryForm(forms.Form):
    """The composer's fields besides its blocks."""

    action = forms.ChoiceField(choices=list(ACTION_LABELS.items()))
    entry = forms.IntegerField(required=False, widget=forms.HiddenInput)
    based_on_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)
    title = PlainCharFormField(
        label="Title",
        required=False,
        max_length=Entry._meta.get_field("title").max_length,
        help_text="Optional; give key events a title.",
    )
    pinned = forms.BooleanField(label="Key event", required=False)
    publish_at = forms.DateTimeField(
        label="Publish at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text="Leave empty to publish now.",
    )
    correction = forms.CharField(
        label="Correction note, shown publicly",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    bylines = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "schedule" and not data.get("publish_at"):
            self.add_error("publish_at", "Pick the time the entry should go out.")
        return data


@dataclass
class Composed:
    """What the composer holds, checked: ready for ``services.entry_compose``."""

    form: DeskEntryForm
    blocks: BaseDeskBlockFormSet
    entry: Entry | None
    bylines: list[services.BylineSpec]

    @property
    def errors(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for name, errors in self.form.errors.items():
            found[self.form.add_prefix(name) if name != "__all__" else "__all__"] = list(errors)
        for form in self.blocks.forms:
            for name, errors in form.errors.items():
                found[form.add_prefix(name)] = list(errors)
        for error in self.blocks.non_form_errors():
            found.setdefault("__all__", []).append(error)
        return found


# Reads ------------------------------------------------------------------------------------


def desk_streams(request: HttpRequest, streams: QuerySet[Stream]) -> QuerySet[Stream]:
    """Streams the user may write to, for the "Open desk" links."""
    return streams.exclude(status=Stream.Status.ENDED).order_by("publisher__name", "title")


def _entries(stream: Stream) -> QuerySet[Entry]:
    return stream.entries.for_display().select_related("stream__publisher", "submitted_by__profile")


def desk_sections(request: HttpRequest, stream: Stream) -> dict:
    """The stream as readers see it, the queue of submissions, and drafts: a fixed number
    of queries whatever the stream's size."""
    editor = is_editor_of(request, stream.publisher_id)
    published = list(_entries(stream).published().newest_first()[:DESK_PAGE_SIZE])
    scheduled = list(
        _entries(stream)
        .filter(status=Entry.Status.SCHEDULED)
        .exclude(pk__in=[entry.pk for entry in published])
        .order_by("published_at")[:QUEUE_SIZE]
    )
    queue = list(
        _entries(stream).filter(status=Entry.Status.SUBMITTED).order_by("submitted_at")[:QUEUE_SIZE]
    )
    drafts = _entries(stream).filter(status=Entry.Status.DRAFT)
    if not editor:
        drafts = drafts.filter(created_by=request.user)
    drafts = list(drafts.order_by("-modified_at")[:QUEUE_SIZE])
    for entry in [*published, *scheduled, *queue, *drafts]:
        # Checked per entry from the roles read once: no query.
        entry.desk_may_change = may_change_entry(request, entry)
    return {
        "published": published,
        "scheduled": scheduled,
        "queue": queue,
        "drafts": drafts,
        "editor": editor,
        "version": versions.stream_version(stream.pk),
    }


def _byline_choices(request: HttpRequest, stream: Stream) -> list[Profile]:
    return list(
        byline_profiles_for(request)
        .filter(user__memberships__publisher=stream.publisher_id)
        .distinct()
        .order_by("display_name")
    )


def _byline_value(spec: services.BylineSpec) -> str:
    return f"p:{spec.pk}" if isinstance(spec, Profile) else f"n:{spec}"


def _bylines_from(values: Sequence[str], allowed: dict[int, Profile]) -> tuple[list, list[str]]:
    """``p:<profile id>`` for people of the publisher, ``n:<name>`` for guest writers."""
    specs: list[services.BylineSpec] = []
    errors: list[str] = []
    for value in values:
        kind, _, rest = value.partition(":")
        rest = rest.strip()
        if kind == "p" and rest.isdigit() and int(rest) in allowed:
            specs.append(allowed[int(rest)])
        elif kind == "n" and rest:
            specs.append(" ".join(rest.split())[:100])
        else:
            errors.append("A byline must be someone of this publisher, or a guest writer's name.")
    return specs, errors


# Views ------------------------------------------------------------------------------------


class DeskViews:
    """The desk's views, bound to the StreamAdmin that serves them (its scoping and site)."""

    def __init__(self, model_admin) -> None:
        self.admin = model_admin

    # Lookups, inside the admin's publisher walls --------------------------------------

    def stream(self, request: HttpRequest, object_id: str) -> Stream:
        stream = self.admin.get_object(request, object_id)
        if stream is None or not self.admin.has_view_permission(request, stream):
            raise Http404("No such stream on your desks.")
        return stream

    def entry(self, request: HttpRequest, stream: Stream, entry_id) -> Entry:
        entry = (
            entries_for(request)
            .filter(stream=stream, pk=entry_id)
            .select_related("stream__publisher")
            .first()
        )
        if entry is None:
            raise Http404("No such entry in this stream.")
        return entry

    def url(self, stream: Stream, name: str = "desk", *args) -> str:
        return reverse(f"admin:streams_stream_{name}", args=[stream.pk, *args])

    # The page --------------------------------------------------------------------------

    def page(self, request: HttpRequest, object_id: str) -> HttpResponse:
        stream = self.stream(request, object_id)
        if request.method == "POST":
            return self.save(request, object_id)
        editing = None
        if edit := request.GET.get("edit", ""):
            editing = self.entry(request, stream, edit if edit.isdigit() else 0)
            if not may_change_entry(request, editing):
                raise PermissionDenied
        form, blocks = self._forms_for(request, stream, editing)
        return self._render(request, stream, form, blocks, editing)

    def _forms_for(self, request: HttpRequest, stream: Stream, entry: Entry | None):
        if entry is None:
            profile = Profile.objects.filter(user=request.user).first()
            form = DeskEntryForm(
                initial={"bylines": _byline_value(profile) if profile else "", "action": "publish"}
            )
            blocks = DeskBlockFormSet(prefix="blocks", initial=[{"kind": Block.Kind.TEXT}])
            form.byline_specs = [profile] if profile else []
            return form, blocks
        form = DeskEntryForm(
            initial={
                "entry": entry.pk,
                "based_on_revision": entry.revision,
                "title": entry.title,
                "pinned": entry.pinned,
                "action": "save" if entry.status != Entry.Status.DRAFT else "draft",
            }
        )
        form.byline_specs = [byline.profile or byline.name for byline in entry.bylines.all()]
        blocks = DeskBlockFormSet(
            prefix="blocks", entry=entry, initial=[_block_initial(b) for b in entry.blocks.all()]
        )
        return form, blocks

    def _render(
        self,
        request: HttpRequest,
        stream: Stream,
        form: DeskEntryForm,
        blocks: BaseDeskBlockFormSet,
        editing: Entry | None,
        *,
        status: int = 200,
        conflict: services.EntryChanged | None = None,
    ) -> HttpResponse:
        editor = is_editor_of(request, stream.publisher_id)
        context = {
            **self.admin.admin_site.each_context(request),
            # The desk needs the width, and its first text box must be the composer's.
            "is_nav_sidebar_enabled": False,
            "title": f"Desk: {stream.title}",
            "subtitle": None,
            "opts": self.admin.opts,
            "stream": stream,
            "form": form,
            "blocks": blocks,
            "editing": editing,
            "editor": editor,
            "conflict": conflict,
            "byline_specs": getattr(form, "byline_specs", []),
            "byline_choices": _byline_choices(request, stream),
            "sources": Source.objects.order_by("name").only("pk", "name")[:2000],
            "languages": ORIGINAL_LANGUAGES,
            "urls": {
                "save": self.url(stream, "desk"),
                "feed": self.url(stream, "desk_feed"),
                "sources": self.url(stream, "desk_sources"),
                "stream": stream.get_absolute_url(),
            },
            **desk_sections(request, stream),
        }
        return TemplateResponse(request, "admin/streams/desk.html", context, status=status)

    # Writing ---------------------------------------------------------------------------

    def _composed(self, request: HttpRequest, stream: Stream) -> Composed:
        form = DeskEntryForm(request.POST)
        entry = None
        raw_entry = request.POST.get("entry", "")
        if raw_entry:
            entry = self.entry(request, stream, raw_entry if raw_entry.isdigit() else 0)
            if not may_change_entry(request, entry):
                raise PermissionDenied
        going_out = request.POST.get("action") in ("publish", "schedule", "submit", "save") and (
            request.POST.get("action") != "save" or (entry is not None and entry.is_visible)
        )
        blocks = DeskBlockFormSet(
            request.POST, request.FILES, prefix="blocks", entry=entry, going_out=going_out
        )
        allowed = {profile.pk: profile for profile in _byline_choices(request, stream)}
        bylines, byline_errors = _bylines_from(request.POST.getlist("bylines"), allowed)
        form.is_valid()
        blocks.is_valid()
        for error in byline_errors:
            form.add_error("bylines", error)
        form.byline_specs = bylines
        composed = Composed(form=form, blocks=blocks, entry=entry, bylines=bylines)
        action = form.cleaned_data.get("action")
        if form.is_valid() and blocks.is_valid() and action != "draft" and not blocks.specs():
            first = blocks.forms[0] if blocks.forms else None
            if first is not None:
                first.add_error("body", EMPTY_ENTRY)
            else:
                form.add_error(None, EMPTY_ENTRY)
        return composed

    def save(self, request: HttpRequest, object_id: str) -> HttpResponse:
        stream = self.stream(request, object_id)
        composed = self._composed(request, stream)
        form, blocks = composed.form, composed.blocks
        wants_json = _wants_json(request)
        if not (form.is_valid() and blocks.is_valid()):
            return self._refused(request, stream, composed, wants_json)
        data = form.cleaned_data
        try:
            entry = services.entry_compose(
                stream=stream,
                by=request.user,
                action=data["action"],
                blocks=blocks.specs(),
                bylines=composed.bylines,
                title=data["title"],
                pinned=data["pinned"],
                entry=composed.entry,
                expected_revision=data.get("based_on_revision") if composed.entry else None,
                at=data.get("publish_at"),
                correction=data.get("correction") or "",
            )
        except services.EntryChanged as changed:
            return self._conflict(request, stream, composed, changed, wants_json)
        except PermissionDenied as denied:
            form.add_error(None, str(denied))
            return self._refused(request, stream, composed, wants_json)
        except ValidationError as refused:
            form.add_error(None, refused)
            return self._refused(request, stream, composed, wants_json)
        done = _done_message(entry, data["action"])
        if wants_json:
            return JsonResponse(
                {
                    "ok": True,
                    "message": done,
                    "entry": {"id": entry.pk, "revision": entry.revision, "status": entry.status},
                }
            )
        messages.success(request, done)
        return redirect(self.url(stream))

    def _refused(self, request, stream, composed: Composed, wants_json: bool) -> HttpResponse:
        if wants_json:
            return JsonResponse({"ok": False, "errors": composed.errors}, status=400)
        return self._render(
            request, stream, composed.form, composed.blocks, composed.entry, status=400
        )

    def _conflict(self, request, stream, composed: Composed, changed, wants_json: bool):
        current = changed.current
        theirs = render_to_string(
            "admin/streams/desk/entry.html",
            {
                "entry": Entry.objects.filter(pk=current.pk).for_display().with_stream().first(),
                "stream": stream,
                "theirs": True,
            },
            request=request,
        )
        if wants_json:
            return JsonResponse(
                {
                    "ok": False,
                    "conflict": {
                        "message": changed.message,
                        "changed_by": changed.changed_by,
                        "revision": current.revision,
                        "theirs": theirs,
                    },
                },
                status=409,
            )
        # The page again, with the person's version in the composer and the revision they
        # have now seen: saving again, on purpose, replaces theirs.
        data = request.POST.copy()
        data["based_on_revision"] = str(current.revision)
        composed.form.data = data
        return self._render(
            request,
            stream,
            composed.form,
            composed.blocks,
            composed.entry,
            status=409,
            conflict=changed,
        )

    # Fragments for the page's script -------------------------------------------------

    def composer(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The composer, empty or holding an entry to edit, as the page renders it."""
        stream = self.stream(request, object_id)
        editing = None
        if edit := request.GET.get("edit", ""):
            editing = self.entry(request, stream, edit if edit.isdigit() else 0)
            if not may_change_entry(request, editing):
                raise PermissionDenied
        form, blocks = self._forms_for(request, stream, editing)
        response = self._render(request, stream, form, blocks, editing)
        response.template_name = "admin/streams/desk.html#composer"
        return response

    def feed(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The stream, queue and drafts again, when anything in the stream changed since the
        version the page holds (``?v=``); 204 and no query otherwise."""
        stream = self.stream(request, object_id)
        held = request.GET.get("v", "")
        if held.isdigit() and int(held) == versions.stream_version(stream.pk):
            return HttpResponse(status=204)
        context = {"stream": stream, **desk_sections(request, stream)}
        html = render_to_string("admin/streams/desk.html#sections", context, request=request)
        return JsonResponse({"version": context["version"], "html": html})

    def sources(self, request: HttpRequest, object_id: str) -> JsonResponse:
        """Sources whose name (or web site, for an address) matches what was typed."""
        self.stream(request, object_id)
        typed = " ".join(request.GET.get("q", "").split())[:200]
        if not typed:
            return JsonResponse({"sources": [], "exact": False})
        domain = normalised_domain(typed if "://" in typed else f"https://{typed}")
        matching = Q(name__icontains=typed)
        if "." in typed and " " not in typed:
            matching |= Q(domain=domain)
        found = list(
            Source.objects.filter(matching)
            .order_by("name")
            .values("pk", "name", "domain")[:SOURCE_SUGGESTIONS]
        )
        exact = any(source["name"].lower() == typed.lower() for source in found)
        return JsonResponse(
            {
                "sources": [
                    {"id": s["pk"], "name": s["name"], "domain": s["domain"]} for s in found
                ],
                "exact": exact,
            }
        )

    # Acting on an entry of the list --------------------------------------------------

    ENTRY_ACTIONS = ("pin", "unpin", "unpublish", "publish", "send_back")

    def act(self, request: HttpRequest, object_id: str, entry_id: str, action: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        stream = self.stream(request, object_id)
        entry = self.entry(request, stream, entry_id)
        if action not in self.ENTRY_ACTIONS:
            raise Http404
        if not is_editor_of(request, stream.publisher_id):
            raise PermissionDenied
        listed = request.POST.get("based_on_revision", "")
        expected = int(listed) if listed.isdigit() else None
        by = request.user
        try:
            if action in ("pin", "unpin"):
                services.entry_pin(
                    entry=entry, pinned=action == "pin", by=by, expected_revision=expected
                )
            elif action == "unpublish":
                services.entry_unpublish(entry=entry, by=by, expected_revision=expected)
            elif action == "publish":
                services.entry_publish(entry=entry, by=by, expected_revision=expected)
            else:
                services.entry_send_back(
                    entry=entry,
                    by=by,
                    note=request.POST.get("note", ""),
                    expected_revision=expected,
                )
        except services.EntryChanged as changed:
            return _said(
                request,
                self.url(stream),
                f"{changed.message} The list is up to date now: try again.",
                ok=False,
                status=409,
            )
        except ValidationError as refused:
            return _said(
                request, self.url(stream), " ".join(refused.messages), ok=False, status=400
            )
        title = f"“{entry.title}”" if entry.title else "The entry"
        done = {
            "pin": f"{title} is a key event now.",
            "unpin": f"{title} is no longer a key event.",
            "unpublish": f"{title} is back to draft: readers no longer see it.",
            "publish": f"{title} is published.",
            "send_back": f"{title} is sent back to its writer.",
        }[action]
        return _said(request, self.url(stream), done)


def _said(request: HttpRequest, back: str, message: str, *, ok: bool = True, status: int = 200):
    """The outcome of an action: JSON for the page's script, else a message and back."""
    if _wants_json(request):
        return JsonResponse({"ok": ok, "message": message}, status=status)
    (messages.success if ok else messages.error)(request, message)
    return redirect(back)


def _block_initial(block: Block) -> dict:
    return {
        "kind": block.kind,
        "block": block.pk,
        "body": block.body,
        "source": block.source_id,
        "source_name": block.source.name if block.source_id else "",
        "cited_url": block.cited_url,
        "original": block.original,
        "original_language": block.original_language,
        "alt_text": block.alt_text,
        "caption": block.caption,
        "credit": block.credit,
        "embed_url": getattr(block, "embed_url", ""),
    }


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _done_message(entry: Entry, action: str) -> str:
    title = f"“{entry.title}”" if entry.title else "The entry"
    if action == "publish":
        return f"{title} is published."
    if action == "schedule":
        return f"{title} is scheduled."
    if action == "submit":
        return f"{title} is submitted for review: an editor will publish it."
    if action == "save":
        return f"{title} is updated."
    return f"{title} is saved as a draft."
