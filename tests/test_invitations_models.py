"""invitations.models: what a token is, when an invitation may be spent, what a request holds."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.utils import timezone

from invitations.models import Explainer, Invitation, hash_token, new_token
from tests import factories
from tests.fixtures_invitations import make_request

NOW = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 30))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def invitation_for(invitation_request=None, **fields) -> Invitation:
    """An invitation as approval leaves it: a fresh token, unsent, not yet accepted."""
    invitation = Invitation(request=invitation_request or make_request(), email="anna@example.net")
    invitation.renew()
    for name, value in fields.items():
        setattr(invitation, name, value)
    invitation.save()
    return invitation


# Tokens


def test_a_token_is_32_random_bytes_written_for_a_link():
    token = new_token()

    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    assert token.replace("-", "").replace("_", "").isalnum()
    assert new_token() != token


def test_the_database_keeps_the_full_sha256_of_a_token_never_the_token():
    token = new_token()

    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(hash_token(token)) == 64


def test_a_renewed_invitation_answers_only_to_its_new_token(db):
    invitation = invitation_for()
    old_hash = invitation.token_hash

    token = invitation.renew()
    invitation.save()

    assert invitation.token_hash == hash_token(token) != old_hash
    assert list(Invitation.objects.by_token(token)) == [invitation]
    assert not Invitation.objects.filter(token_hash=old_hash).exists()


def test_renewing_gives_the_full_expiry_from_now(db, settings):
    settings.INVITATION_EXPIRY_DAYS = 5
    invitation = invitation_for()

    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        invitation.renew()

    assert invitation.expires_at == NOW + timedelta(days=8)


def test_two_invitations_can_never_share_a_token_hash(db):
    first = invitation_for()

    with pytest.raises(IntegrityError), transaction.atomic():
        invitation_for(make_request(email="ben@example.net"), token_hash=first.token_hash)


def test_a_fresh_invitation_with_its_full_hash_is_valid(db):
    invitation = invitation_for()

    invitation.full_clean()


def test_no_form_made_from_an_invitation_offers_its_token_hash():
    form_class = modelform_factory(Invitation, fields="__all__")

    assert "token_hash" not in form_class.base_fields


# When an invitation may be spent


def test_an_invitation_is_usable_until_the_moment_it_expires(db):
    invitation = invitation_for()

    with time_machine.travel(invitation.expires_at - timedelta(microseconds=1), tick=False):
        assert (invitation.is_expired, invitation.is_usable) == (False, True)
        assert list(Invitation.objects.usable()) == [invitation]
    with time_machine.travel(invitation.expires_at, tick=False):
        assert (invitation.is_expired, invitation.is_usable) == (True, False)
        assert not Invitation.objects.usable().exists()


def test_an_accepted_invitation_is_no_longer_usable(db):
    user = factories.UserFactory(email="anna@example.net")
    invitation = invitation_for(accepted_at=NOW, accepted_by=user)

    assert invitation.is_expired is False
    assert invitation.is_usable is False
    assert not Invitation.objects.usable().exists()


def test_only_usable_invitations_are_found_usable(db):
    user = factories.UserFactory(email="anna@example.net")
    usable = invitation_for(make_request(email="a@example.net"))
    invitation_for(make_request(email="b@example.net"), accepted_at=NOW, accepted_by=user)
    invitation_for(make_request(email="c@example.net"), expires_at=NOW - timedelta(days=1))

    assert list(Invitation.objects.usable()) == [usable]


def test_an_unsent_unaccepted_invitation_is_stored_and_valid(db):
    invitation = invitation_for()

    invitation.refresh_from_db()
    assert (invitation.sent_at, invitation.send_count) == (None, 0)
    assert (invitation.accepted_at, invitation.accepted_by) == (None, None)
    invitation.full_clean()


# What a request holds


def test_a_pending_request_needs_no_organisation_reason_or_reviewer(db):
    request = make_request(organisation="", reason="")

    request.full_clean()
    request.refresh_from_db()
    assert (request.reviewed_by, request.reviewed_at) == (None, None)


def test_a_request_address_is_stored_trimmed_and_lower_cased(db):
    request = make_request(email="  Anna.K@Example.NET ")

    request.refresh_from_db()
    assert request.email == "anna.k@example.net"


@pytest.mark.parametrize(("field", "limit"), [("name", 100), ("organisation", 150)])
def test_a_request_holds_names_up_to_their_limit_and_refuses_longer(db, field, limit):
    request = make_request(**{field: "x" * limit})
    request.full_clean()

    setattr(request, field, "x" * (limit + 1))
    with pytest.raises(ValidationError) as caught:
        request.full_clean()
    assert list(caught.value.message_dict) == [field]


def test_every_status_fits(db):
    request = make_request()
    for status in request.Status.values:
        request.status = status
        request.full_clean(validate_constraints=False)


def test_a_request_records_when_it_last_changed(db):
    request = make_request()

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        request.name = "Anna K."
        request.save()

    request.refresh_from_db()
    assert (request.created_at, request.updated_at) == (NOW, NOW + timedelta(hours=2))


# The explainer


def explainer_form(**data):
    form_class = modelform_factory(
        Explainer,
        fields=[
            "title", "video_file", "video_url", "poster",
            "captions", "captions_language", "transcript",
        ],
    )  # fmt: skip
    return form_class(data={"title": "Pressimus", "captions_language": "en", **data})


def test_an_explainer_may_be_a_hosted_video_alone():
    form = explainer_form(video_url="https://video.example/pressimus.mp4")

    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("field", "limit"), [("title", 150), ("captions_language", 10), ("transcript", 20000)]
)
def test_the_explainer_takes_text_up_to_its_limit_and_refuses_longer(field, limit):
    assert explainer_form(**{field: "x" * limit}).is_valid()
    assert list(explainer_form(**{field: "x" * (limit + 1)}).errors) == [field]


def test_the_explainer_plays_its_uploaded_file_else_the_hosted_video(db, settings, tmp_path):
    from django.core.files.base import ContentFile

    hosted = Explainer(video_url="https://video.example/pressimus.mp4")
    assert hosted.video_src == "https://video.example/pressimus.mp4"

    uploaded = Explainer(video_url="https://video.example/pressimus.mp4")
    uploaded.video_file.save("pressimus.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42"), save=False)
    assert uploaded.video_src == uploaded.video_file.url
    assert uploaded.video_src.endswith(".mp4") and uploaded.video_src.startswith("/")


def test_the_explainer_records_when_it_last_changed(db):
    explainer = Explainer.objects.create(video_url="https://video.example/a.mp4")

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        explainer.transcript = "Pressimus publishes press streams."
        explainer.save()

    explainer.refresh_from_db()
    assert explainer.updated_at == NOW + timedelta(days=1)
