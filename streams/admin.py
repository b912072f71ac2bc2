from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from streams import services
from streams.models import Block, Byline, Entry, Membership, Publisher, Source, Stream


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "website"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "domain", "quote_count"]
    list_filter = ["kind"]
    search_fields = ["name", "domain", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["domain"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(quote_count=Count("quotes"))

    @admin.display(description="Quotes", ordering="quote_count")
    def quote_count(self, source: Source) -> int:
        return source.quote_count


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    list_display = [
        "title", "publisher", "status", "visibility", "entry_count", "last_published_at"
    ]  # fmt: skip
    list_filter = ["status", "visibility", "publisher"]
    list_select_related = ["publisher"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["last_published_at", "created_at", "updated_at"]

    def get_queryset(self, request):
        published = Q(entries__status__in=[Entry.Status.PUBLISHED, Entry.Status.SCHEDULED])
        return (
            super().get_queryset(request).annotate(entry_count=Count("entries", filter=published))
        )

    @admin.display(description="Entries", ordering="entry_count")
    def entry_count(self, stream: Stream) -> int:
        return stream.entry_count


class BlockInlineFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if self.instance.status == Entry.Status.DRAFT:
            return
        kept = [
            form
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form) and not form.errors
        ]
        if not kept and not any(form.errors for form in self.forms):
            raise ValidationError(
                "A published entry needs at least one block: write its text or add a quote."
            )


class BlockInline(admin.StackedInline):
    model = Block
    formset = BlockInlineFormSet
    extra = 0
    min_num = 1
    autocomplete_fields = ["source"]
    fields = ["position", "kind", "body", "source", "cited_url", "original", "original_language"]


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 0
    autocomplete_fields = ["profile"]
    fields = ["position", "profile", "name"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "stream", "status", "published_at", "pinned", "view_link"]
    list_filter = ["status", "pinned", "stream"]
    list_select_related = ["stream"]
    search_fields = ["title", "blocks__body"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["stream"]
    inlines = [BlockInline, BylineInline]
    fields = ["stream", "title", "status", "published_at", "pinned", "correction_note"]
    actions = ["publish_now", "unpublish"]

    def save_model(self, request, obj, form, change):
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.stream.refresh_last_published()

    @admin.display(description="On site")
    def view_link(self, entry: Entry) -> str:
        if not entry.is_visible:
            return "—"
        return format_html('<a href="{}">View</a>', entry.get_absolute_url())

    @admin.action(description="Publish selected entries now")
    def publish_now(self, request, queryset):
        for entry in queryset.select_related("stream"):
            services.entry_publish(entry=entry)
        self.message_user(request, f"Published {queryset.count()} entries.", messages.SUCCESS)

    @admin.action(description="Unpublish selected entries (back to draft)")
    def unpublish(self, request, queryset):
        for entry in queryset.select_related("stream"):
            services.entry_unpublish(entry=entry)
        self.message_user(request, f"Unpublished {queryset.count()} entries.", messages.SUCCESS)
