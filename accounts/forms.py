"""The forms of the settings pages: profile, preferences and account deletion."""

from __future__ import annotations

from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.http import HttpRequest

from accounts.models import Profile, User
from accounts.services import handle_taken
from pressimus.lib import images
from pressimus.lib.zones import time_zone_choices

AVATAR_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
AVATAR_SIZES = (256, 64)
DELETE_PHRASE = "delete my account"


class PlainLabelsMixin:
    """Labels without Django's trailing colon."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ProfileForm(PlainLabelsMixin, forms.ModelForm):
    avatar = forms.FileField(
        label="Profile image",
        required=False,
        help_text="JPEG, PNG, WebP or GIF, up to 10 MB. It is cropped to a square.",
        widget=forms.FileInput(attrs={"accept": AVATAR_ACCEPT}),
    )
    remove_avatar = forms.BooleanField(label="Remove my profile image", required=False)
    website = forms.URLField(
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text="Your site or a page about you, shown on your profile.",
    )

    class Meta:
        model = Profile
        fields = ["display_name", "handle", "bio", "website"]
        labels = {"display_name": "Name", "handle": "Handle", "bio": "About you"}
        help_texts = {
            "display_name": "Shown on your profile and on the entries you write.",
            "handle": "The address of your profile: /people/<handle>/. Lower-case letters, "
            "digits and hyphens. Changing it changes the address.",
            "bio": "A few lines for your profile page.",
        }
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "display_name": {"required": "Give the name readers should see."},
            "handle": {
                "required": "Choose a handle: it makes the address of your profile.",
                "invalid": "Use only letters, digits and hyphens in a handle, such as mia-member.",
            },
        }

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].lower()
        taken = Profile.objects.filter(handle__iexact=handle).exclude(pk=self.instance.pk).exists()
        if taken:
            raise forms.ValidationError(handle_taken(handle), code="taken")
        return handle

    def clean_avatar(self) -> list[ContentFile] | None:
        upload = self.cleaned_data.get("avatar")
        if not upload:
            return None
        # Checked, decoded and re-encoded here, so that a refused file is never stored.
        return images.square_renditions(upload, AVATAR_SIZES)


class PreferencesForm(PlainLabelsMixin, forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Every time on every page is shown in this zone.",
    )

    class Meta:
        model = User
        fields = ["time_zone", "entry_order", "live_updates", "theme", "email_security_notices"]
        labels = {
            "entry_order": "Order of entries in a stream",
            "live_updates": "When new entries arrive",
            "theme": "Colours",
            "email_security_notices": "E-mail me when my password, e-mail addresses or "
            "two-factor settings change",
        }
        help_texts = {"email_security_notices": ""}
        widgets = {
            "entry_order": forms.RadioSelect,
            "live_updates": forms.RadioSelect,
            "theme": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        site_zone = settings.TIME_ZONE
        self.fields["time_zone"].choices = [
            ("", f"Same as the site ({site_zone})"),
            *time_zone_choices(),
        ]


class DeleteAccountForm(PlainLabelsMixin, forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.CharField(
        label=f"Type “{DELETE_PHRASE}” to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, request: HttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User = request.user  # type: ignore[assignment]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.has_usable_password():
            raise forms.ValidationError(
                "Your account has no password yet: set one first, then delete the account.",
                code="no_password",
            )
        # allauth's limit on re-entering a password: a stolen session cannot guess it.
        if not ratelimit.consume(self.request, action="reauthenticate", user=self.user):
            raise forms.ValidationError(
                "Too many attempts: wait a minute, then try again.", code="rate_limited"
            )
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.", code="wrong_password")
        return password

    def clean_confirm(self) -> str:
        confirm = " ".join(self.cleaned_data["confirm"].split()).lower()
        if confirm != DELETE_PHRASE:
            raise forms.ValidationError(
                f"Type “{DELETE_PHRASE}” exactly, to show that you mean it.", code="unconfirmed"
            )
        return confirm
