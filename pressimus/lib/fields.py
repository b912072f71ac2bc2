"""Model fields that keep what they store safe to render and to put in XML."""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from pressimus.lib.html import clean_html, strip_control_characters


def _plain(value: str) -> str:
    return strip_control_characters(value).strip()


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


class RichTextField(_CleanedOnSaveMixin, models.TextField):
    """HTML stored sanitised and rendered as stored."""

    cleaner = staticmethod(clean_html)


class PlainTextField(_CleanedOnSaveMixin, models.TextField):
    """Plain text without control characters (they are invalid in feeds)."""

    cleaner = staticmethod(_plain)


class PlainCharField(_CleanedOnSaveMixin, models.CharField):
    """One line of plain text without control characters."""

    cleaner = staticmethod(_plain)
