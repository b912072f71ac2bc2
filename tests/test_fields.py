"""pressimus.lib.fields: one-line fields store, and their forms show, one line of plain text."""

from __future__ import annotations

import importlib

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from accounts.forms import ProfileForm
from accounts.models import Profile
from invitations.forms import InvitationRequestForm
from invitations.models import InvitationRequest
from pressimus.lib.fields import PlainCharField, PlainCharFormField, one_line
from streams.models import Block, Byline, Entry, Publisher, Source, Stream
from tests import factories

LINE_BREAKS = {
    "CR LF": "\r\n",
    "LF": "\n",
    "CR": "\r",
    "tab": "\t",
    "VT": "\x0b",
    "FF": "\x0c",
    "NEL": "\x85",
    "LINE SEPARATOR": "\u2028",
    "PARAGRAPH SEPARATOR": "\u2029",
    "RECORD SEPARATOR": "\x1e",
}
INJECTED = "X\r\nBcc: victim@example.test"
ON_ONE_LINE = "X Bcc: victim@example.test"


@pytest.mark.parametrize("line_break", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_each_line_break_becomes_one_space(line_break):
    assert one_line(f"Anna{line_break}Kowalska") == "Anna Kowalska"
    assert len(one_line(f"Anna{line_break}Kowalska").splitlines()) == 1


def test_a_run_of_breaks_tabs_and_spaces_becomes_one_space():
    assert one_line("Anna \r\n\t\u2028  Kowalska") == "Anna Kowalska"


def test_spaces_typed_between_words_are_kept():
    assert one_line("The  Interpreter") == "The  Interpreter"


def test_breaks_at_either_end_and_other_control_characters_go():
    assert one_line("\r\n\tThe\x00 Inter\x7fpreter\x1b\n") == "The Interpreter"


def test_a_value_of_breaks_alone_becomes_empty():
    assert one_line("\r\n\u2028\t") == ""


def test_text_beyond_ascii_is_kept():
    assert one_line("Amnesty «Unmasks» Удары — 🇸🇾") == "Amnesty «Unmasks» Удары — 🇸🇾"


@pytest.mark.django_db
def test_a_one_line_field_stores_a_line_break_as_a_space():
    request = InvitationRequest.objects.create(
        name=INJECTED, email="x@example.test", organisation="The\u2028Interpreter"
    )
    request.refresh_from_db()
    assert (request.name, request.organisation) == (ON_ONE_LINE, "The Interpreter")


@pytest.mark.django_db
def test_a_one_line_field_cleans_bulk_creates_and_model_validation_too():
    [profile] = Profile.objects.bulk_create(
        [Profile(user=factories.UserFactory(), display_name="Mia\nMember", handle="mia")]
    )
    assert Profile.objects.get(pk=profile.pk).display_name == "Mia Member"

    profile.display_name = "Mia\r\nMember"
    profile.full_clean()
    assert profile.display_name == "Mia Member"


def test_a_multi_line_field_keeps_its_line_breaks():
    reason = InvitationRequest._meta.get_field("reason")
    assert reason.clean("One line.\nAnother.", None) == "One line.\nAnother."


def test_every_one_line_model_field_gives_the_one_line_form_field():
    one_line_fields = [
        field
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, PlainCharField)
    ]
    assert {(field.model, field.name) for field in one_line_fields} >= {
        (InvitationRequest, "name"),
        (InvitationRequest, "organisation"),
        (Profile, "display_name"),
        (Publisher, "name"),
        (Source, "name"),
        (Stream, "title"),
        (Entry, "title"),
        (Block, "credit"),
        (Block, "alt_text"),
        (Byline, "name"),
    }
    for field in one_line_fields:
        form_field = field.formfield()
        assert isinstance(form_field, PlainCharFormField), field
        assert form_field.max_length == field.max_length


def test_the_admin_form_of_a_model_cleans_its_one_line_fields(rf: RequestFactory):
    request = rf.get("/admin/")
    request.user = factories.UserFactory.build(is_superuser=True, is_staff=True)
    form_class = admin.site._registry[Source].get_form(request)
    assert isinstance(form_class.base_fields["name"], PlainCharFormField)


def test_the_form_field_cleans_as_the_model_field_stores():
    field = PlainCharFormField(max_length=30)
    assert field.clean(INJECTED) == ON_ONE_LINE


def test_the_form_field_counts_the_length_of_the_cleaned_value():
    field = PlainCharFormField(max_length=13)
    assert field.clean("Anna\r\n\r\nKowalska") == "Anna Kowalska"


def test_the_form_field_refuses_a_required_value_of_breaks_alone():
    with pytest.raises(forms.ValidationError, match="This field is required"):
        PlainCharFormField().clean("\r\n\t")


def test_an_optional_form_field_of_breaks_alone_gives_its_empty_value():
    assert PlainCharFormField(required=False, empty_value=None).clean("\u2028") is None


def test_a_form_shown_again_with_errors_shows_the_value_on_one_line():
    form = InvitationRequestForm(
        {"name": INJECTED, "email": "not an address", "organisation": "The\nInterpreter"}
    )
    assert not form.is_valid()
    assert form["name"].value() == ON_ONE_LINE
    assert form["organisation"].value() == "The Interpreter"
    assert f'value="{ON_ONE_LINE}"' in str(form["name"])


def test_the_hand_written_forms_use_the_one_line_form_field():
    assert isinstance(InvitationRequestForm.base_fields["name"], PlainCharFormField)
    assert isinstance(InvitationRequestForm.base_fields["organisation"], PlainCharFormField)
    assert isinstance(ProfileForm.base_fields["display_name"], PlainCharFormField)


@pytest.mark.django_db
def test_the_migration_puts_names_stored_earlier_on_one_line():
    migration = importlib.import_module("accounts.migrations.0003_names_on_one_line")
    profile = factories.ProfileFactory()
    request = InvitationRequest.objects.create(name="Anna", email="anna@example.test")
    untouched = InvitationRequest.objects.create(name="Mia Member", email="mia@example.test")
    # As rows saved before the field collapsed breaks: update() skips the field's cleaning.
    Profile.objects.filter(pk=profile.pk).update(display_name="James\r\nMiller")
    InvitationRequest.objects.filter(pk=request.pk).update(
        name=INJECTED, organisation="The\u2029Interpreter"
    )

    migration.put_names_on_one_line(apps, schema_editor=None)

    profile.refresh_from_db()
    request.refresh_from_db()
    assert profile.display_name == "James Miller"
    assert (request.name, request.organisation) == (ON_ONE_LINE, "The Interpreter")
    assert InvitationRequest.objects.get(pk=untouched.pk).name == "Mia Member"


def test_rich_text_beyond_its_bound_is_refused_in_words_before_it_is_cleaned():
    from pressimus.lib.fields import RICH_TEXT_MAX_LENGTH, RichTextField

    field = RichTextField()
    hostile = "</script " * (RICH_TEXT_MAX_LENGTH // 9 + 1)

    with pytest.raises(ValidationError) as refused:
        field.clean(hostile, None)

    assert "This text is too long" in refused.value.messages[0]
    assert field.clean("<p>" + "word " * 1000 + "</p>", None).startswith("<p>word")
