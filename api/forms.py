from __future__ import annotations

from django import forms

from api.models import ApiToken
from pressimus.lib.fields import PlainCharFormField


class ApiTokenForm(forms.Form):
    """A new personal API token: only its name is asked for."""

    name = PlainCharFormField(
        label="Token name",
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What it is for, such as “newsroom dashboard”: the list below shows it.",
        error_messages={"required": "Name the token, so that you know later which one to revoke."},
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
