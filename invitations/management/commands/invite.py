"""manage.py invite EMAIL: approve (or create and approve) a request for EMAIL and send it."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from invitations import services


def default_base_url() -> str:
    """The site's address, as every link in mail from a process with no request takes it
    (SITE_URL: scheme, host and port; by default from ALLOWED_HOSTS)."""
    return settings.SITE_URL


class Command(BaseCommand):
    help = (
        "Invite EMAIL: approve its pending request (or create one and approve it), "
        "or resend an invitation already approved, and e-mail the link."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The address to invite.")
        parser.add_argument(
            "--name", default="", help="The person's name (default: kept, or the address)."
        )
        parser.add_argument(
            "--base-url",
            default=None,
            help="The site's address for the link in the e-mail, e.g. https://pressimus.org "
            "(default: SITE_URL).",
        )
        parser.add_argument(
            "--reviewer",
            default=None,
            help="E-mail address of the staff account the decision is recorded under.",
        )

    def handle(self, *args, email: str, name: str, base_url: str | None, reviewer, **options):
        base_url = base_url or default_base_url()
        try:
            services.validate_base_url(base_url)
        except ValueError as error:
            raise CommandError(str(error)) from error
        reviewer_user = None
        if reviewer:
            reviewer_user = (
                get_user_model().objects.filter(email__iexact=reviewer, is_staff=True).first()
            )
            if reviewer_user is None:
                raise CommandError(f"There is no staff account {reviewer}.")
        try:
            invitation = services.invitation_invite(
                email=email, name=name, base_url=base_url, reviewer=reviewer_user
            )
        except ValidationError as error:
            raise CommandError(f"“{email}” is not a valid e-mail address.") from error
        except services.InvitationError as error:
            raise CommandError(str(error)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise CommandError(
                f"The invitation to {email} could not be sent ({error}); nothing was changed."
            ) from error
        expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M %Z")
        verb = "Invitation resent" if invitation.send_count > 1 else "Invitation sent"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} to {invitation.email}; it expires {expires}.")
        )
