"""The load test's verdicts (loadtest/check.py, loadtest/pages.py), on hand-made sequences."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from loadtest.check import check_delivery, percentile
from loadtest.pages import entry_ids, entry_times, form_fields, updates_url


def test_every_entry_once_in_order_passes():
    delivery = check_delivery([11, 12, 13], [11, 12, 13])
    assert delivery.ok
    assert (delivery.expected, delivery.delivered) == (3, 3)


def test_nothing_published_and_nothing_delivered_passes():
    assert check_delivery([], []).ok


def test_an_entry_never_delivered_is_lost():
    delivery = check_delivery([11, 12, 13], [11, 13])
    assert delivery.lost == (12,)
    assert not (delivery.duplicated or delivery.out_of_order or delivery.unexpected)
    assert not delivery.ok


def test_an_entry_delivered_twice_is_duplicated_once():
    delivery = check_delivery([11, 12, 13], [11, 12, 12, 12, 13])
    assert delivery.duplicated == (12,)
    assert not (delivery.lost or delivery.out_of_order)


def test_swapped_entries_count_the_fewest_that_must_move():
    # Either of a swapped pair may be the one that moved.
    assert check_delivery([1, 2, 3, 4], [1, 3, 2, 4]).out_of_order in {(2,), (3,)}
    # One late entry is one out of order, not every entry after it.
    assert check_delivery([1, 2, 3, 4, 5], [2, 3, 4, 5, 1]).out_of_order == (1,)
    assert len(check_delivery([1, 2, 3, 4], [4, 3, 2, 1]).out_of_order) == 3


def test_a_duplicate_is_judged_for_order_by_its_first_copy():
    delivery = check_delivery([1, 2, 3], [1, 2, 1, 3])
    assert delivery.duplicated == (1,)
    assert delivery.out_of_order == ()


def test_an_entry_from_before_the_page_is_unexpected():
    delivery = check_delivery([11, 12], [10, 11, 12])
    assert delivery.unexpected == (10,)
    assert not (delivery.lost or delivery.out_of_order)
    assert not delivery.ok


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(reversed(values), 50) == 50
    assert percentile([7.0], 99) == 7
    assert percentile([1.0, 2.0, 3.0], 50) == 2


def test_percentile_of_nothing_is_nan_and_of_nonsense_an_error():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 0)


FRAGMENT = """
<article class="entry" id="entry-12" data-entry-id="12" aria-labelledby="entry-12-title">
  <a class="entry__time" href="/s/x/entries/12/"><time class="clock"
  datetime="2026-01-02T10:00:01.250000+00:00" data-when>10:00</time></a>
  <blockquote><article data-entry-id="x">not an entry</article></blockquote>
</article>
<article class="entry entry--pinned" id="entry-11" data-entry-id="11">
  <p class="entry__correction"><strong>Updated <time datetime="2026-01-02T11:00:00+00:00">11:00
  </time></strong> first, in this fragment: a correction's time is not the publish time</p>
  <time class="clock" datetime="2026-01-02T10:00:00+00:00" data-when>10:00</time></article>
"""


def test_entries_and_their_publish_times_are_read_from_a_fragment():
    assert entry_ids(FRAGMENT) == [12, 11]
    assert entry_times(FRAGMENT) == {
        12: datetime(2026, 1, 2, 10, 0, 1, 250000, tzinfo=UTC),
        11: datetime(2026, 1, 2, 10, 0, 0, tzinfo=UTC),
    }


def test_the_updates_url_is_read_like_the_browser_does():
    page = '<ol id="entries" data-updates-url="/s/x/updates/?after=1_2&amp;v=3">'
    assert updates_url(page) == "/s/x/updates/?after=1_2&v=3"
    assert updates_url("<ol id='entries'>") is None


def test_form_fields_are_those_a_browser_posts():
    page = """
    <form method="get" action="/search/"><input name="q" value="nope"></form>
    <form method="post" id="entry_form">
      <input type="hidden" name="csrfmiddlewaretoken" value="t&amp;k">
      <input name="title" value="Hello"><input type="checkbox" name="pinned">
      <input type="checkbox" name="keep" checked><input type="submit" name="_save" value="Save">
      <textarea name="body">
&lt;p&gt;Text&lt;/p&gt;</textarea>
      <select name="stream"><option value="1">One</option><option value="2" selected>Two</option>
      </select><select name="kind"><option value="text">Text</option></select>
      <input name="blocks-__prefix__-body" value="">
    </form>"""
    assert form_fields(page) == {
        "csrfmiddlewaretoken": "t&k",
        "title": "Hello",
        "keep": "on",
        "body": "<p>Text</p>",
        "stream": "2",
        "kind": "text",
    }
    assert form_fields(page, action="/search/") == {"q": "nope"}
