"""Model fields that keep what they store safe to render and to put in XML."""

from __future__ import annotations

import re
from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from pressimus.lib.html import clean_html, strip_control_characters

# Every character that ends a line for someone who reads the value: CR and LF in e-mail
# headers and bodies, VT, FF, FS, GS, RS, NEL, LINE and PARAGRAPH SEPARATOR in browsers,
# editors and str.splitlines. One of them in a name put into a mail starts a line of the
# sender's choosing ("Bcc: …"); a tab goes with them, as text inputs cannot hold one.
_LINE_BREAKS = r"\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029"
_LINE_BREAK_RUN = re.compile(rf"[ {_LINE_BREAKS}]*[{_LINE_BREAKS}][ {_LINE_BREAKS}]*")


def _plain(value: str) -> str:
    return strip_control_characters(value).strip()


def one_line(value: str) -> str:
    """``value`` as one line of plain text.

    Each run of line breaks and tabs (with the spaces around it) becomes one space, other
    control characters go, and so does white space at either end.
    """
    # Before the control characters go: VT and FF are among them, and a name split by one
    # must not come out as two words run together.
    return _plain(_LINE_BREAK_RUN.sub(" ", value))


class PlainCharFormField(forms.CharField):
    """A one-line text input that cleans its value as ``PlainCharField`` stores it.

    A form shown again with errors shows the cleaned value too, so what a person sees is
    what would be saved.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        value = one_line(value)
        return self.empty_value if value in self.empty_values else value

    def bound_data(self, data, initial):
        data = super().bound_data(data, initial)
        return one_line(data) if isinstance(data, str) else data


class _CleanedOnSaveMixin:
    """Cleans the value on model validation and again on every save, bulk ones included."""

    cleaner: Callable[[str], str]

    def to_python(self, value):
        value = super().to_python(value)
        return type(self).cleaner(value) if value else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value:
            value = type(self).cleaner(value)
            setattr(model_instance, self.attname, value)
        return value


# bleach slows down faster than the text grows on some malformed markup (thousands of unclosed
# end tags: 180 kB take about 10 s), so what one block may hold is bounded before cleaning: some
# 8 000 words of prose, far beyond any entry, and cleaned in well under a second.
RICH_TEXT_MAX_LENGTH = 50_000


class RichTextField(_CleanedOnSaveMixin, models.TextField):
    """HTML stored sanitised and rendered as stored."""

    cleaner = staticmethod(clean_html)

    def to_python(self, value):
        if isinstance(value, str) and len(value) > RICH_TEXT_MAX_LENGTH:
            raise ValidationError(
                f"This text is too long: at most {RICH_TEXT_MAX_LENGTH:,} characters, "
                f"with its formatting (it has {len(value):,}). Split it into blocks.",
                code="max_length",
            )
        return super().to_python(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"max_length": RICH_TEXT_MAX_LENGTH, **kwargs})


class PlainTextField(_CleanedOnSaveMixin, models.TextField):
    """Plain text without control characters (they are invalid in feeds)."""

    cleaner = staticmethod(_plain)


class PlainCharField(_CleanedOnSaveMixin, models.CharField):
    """One line of plain text: no line breaks, tabs or other control characters."""

    cleaner = staticmethod(one_line)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PlainCharFormField, **kwargs})
