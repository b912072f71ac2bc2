"""The signed-in user's menu in the page header."""

from __future__ import annotations

from typing import Any

from django import template

from accounts.models import Profile, User

register = template.Library()


def profile_of(user: User) -> Profile | None:
    """The user's profile, or None: a superuser made on the command line has none."""
    return getattr(user, "profile", None)


def initials_of(user: User) -> str:
    profile = profile_of(user)
    if profile is not None:
        return profile.initials
    return user.email[:1].upper() or "?"


@register.inclusion_tag("includes/account_menu.html", takes_context=True)
def account_menu(context: template.Context) -> dict[str, Any]:
    user = context["user"]
    return {
        "user": user,
        "profile": profile_of(user),
        "name": user.get_full_name(),
        "initials": initials_of(user),
        # An inclusion tag starts a fresh context: the sign-out form needs its token.
        "csrf_token": context.get("csrf_token"),
    }
