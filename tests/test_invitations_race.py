"""Two sign-ups racing with one invitation make exactly one account (PostgreSQL, real threads)."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from accounts import adapter
from accounts.models import Profile
from invitations import services
from invitations.models import Invitation, InvitationRequest
from tests import factories
from tests.fixtures_invitations import *  # noqa: F403
from tests.fixtures_invitations import accept_into_session, approve, make_request, sign_up

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs row locks and concurrent transactions: run with DATABASE_URL=postgres://…",
    ),
]


def test_two_racing_signups_with_one_invitation_make_one_account(monkeypatch):
    path = approve(make_request(email="anna@example.net"))
    clients = [Client(), Client()]
    for client in clients:
        accept_into_session(client, path)

    real_profile_create = adapter.profile_create

    def slow_profile_create(**kwargs):
        # Hold the winner's transaction open so the other sign-up surely arrives meanwhile.
        time.sleep(0.3)
        return real_profile_create(**kwargs)

    monkeypatch.setattr(adapter, "profile_create", slow_profile_create)
    start = threading.Barrier(len(clients))
    responses: dict[int, object] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            responses[index] = sign_up(clients[index])
        except BaseException as error:  # surfaced in the main thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    locations = sorted(response["Location"] for response in responses.values())
    assert locations == ["/", "/invitations/invalid/?reason=used"]
    User = get_user_model()
    assert User.objects.filter(email="anna@example.net").count() == 1
    user = User.objects.get(email="anna@example.net")
    assert Profile.objects.filter(display_name="Anna Kowalska").count() == 1
    assert Invitation.objects.get().accepted_by == user
    assert InvitationRequest.objects.get().status == "accepted"


def test_racing_accepts_of_one_invitation_spend_it_once():
    """The service alone: two transactions UPDATE the same row, each on its own condition."""
    approve(make_request(email="anna@example.net"))
    invitation = Invitation.objects.get()
    user = factories.UserFactory(email="anna@example.net")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        try:
            start.wait()
            services.invitation_accept(invitation_id=invitation.pk, user=user)
            outcomes.append("accepted")
        except services.InvitationNotUsable:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["accepted", "refused"]
    assert Invitation.objects.get().accepted_by == user
