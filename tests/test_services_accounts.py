"""accounts.services: profile updates, the data export and account deletion."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image

from accounts.models import Profile, User
from accounts.services import (
    account_delete,
    account_export,
    profile_avatar_remove,
    profile_prefilled,
    profile_update,
)
from invitations.models import Invitation, InvitationRequest, hash_token, new_token
from pressimus.lib.images import square_renditions
from streams.models import Byline, Follow, Membership
from tests import factories
from tests.fixtures_pages import person


def avatar_pair(colour: str = "red"):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(buffer, "PNG")
    buffer.seek(0)
    return square_renditions(buffer)


def stored_files() -> list[Path]:
    return sorted(Path(settings.MEDIA_ROOT).rglob("*.*"))


def profile_fields(**overrides):
    return {
        "display_name": "Mia Member",
        "handle": "mia",
        "bio": "Reads the Syria streams.",
        "website": "https://mia.example/",
        **overrides,
    }


def signed_in_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.session.session_key


def accepted_invitation(user, *, email=None) -> Invitation:
    email = email or user.email
    request = InvitationRequest.objects.create(
        name="Mia Member",
        email=email,
        organisation="Harbour Light",
        reason="I translate Russian sources.",
        status=InvitationRequest.Status.ACCEPTED,
    )
    return Invitation.objects.create(
        request=request,
        email=email,
        token_hash=hash_token(new_token()),
        expires_at=timezone.now() + timedelta(days=14),
        accepted_at=timezone.now(),
        accepted_by=user,
    )


# profile_update


def test_profile_update_creates_the_missing_profile(db):
    user = factories.UserFactory(email="new@example.org")

    profile = profile_update(user=user, **profile_fields())

    assert Profile.objects.get(user=user) == profile
    assert (profile.display_name, profile.handle, profile.website) == (
        "Mia Member",
        "mia",
        "https://mia.example/",
    )


def test_profile_update_stores_both_avatar_sizes_under_random_names(member):
    profile = profile_update(user=member, **profile_fields(), avatar=avatar_pair())

    assert profile.avatar.name.startswith("avatars/") and profile.avatar.name.endswith("-256.webp")
    assert profile.avatar_small.name.endswith("-64.webp")
    assert default_storage.exists(profile.avatar.name)
    assert default_storage.exists(profile.avatar_small.name)


def test_replacing_an_avatar_deletes_the_old_files_once_committed(
    member, django_capture_on_commit_callbacks
):
    old = profile_update(user=member, **profile_fields(), avatar=avatar_pair("red"))
    old_names = [old.avatar.name, old.avatar_small.name]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        new = profile_update(user=member, **profile_fields(), avatar=avatar_pair("blue"))
    assert all(default_storage.exists(name) for name in old_names)

    for callback in callbacks:
        callback()

    assert not any(default_storage.exists(name) for name in old_names)
    assert default_storage.exists(new.avatar.name)


def test_removing_an_avatar_clears_it_and_deletes_its_files(
    member, django_capture_on_commit_callbacks
):
    old = profile_update(user=member, **profile_fields(), avatar=avatar_pair())
    names = [old.avatar.name, old.avatar_small.name]

    with django_capture_on_commit_callbacks(execute=True):
        profile = profile_update(user=member, **profile_fields(), remove_avatar=True)

    assert not profile.avatar and not profile.avatar_small
    assert not any(default_storage.exists(name) for name in names)


def test_a_handle_taken_meanwhile_is_an_error_on_the_handle_and_stores_no_file(member):
    person(handle="taken")
    avatar = avatar_pair()

    with pytest.raises(ValidationError) as caught:
        profile_update(user=member, **profile_fields(handle="taken"), avatar=avatar)

    assert caught.value.message_dict == {
        "handle": ["The handle “taken” belongs to someone else: choose another."]
    }
    assert Profile.objects.get(user=member).handle == "mia"
    assert stored_files() == []


def test_profile_prefilled_makes_a_name_and_a_free_handle_from_the_email(db):
    person(handle="ann-lee")
    user = factories.UserFactory(email="Ann.Lee@example.org")

    profile = profile_prefilled(user=user)

    assert profile.pk is None
    assert (profile.display_name, profile.handle) == ("Ann Lee", "ann-lee-2")


def test_profile_avatar_remove_takes_down_both_files(member, django_capture_on_commit_callbacks):
    profile = profile_update(user=member, **profile_fields(), avatar=avatar_pair())
    names = [profile.avatar.name, profile.avatar_small.name]

    with django_capture_on_commit_callbacks(execute=True):
        profile_avatar_remove(profile=profile)

    profile.refresh_from_db()
    assert not profile.avatar
    assert not any(default_storage.exists(name) for name in names)


# account_export


def test_export_holds_the_users_own_data_and_no_secrets(member, stream_a, publisher_b):
    profile = member.profile
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    Authenticator.objects.create(
        user=member, type=Authenticator.Type.TOTP, data={"secret": "TOPSECRETSEED"}
    )
    entry = factories.EntryFactory(stream=stream_a, title="Amnesty reports", bylines=[profile])
    factories.EntryFactory(stream=stream_a, title="Someone else's", bylines=["Anna Guest"])
    Follow.objects.create(user=member, stream=stream_a)
    Follow.objects.create(user=member, publisher=publisher_b)
    accepted_invitation(member)
    member.time_zone = "Europe/Paris"
    member.save()

    data = account_export(user=member, site_url="https://pressimus.test")

    assert data["account"]["email"] == "member@example.org"
    assert data["preferences"]["time_zone"] == "Europe/Paris"
    assert data["profile"]["handle"] == "mia"
    assert data["profile"]["url"] == "https://pressimus.test/people/mia/"
    assert data["email_addresses"] == [
        {"email": "member@example.org", "verified": True, "primary": True}
    ]
    assert [a["type"] for a in data["two_factor"]] == ["totp"]
    assert "TOPSECRETSEED" not in repr(data)
    assert data["bylined_entries"] == [
        {
            "id": entry.pk,
            "title": "Amnesty reports",
            "status": "published",
            "published_at": entry.published_at.isoformat(),
            "stream": "Syria: December 23",
            "url": f"https://pressimus.test/streams/syria/entries/{entry.pk}/",
        }
    ]
    assert {(f["stream"], f["publisher"]) for f in data["follows"]} == {
        ("Syria: December 23", None),
        (None, "Harbour Light"),
    }
    assert data["invitation"]["email"] == "member@example.org"
    assert data["invitation_requests"][0]["reason"] == "I translate Russian sources."


def test_export_of_a_user_without_a_profile_still_works(superuser):
    data = account_export(user=superuser)

    assert data["profile"] is None
    assert data["bylined_entries"] == []


# account_delete


def test_deleting_an_account_keeps_bylines_as_the_plain_name(member, stream_a):
    entry = factories.EntryFactory(stream=stream_a, bylines=[member.profile, "Anna Guest"])

    account_delete(user=member)

    assert [(b.profile_id, b.name) for b in Byline.objects.filter(entry=entry)] == [
        (None, "Mia Member"),
        (None, "Anna Guest"),
    ]


def test_deleting_an_account_leaves_nothing_of_the_user(member, stream_a, publisher_a):
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    Authenticator.objects.create(user=member, type=Authenticator.Type.TOTP, data={})
    Follow.objects.create(user=member, stream=stream_a)
    Membership.objects.create(user=member, publisher=publisher_a)
    accepted_invitation(member)
    user_id, profile_id = member.pk, member.profile.pk

    account_delete(user=member)

    assert not User.objects.filter(pk=user_id).exists()
    assert not Profile.objects.filter(pk=profile_id).exists()
    assert not EmailAddress.objects.filter(user_id=user_id).exists()
    assert not Authenticator.objects.filter(user_id=user_id).exists()
    assert not Follow.objects.filter(user_id=user_id).exists()
    assert not Membership.objects.filter(user_id=user_id).exists()
    assert not InvitationRequest.objects.filter(email="member@example.org").exists()
    assert not Invitation.objects.exists()


def test_deleting_an_account_ends_its_sessions_and_no_one_elses(member, staff):
    mine = [signed_in_session(member), signed_in_session(member)]
    theirs = signed_in_session(staff)

    account_delete(user=member)

    assert not Session.objects.filter(session_key__in=mine).exists()
    assert Session.objects.filter(session_key=theirs).exists()


def test_deleting_an_account_deletes_the_avatar_files_after_commit(
    member, django_capture_on_commit_callbacks
):
    profile = profile_update(user=member, **profile_fields(), avatar=avatar_pair())
    names = [profile.avatar.name, profile.avatar_small.name]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        account_delete(user=member)
    assert all(default_storage.exists(name) for name in names)

    for callback in callbacks:
        callback()
    assert not any(default_storage.exists(name) for name in names)


def test_deleting_an_account_without_a_profile_works(superuser):
    account_delete(user=superuser)

    assert not User.objects.filter(email="root@example.org").exists()
