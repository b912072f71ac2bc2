"""How old things are, in words readers use ("3 minutes ago", "6 years ago")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
MONTH = 30 * DAY
YEAR = 365 * DAY


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'} ago"


def age_in_words(then: datetime, now: datetime | None = None) -> str:
    """One unit, rounded down: "just now", "1 minute ago", "5 hours ago", "6 years ago"."""
    seconds = int(((now or timezone.now()) - then).total_seconds())
    if seconds < MINUTE:
        return "just now"
    for size, unit in ((YEAR, "year"), (MONTH, "month"), (DAY, "day"), (HOUR, "hour")):
        if seconds >= size:
            return _count(seconds // size, unit)
    return _count(seconds // MINUTE, "minute")


def age_label(then: datetime, now: datetime | None = None) -> str:
    """The age, and beyond a day old the date as well: "2 days ago · 21 December 2015"."""
    now = now or timezone.now()
    age = age_in_words(then, now)
    if now - then < timedelta(days=1):
        return age
    return f"{age} · {date_format(timezone.localtime(then), 'j F Y')}"


def exact_time(then: datetime) -> str:
    """The full local date and time, for hover titles."""
    return date_format(timezone.localtime(then), "l j F Y, H:i T")


def age_or_date(then: datetime, now: datetime | None = None) -> str:
    """What follows an entry's time of day: its age within a day ("21 minutes ago"), else
    its date in the current zone ("9 November 2015"), so a day's entries read in sequence."""
    now = now or timezone.now()
    if now - then < timedelta(days=1):
        return age_in_words(then, now)
    return date_format(timezone.localtime(then), "j F Y")


def html_datetime(then: datetime) -> str:
    """A valid HTML global date and time: UTC, to the millisecond (HTML allows no more)."""
    return then.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def zone_label(name: str) -> str:
    return name.replace("_", " ")
