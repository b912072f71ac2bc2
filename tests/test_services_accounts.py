"""accounts.services: profile updates, the data export and account deletion."""

from __future__ import annotations

import io
import json
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
from django.utils.text import slugify
from PIL import Image

from accounts.models import Profile, User
from accounts.services import (
    account_delete,
    account_export,
    handle_base,
    profile_avatar_remove,
    profile_create,
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


# Handles


@pytest.mark.parametrize(
    ("name", "email", "base"),
    [
        ("Anna Kowalska", "ak@example.org", "anna-kowalska"),
        ("", "anna.k@example.org", "annak"),
        ("!!!", "anna.k@example.org", "annak"),
        ("", "...@example.org", "member"),
    ],
)
def test_a_handle_starts_from_the_name_else_the_address_else_member(name, email, base):
    assert handle_base(name, email) == base


def test_a_long_name_leaves_room_in_its_handle_for_a_number(db):
    name = "Ekaterina Alexandrovna Sokolova-Petrovskaya of the Interpreter"
    person(handle=slugify(name)[:34].strip("-"))
    user = factories.UserFactory(email="ekaterina@example.org")

    profile = profile_create(user=user, display_name=name)

    assert profile.handle == slugify(name)[:34].strip("-") + "-2"
    assert len(profile.handle) <= 40


def test_handles_taken_get_the_next_free_number(db):
    for handle in ("anna-k", "anna-k-2", "anna-k-3"):
        person(handle=handle)
    user = factories.UserFactory(email="anna@example.org")

    assert profile_create(user=user, display_name="Anna K").handle == "anna-k-4"


def test_a_handle_taken_between_looking_and_saving_is_tried_again(db, monkeypatch):
    from accounts import services

    person(handle="anna-k")
    answers = iter(["anna-k", "anna-k-2"])
    monkeypatch.setattr(services, "free_handle", lambda base: next(answers))
    user = factories.UserFactory(email="anna@example.org")

    assert profile_create(user=user, display_name="Anna K").handle == "anna-k-2"


def test_profile_prefilled_ignores_the_plus_part_of_an_address(db):
    user = factories.UserFactory(email="ann.lee+pressimus@example.org")

    assert profile_prefilled(user=user).display_name == "Ann Lee"


def test_profile_prefilled_cuts_a_long_name_to_what_a_profile_holds(db):
    user = factories.UserFactory(email="a" * 150 + "@example.org")

    profile = profile_prefilled(user=user)

    assert profile.display_name == "A" + "a" * 99


def test_updating_a_profile_without_a_new_image_keeps_the_current_one(member):
    old = profile_update(user=member, **profile_fields(), avatar=avatar_pair())

    profile = profile_update(user=member, **profile_fields(bio="New bio."))

    assert (profile.avatar.name, profile.bio) == (old.avatar.name, "New bio.")
    assert default_storage.exists(old.avatar.name)


def test_a_profile_update_stores_the_handle_in_lower_case(member):
    profile = profile_update(user=member, **profile_fields(handle="Mia-K"))

    assert Profile.objects.get(user=member).handle == profile.handle == "mia-k"


def test_a_profile_update_refuses_an_invalid_website_and_stores_no_file(member):
    with pytest.raises(ValidationError) as caught:
        profile_update(user=member, **profile_fields(website="not a url"), avatar=avatar_pair())

    assert list(caught.value.message_dict) == ["website"]
    assert stored_files() == []


# Personal data: everything exported, everything deleted


def test_an_export_gives_the_address_of_the_members_image(member):
    profile = profile_update(user=member, **profile_fields(), avatar=avatar_pair())

    data = account_export(user=member, site_url="https://pressimus.test")

    assert data["profile"]["avatar"] == f"https://pressimus.test{profile.avatar.url}"


def test_an_export_of_a_member_without_an_image_says_so(member):
    assert account_export(user=member)["profile"]["avatar"] is None


def test_an_export_lists_every_invitation_request_under_the_members_addresses(member):
    accepted_invitation(member)
    InvitationRequest.objects.create(
        name="Mia", email="member@example.org", status=InvitationRequest.Status.DECLINED
    )
    EmailAddress.objects.create(user=member, email="Mia@Work.example", verified=True)
    InvitationRequest.objects.create(name="Mia at work", email="mia@work.example")
    InvitationRequest.objects.create(name="Someone else", email="other@example.org")

    data = account_export(user=member)

    assert sorted((r["name"], r["status"]) for r in data["invitation_requests"]) == [
        ("Mia", "declined"),
        ("Mia Member", "accepted"),
        ("Mia at work", "pending"),
    ]


def test_an_export_includes_the_request_behind_an_invitation_sent_to_another_address(member):
    accepted_invitation(member, email="old-address@example.org")

    data = account_export(user=member)

    assert [r["email"] for r in data["invitation_requests"]] == ["old-address@example.org"]


def test_an_export_gives_the_address_of_each_entry_and_follow(member, stream_a, publisher_b):
    entry = factories.EntryFactory(stream=stream_a, bylines=[member.profile])
    Follow.objects.create(user=member, stream=stream_a)
    Follow.objects.create(user=member, publisher=publisher_b)

    data = account_export(user=member, site_url="https://pressimus.test")

    assert data["bylined_entries"][0]["url"] == (
        f"https://pressimus.test/streams/syria/entries/{entry.pk}/"
    )
    assert sorted(f["url"] for f in data["follows"]) == [
        "https://pressimus.test/publishers/harbour-light/",
        "https://pressimus.test/streams/syria/",
    ]


def test_deleting_an_account_removes_every_invitation_request_under_its_addresses(member):
    accepted_invitation(member, email="old-address@example.org")
    InvitationRequest.objects.create(
        name="Mia", email="member@example.org", status=InvitationRequest.Status.DECLINED
    )
    EmailAddress.objects.create(user=member, email="mia@work.example", verified=True)
    InvitationRequest.objects.create(name="Mia at work", email="mia@work.example")
    other = InvitationRequest.objects.create(name="Someone else", email="other@example.org")

    account_delete(user=member)

    assert list(InvitationRequest.objects.all()) == [other]


def test_deleting_an_account_moves_the_version_of_every_stream_it_is_bylined_in(
    member, stream_a, stream_b
):
    from live.versions import stream_version

    factories.EntryFactory(stream=stream_a, bylines=[member.profile])
    untouched = factories.StreamFactory(publisher=stream_b.publisher)
    before = {s.pk: stream_version(s.pk) for s in (stream_a, untouched)}

    account_delete(user=member)

    assert stream_version(stream_a.pk) > before[stream_a.pk]
    assert stream_version(untouched.pk) == before[untouched.pk]


def test_an_account_deletion_that_fails_half_way_deletes_nothing(member, stream_a, monkeypatch):
    from accounts import services

    entry = factories.EntryFactory(stream=stream_a, bylines=[member.profile])
    accepted_invitation(member)

    def broken(user):
        raise RuntimeError("the session store is away")

    monkeypatch.setattr(services, "_sessions_end", broken)
    with pytest.raises(RuntimeError):
        account_delete(user=member)

    assert Byline.objects.get(entry=entry).profile == member.profile
    assert InvitationRequest.objects.filter(email="member@example.org").exists()
    assert User.objects.filter(pk=member.pk).exists()


def test_an_avatar_file_that_cannot_be_deleted_is_logged_not_raised(
    member, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from django.core.files.storage import FileSystemStorage

    profile = profile_update(user=member, **profile_fields(), avatar=avatar_pair())

    def refuse(storage, name):
        raise PermissionError(f"read-only: {name}")

    monkeypatch.setattr(FileSystemStorage, "delete", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=member)

    assert not User.objects.filter(pk=member.pk).exists()
    assert f"Could not delete avatar file {profile.avatar.name}" in caplog.text


def test_removing_the_image_of_a_profile_without_one_changes_nothing(
    member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        profile_avatar_remove(profile=member.profile)

    assert callbacks == []


def test_an_export_lists_the_members_api_tokens_without_their_secrets(member):
    from api.services import api_token_create

    secret = api_token_create(user=member, name="Newsroom dashboard").secret

    data = account_export(user=member)

    assert [token["name"] for token in data["api_tokens"]] == ["Newsroom dashboard"]
    assert secret not in json.dumps(data)
