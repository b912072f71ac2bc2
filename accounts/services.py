"""Writes that touch more than one row or file: profiles, data export, account deletion."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from importlib import import_module
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Profile, User
from api.models import ApiToken
from invitations.models import Invitation, InvitationRequest
from live import versions
from notifications.models import AlertChoice, OutgoingMail
from streams.models import Byline, Entry, Follow, Membership

logger = logging.getLogger(__name__)

# The field always has a max_length: the fallback never applies.
HANDLE_LENGTH = Profile._meta.get_field("handle").max_length or 40  # pragma: no mutate


def handle_taken(handle: str) -> str:
    return f"The handle “{handle}” belongs to someone else: choose another."


# Room for "-<number>" after a base handle that is already taken.
_HANDLE_BASE_LENGTH = HANDLE_LENGTH - 6
# How many handle races in a row to lose before giving up: any few will do.
_HANDLE_ATTEMPTS = 5  # pragma: no mutate


def handle_base(name: str, email: str) -> str:
    """The slug a profile's handle starts from: the name, else the address's local part."""
    for text in (name, email.split("@")[0]):
        base = slugify(text)[:_HANDLE_BASE_LENGTH].strip("-")
        if base:
            return base
    return "member"


def free_handle(base: str) -> str:
    taken = set(Profile.objects.filter(handle__startswith=base).values_list("handle", flat=True))
    handle, number = base, 1
    while handle in taken:
        number += 1
        handle = f"{base}-{number}"
    return handle


def profile_create(*, user: User, display_name: str) -> Profile:
    """A profile with a unique handle slugified from the name ("anna-k", then "anna-k-2")."""
    base = handle_base(display_name, user.get_username())
    for _attempt in range(_HANDLE_ATTEMPTS):
        try:
            # A savepoint: another sign-up may take the same handle between read and write.
            with transaction.atomic():
                return Profile.objects.create(
                    user=user, display_name=display_name, handle=free_handle(base)
                )
        except IntegrityError:
            continue
    raise IntegrityError(f"No free profile handle starting with {base!r}.")


def profile_prefilled(*, user: User) -> Profile:
    """An unsaved profile for a user without one: a name and a free handle from the e-mail."""
    local_part = user.email.split("@", 1)[0].split("+", 1)[0]
    name = " ".join(re.split(r"[._\-\s]+", local_part)).strip().title()
    handle = free_handle(handle_base(name, user.email))
    return Profile(user=user, display_name=(name or "Reader")[:100], handle=handle)


def _avatar_names(profile: Profile) -> list[str]:
    return [file.name for file in (profile.avatar, profile.avatar_small) if file]


def _files_delete(names: Sequence[str]) -> None:
    storage = Profile._meta.get_field("avatar").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # A file left behind is tidied by hand; it must not fail the request that removed it.
            logger.exception("Could not delete avatar file %s", name)


def _store(field: FieldFile, content: ContentFile, stored: list[str]) -> None:
    field.save(content.name or "image.webp", content, save=False)
    stored.append(field.name)


def profile_update(
    *,
    user: User,
    display_name: str,
    handle: str,
    bio: str = "",
    website: str = "",
    avatar: Sequence[ContentFile] | None = None,
    remove_avatar: bool = False,
) -> Profile:
    """Save a user's profile, creating it if need be.

    ``avatar`` is the pair (256 px, 64 px) made by ``pressimus.lib.images.square_renditions``;
    ``remove_avatar`` drops the current one. Replaced files are deleted once the new
    profile is committed; new files are deleted again if it is not.
    """
    stored: list[str] = []
    try:
        with transaction.atomic():
            profile = Profile.objects.select_for_update().filter(user=user).first()
            if profile is None:
                profile = Profile(user=user)
            before = _avatar_names(profile)
            profile.display_name = display_name
            profile.handle = handle.lower()
            profile.bio = bio
            profile.website = website
            if avatar:
                large, small = avatar
                _store(profile.avatar, large, stored)
                _store(profile.avatar_small, small, stored)
            elif remove_avatar:
                profile.avatar = profile.avatar_small = ""
            profile.full_clean(exclude=["user", "avatar", "avatar_small"], validate_unique=False)
            try:
                with transaction.atomic():
                    profile.save()
            except IntegrityError:
                # Two people claimed the same free handle at once; the database kept one.
                if Profile.objects.filter(handle=profile.handle).exclude(user=user).exists():
                    raise ValidationError({"handle": handle_taken(profile.handle)}) from None
                raise
            replaced = [name for name in before if name not in _avatar_names(profile)]
            if replaced:
                transaction.on_commit(partial(_files_delete, replaced))
    except BaseException:
        _files_delete(stored)
        raise
    return profile


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _profile_export(profile: Profile, site_url: str) -> dict[str, Any]:
    return {
        "display_name": profile.display_name,
        "handle": profile.handle,
        "bio": profile.bio,
        "website": profile.website,
        "url": site_url + profile.get_absolute_url(),
        "avatar": site_url + profile.avatar.url if profile.avatar else None,
    }


def account_export(*, user: User, site_url: str = "") -> dict[str, Any]:
    """Everything we hold about ``user``, for them to download; ``site_url`` prefixes paths."""
    profile = Profile.objects.filter(user=user).first()
    invitation = Invitation.objects.filter(accepted_by=user).first()

    entries = (
        Entry.objects.bylined(profile).select_related("stream").order_by("published_at", "id")
        if profile
        else Entry.objects.none()
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "is_staff": user.is_staff,
        },
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        # Which kinds of two-factor are set up, never their secrets.
        "two_factor": [
            {
                "type": authenticator.type,
                "created_at": _iso(authenticator.created_at),
                "last_used_at": _iso(authenticator.last_used_at),
            }
            for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
        ],
        "preferences": {
            "time_zone": user.time_zone,
            "entry_order": user.entry_order,
            "live_updates": user.live_updates,
            "theme": user.theme,
            "email_security_notices": user.email_security_notices,
        },
        "profile": _profile_export(profile, site_url) if profile else None,
        "bylined_entries": [
            {
                "id": entry.pk,
                "title": str(entry),
                "status": entry.status,
                "published_at": _iso(entry.published_at),
                "stream": entry.stream.title,
                "url": site_url + entry.get_absolute_url(),
            }
            for entry in entries
        ],
        "follows": [
            {
                "stream": follow.stream.title if follow.stream else None,
                "publisher": follow.publisher.name if follow.publisher else None,
                "url": site_url + (follow.stream or follow.publisher).get_absolute_url(),
                "since": _iso(follow.created_at),
                "email_alerts": follow.alert_setting.choice
                if hasattr(follow, "alert_setting")
                else AlertChoice.KEY_EVENTS.value,
            }
            for follow in Follow.objects.filter(user=user).select_related(
                "stream", "publisher", "alert_setting"
            )
        ],
        # What each token is, never its secret (only a hash of it is kept anyway).
        "api_tokens": [
            {
                "name": token.name,
                "hint": token.display_hint,
                "created_at": _iso(token.created_at),
                "last_used_at": _iso(token.last_used_at),
                "revoked_at": _iso(token.revoked_at),
            }
            for token in ApiToken.objects.filter(user=user).order_by("created_at")
        ],
        "memberships": [
            {"publisher": membership.publisher.name, "role": membership.role}
            for membership in Membership.objects.filter(user=user).select_related("publisher")
        ],
        "invitation": {
            "email": invitation.email,
            "accepted_at": _iso(invitation.accepted_at),
        }
        if invitation
        else None,
        "invitation_requests": [
            {
                "name": request.name,
                "email": request.email,
                "organisation": request.organisation,
                "reason": request.reason,
                "status": request.status,
                "created_at": _iso(request.created_at),
            }
            for request in _invitation_requests_of(user).order_by("created_at")
        ],
    }


def _invitation_requests_of(user: User) -> QuerySet[InvitationRequest]:
    """The requests that led to this account, and any others made with its addresses."""
    addresses = EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    emails = {email.lower() for email in (*addresses, user.email)}
    return InvitationRequest.objects.filter(Q(invitation__accepted_by=user) | Q(email__in=emails))


def _sessions_end(user: User) -> None:
    """End every session signed in as ``user``, on other devices too."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store, DatabaseSessionStore):
        # Cookie or cache sessions cannot be listed; a deleted user's session loads as
        # signed out anyway, since its user is gone.
        return
    user_pk = str(user.pk)
    # A scan of live sessions: account deletion is rare, and sessions are not indexed by user.
    doomed = [
        session.session_key
        for session in store.get_model_class()
        .objects.filter(expire_date__gt=timezone.now())
        # The size of each batch read: any size reads the same sessions.
        .iterator(chunk_size=2000)  # pragma: no mutate
        if session.get_decoded().get(SESSION_KEY) == user_pk
    ]
    for key in doomed:
        store(session_key=key).delete()


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Delete a user and everything of theirs; entries they wrote keep their name.

    Bylines become plain names, since a byline needs a profile or a name. The user's
    profile, avatar files, follows and their e-mail alerts, mail to them, memberships,
    e-mail addresses, two-factor authenticators, invitation requests and sessions go.
    """
    profile = Profile.objects.filter(user=user).first()
    files: list[str] = []
    if profile is not None:
        # update() sends no signal: the streams showing these bylines change for readers.
        versions.streams_bylined_changed(profile.pk)
        Byline.objects.filter(profile=profile).update(profile=None, name=profile.display_name)
        files = _avatar_names(profile)
    _invitation_requests_of(user).delete()
    # Mail to the address too, not only the account's: allauth's carries no account.
    OutgoingMail.objects.of_user(user).delete()
    _sessions_end(user)
    # Cascades to the profile, follows (and their e-mail alerts), key-event mailings,
    # memberships, e-mail addresses and authenticators.
    user.delete()
    if files:
        transaction.on_commit(partial(_files_delete, files))


# One write, then the files once it is committed: in a transaction of its own or the
# caller's (or none), the same happens in the same order.
@transaction.atomic  # pragma: no mutate
def profile_avatar_remove(*, profile: Profile) -> None:
    """Take down a profile image (staff moderation); its files go once that is committed."""
    files = _avatar_names(profile)
    if not files:
        return
    profile.avatar = profile.avatar_small = ""
    profile.save(update_fields=["avatar", "avatar_small"])
    transaction.on_commit(partial(_files_delete, files))
