"""How django-allauth signs people up here: only with an invitation, into a user and a profile."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest

from accounts.services import profile_create
from invitations.models import Invitation
from invitations.services import InvitationNotUsable, invitation_accept
from invitations.session import (
    invitation_forget,
    invitation_from_session,
    invitation_id_from_session,
)
from notifications.mail import QueuedEmailBackend


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return invitation_from_session(request) is not None

    def save_user(
        self,
        request: HttpRequest,
        user: AbstractBaseUser,
        form: Any,
        commit: bool = True,
    ) -> AbstractBaseUser:
        """Create the user, their profile, and spend the invitation, in one transaction.

        Always commits: the invitation can only be spent on a saved user. The caller
        (InvitedSignupForm.try_save) wraps this and the e-mail address set-up in one
        more transaction, so an InvitationNotUsable from here leaves no account behind.
        """
        with transaction.atomic():
            invitation = (
                # Locked first, so that of two sign-ups racing with one invitation the
                # second waits here (not on the unique e-mail index, as an IntegrityError)
                # and then finds it spent. The conditional UPDATE in invitation_accept
                # stays the guarantee, also on databases without row locks.
                Invitation.objects.usable()
                .select_for_update()
                .filter(pk=invitation_id_from_session(request))
                .first()
            )
            if invitation is None:
                raise InvitationNotUsable(
                    "This invitation has expired or has already been used.", reason="used"
                )
            user = super().save_user(request, user, form, commit=False)
            # Whatever was posted, the account gets the address the invitation went to.
            user.email = invitation.email
            user.save()
            profile_create(user=user, display_name=invitation.request.name)
            invitation_accept(invitation_id=invitation.pk, user=user)
            invitation_forget(request)
        return user

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """allauth's message, sent through the task queue: a slow or failing mail server
        never holds up (or breaks) the sign-up, password reset or e-mail change it is for."""
        message = super().render_mail(template_prefix, email, context, headers)
        message.connection = QueuedEmailBackend()
        return message

    def send_notification_mail(
        self,
        template_prefix: str,
        user: AbstractBaseUser,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        # Security notices (password changed, e-mail added, two-factor on/off) are a
        # preference of the person; every other allauth e-mail is needed to act.
        if not getattr(user, "email_security_notices", True):
            return
        super().send_notification_mail(template_prefix, user, context, email)
