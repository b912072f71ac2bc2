from __future__ import annotations

from allauth.account.forms import SignupForm
from allauth.core import context
from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse

from invitations.models import InvitationRequest
from invitations.services import InvitationNotUsable
from invitations.session import invitation_forget, invitation_from_session
from pressimus.lib.fields import PlainCharFormField


def _max_length(field: str) -> int:
    return InvitationRequest._meta.get_field(field).max_length


class InvitationRequestForm(forms.Form):
    name = PlainCharFormField(
        label="Your name",
        max_length=_max_length("name"),
        error_messages={
            "required": "Please tell us your name.",
            "max_length": "Please shorten your name to %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="E-mail address",
        max_length=_max_length("email"),
        help_text="The invitation will be sent here.",
        error_messages={
            "required": "Please give the e-mail address the invitation should go to.",
            "invalid": "This does not look like an e-mail address; check it for typos.",
            "max_length": "An e-mail address has at most %(limit_value)d characters.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    organisation = PlainCharFormField(
        label="Organisation",
        required=False,
        max_length=_max_length("organisation"),
        help_text="Optional: the newsroom, journal or group you work with.",
        error_messages={
            "max_length": "Please shorten this to %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    reason = forms.CharField(
        label="Why would you like to join?",
        max_length=_max_length("reason"),
        help_text="A few sentences help staff review your request.",
        error_messages={
            "required": "Please tell us in a few words why you would like to join.",
            "max_length": "Please shorten this to %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # The honeypot: people never see it (hidden by a CSS class, skipped by keyboard and
    # screen readers), while simple bots fill in every field they find.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    @property
    def is_from_bot(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def submission(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "email": data["email"],
            "organisation": data["organisation"],
            "reason": data["reason"],
        }


class InvitedSignupForm(SignupForm):
    """allauth's sign-up form, with the e-mail address fixed to the invited one.

    The field is disabled, so Django uses the invited address whatever is posted.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        request = context.request
        invitation = invitation_from_session(request) if request is not None else None
        if invitation is not None and "email" in self.fields:
            email = self.fields["email"]
            email.initial = invitation.email
            email.disabled = True
            email.label = "E-mail address"
            email.help_text = "Your invitation is for this address; it is already verified."
            email.widget.attrs.pop("placeholder", None)

    def try_save(self, request: HttpRequest):
        # allauth's sign-up view runs outside any transaction: the user, their profile,
        # their e-mail address and the spent invitation are written together or not at all.
        try:
            with transaction.atomic():
                return super().try_save(request)
        except InvitationNotUsable as error:
            invitation_forget(request, verified_email=True)
            return None, redirect(f"{reverse('invitations:invalid')}?reason={error.reason}")
