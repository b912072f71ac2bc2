"""Multi-step writes on invitation requests and invitations.

Views, admin actions and the ``invite`` command call these; none re-implements them.
Every decision records who made it (``reviewed_by``) and when (``reviewed_at``); the
admin's history (LogEntry) keeps the whole sequence of decisions on a request.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from invitations import emails
from invitations.models import Invitation, InvitationRequest

logger = logging.getLogger(__name__)

Status = InvitationRequest.Status
# The statuses the database allows once per address (constraint invitation_request_open_once).
OPEN_STATUSES = (Status.PENDING, Status.APPROVED)
_DECISION_FIELDS = ["status", "reviewed_by", "reviewed_at", "decline_reason", "updated_at"]


class InvitationError(Exception):
    """A decision that cannot be taken on a request in its present state; says why in words."""


class InvitationNotUsable(InvitationError):
    """The invitation is unknown, expired, renewed, already used, or for another address."""

    # "*" or "/": every caller names the reason, so either reads the same.
    def __init__(self, message: str, *, reason: str = "expired") -> None:  # pragma: no mutate
        super().__init__(message)
        # One of "unknown", "expired", "used": which explanation the visitor is shown.
        self.reason = reason


def normalize_email(email: str) -> str:
    # Stored lower-cased, like User.email, so that one person is one address everywhere.
    return email.strip().lower()


def validate_base_url(base_url: str) -> str:
    """The site's root (scheme and host) from ``base_url``; ValueError when it is none."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"“{base_url}” is not the address of a site, such as https://example.org")
    return f"{parts.scheme}://{parts.netloc}"


def accept_url(*, base_url: str, token: str) -> str:
    """The link in the invitation e-mail: ``base_url`` is the site's root, scheme included."""
    return validate_base_url(base_url) + reverse("invitations:accept", kwargs={"token": token})


def _has_account(email: str) -> bool:
    return get_user_model().objects.filter(email__iexact=email).exists()


def _lock(request: InvitationRequest) -> InvitationRequest:
    # Two reviewers pressing "Approve" at once must not send two invitations.
    return InvitationRequest.objects.select_for_update().get(pk=request.pk)


def _acknowledge(request_id: int) -> None:
    request = InvitationRequest.objects.filter(pk=request_id).first()
    if request is None:
        return
    try:
        # Through the task queue: the mail server's pace is not the requester's wait.
        emails.queue(
            "emails/invitation_request_received",
            request.email,
            {"invitation_request": request},
            key=f"invitation-request:{request.pk}:received",
            purpose=f"acknowledge the invitation request of {request.email}",
        )
    except Exception:
        # The request is stored and staff will see it; a lost courtesy e-mail is no reason
        # to show the requester an error (or to let them retry into a duplicate).
        logger.exception("Could not acknowledge the invitation request of %s", request.email)


@transaction.atomic
def invitation_request_submit(
    *, name: str, email: str, organisation: str = "", reason: str = ""
) -> InvitationRequest | None:
    """Store a request to join, or refresh the open one for the same address.

    Returns None, storing nothing, when the address already has an account. The caller
    answers every case the same way, so the outcome reveals nothing about the address.

    The acknowledgement e-mail goes out only when a request is newly stored (a first
    request, or a new one after a decline). Anyone can type anyone's address into the
    form: mailing on every repeat would let a stranger flood someone's inbox, limited
    only by the per-client throttle, and mailing an existing account ("you already have
    one") would make the form an oracle for whoever reads that inbox. So repeats update
    the pending request silently, an approved one stays as staff decided it, and an
    address with an account is neither stored nor mailed.
    """
    email = normalize_email(email)
    if _has_account(email):
        return None
    fields = {"name": name, "organisation": organisation, "reason": reason}
    open_request = (
        InvitationRequest.objects.select_for_update()
        .filter(email=email, status__in=OPEN_STATUSES)
        .first()
    )
    if open_request is None:
        candidate = InvitationRequest(email=email, **fields)
        # No field is unique, and the database keeps the open-once constraint: either check
        # would only repeat a query.
        candidate.full_clean(
            validate_unique=False,  # pragma: no mutate
            validate_constraints=False,  # pragma: no mutate
        )
        try:
            # A savepoint: a simultaneous first request for the same address may win the insert.
            with transaction.atomic():
                candidate.save()
        except IntegrityError:
            open_request = InvitationRequest.objects.select_for_update().get(
                email=email, status__in=OPEN_STATUSES
            )
        else:
            transaction.on_commit(lambda: _acknowledge(candidate.pk))
            return candidate
    if open_request.status == Status.PENDING:
        for field, value in fields.items():
            setattr(open_request, field, value)
        # No field is unique, and the database keeps the open-once constraint: either check
        # would only repeat a query.
        open_request.full_clean(
            validate_unique=False,  # pragma: no mutate
            validate_constraints=False,  # pragma: no mutate
        )
        open_request.save(update_fields=[*fields, "updated_at"])
    return open_request


def _send_invitation(
    invitation: Invitation,
    token: str,
    # "*" or "/": every caller names the base URL, so either reads the same.
    *,  # pragma: no mutate
    base_url: str,
) -> None:
    invitation_request = invitation.request
    emails.send(
        "emails/invitation",
        invitation.email,
        {
            "invitation": invitation,
            "invitation_request": invitation_request,
            "accept_url": accept_url(base_url=base_url, token=token),
        },
    )


@transaction.atomic
def invitation_approve(
    *, request: InvitationRequest, reviewer: AbstractBaseUser | None, base_url: str
) -> Invitation:
    """Approve a request: create (or renew) its invitation and e-mail the link.

    The e-mail is sent inside the transaction: if sending raises, nothing is stored, the
    request stays approvable, and the error propagates to the caller to show.
    """
    locked = _lock(request)
    if locked.status == Status.APPROVED:
        raise InvitationError(
            f"An invitation has already been sent to {locked.email}; resend it instead."
        )
    if locked.status == Status.ACCEPTED:
        raise InvitationError(f"The invitation to {locked.email} has already been accepted.")
    if (
        locked.status == Status.DECLINED
        # Only a declined request can have an open one beside it (one per address), so
        # "or" would read the same.
        and InvitationRequest.objects.filter(  # pragma: no mutate: ReplaceAndWithOr
            email=locked.email, status__in=OPEN_STATUSES
        )
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise InvitationError(
            f"A newer request from {locked.email} is waiting; approve that one instead."
        )
    if _has_account(locked.email):
        raise InvitationError(f"An account with the address {locked.email} already exists.")

    now = timezone.now()
    invitation = Invitation.objects.filter(request=locked).first() or Invitation(request=locked)
    invitation.email = locked.email
    invitation.accepted_at = None
    invitation.accepted_by = None
    token = invitation.renew()
    invitation.sent_at = now
    invitation.send_count += 1
    invitation.save()

    locked.status = Status.APPROVED
    locked.reviewed_by = reviewer
    locked.reviewed_at = now
    locked.decline_reason = ""
    locked.save(update_fields=_DECISION_FIELDS)

    _send_invitation(invitation, token, base_url=base_url)
    request.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_decline(
    *,
    request: InvitationRequest,
    reviewer: AbstractBaseUser | None,
    reason: str = "",
    notify: bool = False,
) -> InvitationRequest:
    """Decline a request (kept, with the reason); declining an approved one withdraws its
    invitation. With ``notify`` the requester is e-mailed, and a failed send undoes it all."""
    locked = _lock(request)
    if locked.status == Status.DECLINED:
        raise InvitationError(f"The request of {locked.email} has already been declined.")
    if locked.status == Status.ACCEPTED:
        raise InvitationError(f"The invitation to {locked.email} has already been accepted.")

    now = timezone.now()
    # A withdrawn invitation expires now; it stays on record, its link shows "expired".
    Invitation.objects.filter(request=locked, accepted_at__isnull=True).update(expires_at=now)
    locked.status = Status.DECLINED
    locked.reviewed_by = reviewer
    locked.reviewed_at = now
    locked.decline_reason = reason.strip()
    # No field is unique, and the database keeps the open-once constraint: either check
    # would only repeat a query.
    locked.full_clean(
        validate_unique=False,  # pragma: no mutate
        validate_constraints=False,  # pragma: no mutate
    )
    locked.save(update_fields=_DECISION_FIELDS)

    if notify:
        emails.send(
            "emails/invitation_declined",
            locked.email,
            {"invitation_request": locked, "reason": locked.decline_reason},
        )
    request.refresh_from_db()
    return locked


@transaction.atomic
def invitation_resend(
    *, request: InvitationRequest, reviewer: AbstractBaseUser | None, base_url: str
) -> Invitation:
    """Send an approved request's invitation again, with a new token and a new expiry.

    The previous link stops working: only the new token's hash is kept.
    """
    locked = _lock(request)
    if locked.status != Status.APPROVED:
        raise InvitationError(
            f"Only approved invitations can be resent; the request of {locked.email} is "
            f"{locked.get_status_display().lower()}."
        )
    invitation = Invitation.objects.select_for_update().filter(request=locked).first()
    if invitation is None or invitation.accepted_at is not None:
        raise InvitationError(f"There is no invitation to {locked.email} waiting to be accepted.")
    if _has_account(locked.email):
        raise InvitationError(f"An account with the address {locked.email} already exists.")

    token = invitation.renew()
    invitation.sent_at = timezone.now()
    invitation.send_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "sent_at", "send_count"])
    _send_invitation(invitation, token, base_url=base_url)
    logger.info("Invitation to %s resent by %s", locked.email, reviewer or "a command")
    return invitation


@transaction.atomic
def invitation_accept(*, invitation_id: int, user: AbstractBaseUser) -> Invitation:
    """Spend the invitation on ``user``'s new account.

    One conditional UPDATE does it: of two sign-ups racing with one token, the database
    lets exactly one change the row; the other gets InvitationNotUsable, and its caller's
    transaction (which created its user) rolls back.
    """
    now = timezone.now()
    email = normalize_email(user.get_username())
    spent = Invitation.objects.filter(
        pk=invitation_id, email=email, accepted_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now, accepted_by=user)
    if not spent:
        invitation = Invitation.objects.filter(pk=invitation_id).first()
        if invitation is None:
            raise InvitationNotUsable("This invitation does not exist.", reason="unknown")
        if invitation.accepted_at is not None:
            raise InvitationNotUsable("This invitation has already been used.", reason="used")
        if invitation.email != email:
            raise InvitationNotUsable(
                "This invitation is for another e-mail address.", reason="unknown"
            )
        raise InvitationNotUsable("This invitation has expired.", reason="expired")
    InvitationRequest.objects.filter(invitation__pk=invitation_id).update(
        status=Status.ACCEPTED, updated_at=now
    )
    return Invitation.objects.select_related("request").get(pk=invitation_id)


@transaction.atomic
def invitation_invite(
    *, email: str, base_url: str, name: str = "", reviewer: AbstractBaseUser | None = None
) -> Invitation:
    """Invite an address directly (``manage.py invite``): approve its open request, resend
    an approved one, or create a request and approve it. All or nothing."""
    email = normalize_email(email)
    validate_email(email)
    if _has_account(email):
        raise InvitationError(f"An account with the address {email} already exists.")
    open_request = (
        InvitationRequest.objects.select_for_update()
        .filter(email=email, status__in=OPEN_STATUSES)
        .first()
    )
    if open_request is not None and open_request.status == Status.APPROVED:
        return invitation_resend(request=open_request, reviewer=reviewer, base_url=base_url)
    if open_request is None:
        open_request = InvitationRequest(email=email, name=name or email.split("@")[0])
        # No field is unique, and the database keeps the open-once constraint: either check
        # would only repeat a query.
        open_request.full_clean(
            validate_unique=False,  # pragma: no mutate
            validate_constraints=False,  # pragma: no mutate
        )
        open_request.save()
    elif name:
        open_request.name = name
        open_request.save(update_fields=["name", "updated_at"])
    return invitation_approve(request=open_request, reviewer=reviewer, base_url=base_url)
