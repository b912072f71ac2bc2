"""Entry ages in words, at each boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from pressimus.lib.timefmt import age_in_words, age_label, age_or_date, exact_time, html_datetime

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "words"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=60), "1 minute ago"),
        (timedelta(seconds=119), "1 minute ago"),
        (timedelta(minutes=3), "3 minutes ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=29), "29 days ago"),
        (timedelta(days=30), "1 month ago"),
        (timedelta(days=364), "12 months ago"),
        (timedelta(days=365), "1 year ago"),
        (timedelta(days=365 * 6 + 100), "6 years ago"),
    ],
)
def test_age_in_words_at_its_boundaries(ago, words):
    assert age_in_words(NOW - ago, NOW) == words


def test_a_time_slightly_in_the_future_reads_just_now():
    assert age_in_words(NOW + timedelta(seconds=5), NOW) == "just now"


def test_under_a_day_old_shows_only_the_age():
    assert age_label(NOW - timedelta(hours=23, minutes=59), NOW) == "23 hours ago"


def test_a_day_old_and_more_shows_the_date_too():
    assert age_label(NOW - timedelta(days=1), NOW) == "1 day ago · 23 November 2026"
    assert (
        age_label(datetime(2015, 12, 23, 14, 5, tzinfo=UTC), NOW)
        == "10 years ago · 23 December 2015"
    )


def test_exact_time_names_day_date_time_and_zone():
    assert (
        exact_time(datetime(2015, 12, 23, 14, 5, tzinfo=UTC))
        == "Wednesday 23 December 2015, 14:05 UTC"
    )


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(minutes=21), "21 minutes ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "23 November 2026"),
        (timedelta(days=365 * 11), "27 November 2015"),
    ],
)
def test_within_a_day_an_entry_gives_its_age_and_after_that_its_date(ago, shown):
    assert age_or_date(NOW - ago, NOW) == shown


def test_the_date_is_the_one_in_the_zone_the_page_shows():
    with timezone.override(ZoneInfo("Pacific/Auckland")):
        assert age_or_date(datetime(2026, 11, 20, 20, 0, tzinfo=UTC), NOW) == "21 November 2026"


@pytest.mark.parametrize(
    ("moment", "html"),
    [
        (datetime(2026, 11, 24, 12, 0, tzinfo=UTC), "2026-11-24T12:00:00.000Z"),
        (datetime(2015, 12, 23, 18, 5, 7, 123456, tzinfo=UTC), "2015-12-23T18:05:07.123Z"),
        (
            datetime(2026, 11, 24, 15, 0, 0, 999999, tzinfo=ZoneInfo("Europe/Moscow")),
            "2026-11-24T12:00:00.999Z",
        ),
    ],
)
def test_datetime_attributes_are_valid_html_in_utc_to_the_millisecond(moment, html):
    assert html_datetime(moment) == html
