"""Who may do what in the back office: publisher memberships decide, in this one place.

An editor of a publisher does everything with its streams and entries; a writer sees
them, writes entries and edits their own until an editor publishes them. Superusers see
everything; staff without a membership see none of it. Django's per-model permissions
play no part, so making someone an editor is one membership row, not permission fiddling.

Out-of-scope objects are left out of every queryset, so typing another publisher's admin
URL finds nothing (404) rather than admitting that the object exists.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from accounts.models import Profile
from streams.models import Entry, Membership, Publisher, Stream

Role = Membership.Role
# Entries a writer may still change: nothing an editor has published or scheduled.
WRITER_EDITABLE_STATUSES = ("draft", "submitted")


def roles(request: HttpRequest) -> dict[int, str]:
    """The signed-in user's role in each of their publishers, read once per request."""
    cached = getattr(request, "_publisher_roles", None)
    if cached is None:
        user = request.user
        cached = {}
        if user.is_authenticated and user.is_active:
            cached = dict(Membership.objects.filter(user=user).values_list("publisher_id", "role"))
        request._publisher_roles = cached
    return cached


def is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


def member_publisher_ids(request: HttpRequest) -> list[int]:
    return list(roles(request))


def editor_publisher_ids(request: HttpRequest) -> list[int]:
    return [pk for pk, role in roles(request).items() if role == Role.EDITOR]


def is_editor_of(request: HttpRequest, publisher_id: int | None) -> bool:
    return is_superuser(request) or roles(request).get(publisher_id) == Role.EDITOR


def is_member_of(request: HttpRequest, publisher_id: int | None) -> bool:
    return is_superuser(request) or publisher_id in roles(request)


def is_editor(request: HttpRequest) -> bool:
    """Editor of at least one publisher (or a superuser)."""
    return is_superuser(request) or bool(editor_publisher_ids(request))


def publishers_for(request: HttpRequest, *, editing: bool = False) -> QuerySet[Publisher]:
    publishers = Publisher.objects.all()
    if is_superuser(request):
        return publishers
    ids = editor_publisher_ids(request) if editing else member_publisher_ids(request)
    return publishers.filter(pk__in=ids)


def streams_for(request: HttpRequest) -> QuerySet[Stream]:
    streams = Stream.objects.select_related("publisher")
    if is_superuser(request):
        return streams
    return streams.filter(publisher__in=member_publisher_ids(request))


def entries_for(request: HttpRequest) -> QuerySet[Entry]:
    """Entries the user may see in the back office (and preview)."""
    entries = Entry.objects.all()
    if is_superuser(request):
        return entries
    return entries.filter(stream__publisher__in=member_publisher_ids(request))


def byline_profiles_for(request: HttpRequest) -> QuerySet[Profile]:
    """People who may be bylined: members of the user's publishers."""
    profiles = Profile.objects.all()
    if is_superuser(request):
        return profiles
    members = Membership.objects.filter(publisher__in=member_publisher_ids(request))
    return profiles.filter(user__in=members.values("user"))


def may_change_entry(request: HttpRequest, entry: Entry) -> bool:
    publisher_id = entry.stream.publisher_id
    if is_editor_of(request, publisher_id):
        return True
    return (
        roles(request).get(publisher_id) == Role.WRITER
        and entry.created_by_id == request.user.pk
        and entry.status in WRITER_EDITABLE_STATUSES
    )


class PublisherScopedAdmin(admin.ModelAdmin):
    """The one scoping used by every editor-facing ModelAdmin of the streams app.

    ``publisher_field`` is the lookup from the model to its publisher ("pk" for
    Publisher itself); None marks a model shared by every publisher (sources).
    Subclasses say what members may do with ``member_may_*`` hooks, which get the
    object's publisher id.
    """

    publisher_field: str | None = "publisher"

    # Querysets ------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if is_superuser(request):
            return queryset
        if not roles(request):
            return queryset.none()
        if self.publisher_field is None:
            return queryset
        return queryset.filter(**{f"{self.publisher_field}__in": member_publisher_ids(request)})

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        # Django redirects to the admin index for a missing object; out of scope is a 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object in your publishers.")
        return obj

    def publisher_id_of(self, obj: Model) -> int | None:
        if self.publisher_field is None:
            return None
        value: Any = obj
        for part in self.publisher_field.split("__"):
            value = getattr(value, part)
        return value.pk if isinstance(value, Model) else value

    # Permissions ----------------------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request) or bool(roles(request))

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if is_superuser(request):
            return True
        if not roles(request):
            return False
        return (
            obj is None
            or self.publisher_field is None
            or (is_member_of(request, self.publisher_id_of(obj)))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_superuser(request) or (bool(roles(request)) and self.member_may_add(request))

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if is_superuser(request):
            return True
        if not roles(request):
            return False
        return self.member_may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if is_superuser(request):
            return True
        if not roles(request):
            return False
        return self.member_may_delete(request, obj)

    # What members may do; editors of the object's publisher by default.

    def member_may_add(self, request: HttpRequest) -> bool:
        return bool(editor_publisher_ids(request))

    def member_may_change(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:
            return bool(editor_publisher_ids(request))
        return is_editor_of(request, self.publisher_id_of(obj))

    def member_may_delete(self, request: HttpRequest, obj: Model | None) -> bool:
        return self.member_may_change(request, obj)

    # Choices --------------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if "queryset" not in kwargs:
            scoped = scoped_choices(request, db_field.related_model, for_admin=self)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # The autocomplete view searches get_queryset() already; this keeps any caller
        # that hands in a wider queryset inside the user's publishers too.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not is_superuser(request) and self.publisher_field is not None:
            queryset = queryset.filter(
                **{f"{self.publisher_field}__in": member_publisher_ids(request)}
            )
        return queryset, may_have_duplicates


def scoped_choices(request: HttpRequest, model, *, for_admin=None) -> QuerySet | None:
    """What a user may pick for a foreign key to ``model``; None leaves it unscoped."""
    if model is Publisher:
        # Streams are created in, and publishers changed by, their editors only.
        return publishers_for(request, editing=True)
    if model is Stream:
        return streams_for(request)
    if model is Profile:
        return byline_profiles_for(request)
    return None


class PublisherScopedInline:
    """Inlines follow their parent: editable exactly when the parent is."""

    def _parent_admin(self):
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self._parent_admin().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        parent = self._parent_admin()
        if obj is None:
            return parent.has_add_permission(request)
        return parent.has_change_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        parent = self._parent_admin()
        if obj is None:
            return parent.has_add_permission(request)
        return parent.has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if "queryset" not in kwargs:
            scoped = scoped_choices(request, db_field.related_model)
            if scoped is not None:
                kwargs["queryset"] = scoped
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
