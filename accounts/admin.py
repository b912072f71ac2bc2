from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accounts.models import Profile, User
from accounts.services import profile_avatar_remove

# Profile images are uploaded by their owners in /settings/, through the checks and
# re-encoding of pressimus.lib.images; the admin shows them and can take them down.
PROFILE_FIELDS = ["display_name", "handle", "bio", "website", "avatar_preview"]


class AvatarPreviewMixin:
    @admin.display(description="Profile image")
    def avatar_preview(self, profile: Profile) -> str:
        if not profile.avatar:
            return "—"
        return format_html('<img src="{}" alt="" width="96" height="96">', profile.avatar.url)


class ProfileInline(AvatarPreviewMixin, admin.StackedInline):
    model = Profile
    can_delete = False
    fields = PROFILE_FIELDS
    readonly_fields = ["avatar_preview"]
    prepopulated_fields = {"handle": ["display_name"]}


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    inlines = [ProfileInline]
    list_display = ["email", "display_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    list_select_related = ["profile"]
    search_fields = ["email", "profile__display_name", "profile__handle"]
    ordering = ["email"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (
            "Preferences",
            {
                "classes": ["collapse"],
                "fields": [
                    "time_zone",
                    "entry_order",
                    "live_updates",
                    "theme",
                    "email_security_notices",
                ],
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]},
        )
    ]
    filter_horizontal = ["groups", "user_permissions"]

    @admin.display(description="Name", ordering="profile__display_name")
    def display_name(self, user: User) -> str:
        profile = getattr(user, "profile", None)
        return profile.display_name if profile else "—"


@admin.register(Profile)
class ProfileAdmin(AvatarPreviewMixin, admin.ModelAdmin):
    list_display = ["display_name", "handle", "user"]
    list_select_related = ["user"]
    search_fields = ["display_name", "handle", "user__email"]
    prepopulated_fields = {"handle": ["display_name"]}
    autocomplete_fields = ["user"]
    fields = ["user", *PROFILE_FIELDS]
    readonly_fields = ["avatar_preview"]
    actions = ["remove_avatars"]

    @admin.action(description="Remove the selected profiles' images")
    def remove_avatars(self, request: HttpRequest, queryset: QuerySet[Profile]) -> None:
        count = 0
        for profile in queryset.exclude(avatar=""):
            profile_avatar_remove(profile=profile)
            count += 1
        self.message_user(request, f"Removed {count} profile image(s).", messages.SUCCESS)
