"""Social cards: the og:image of stream and entry pages, drawn by pressimus.lib.cards and
kept and served by streams.social_cards (``/streams/<slug>/card.png`` and
``/streams/<slug>/entries/<id>/card.png``)."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import Image, ImageChops

from pressimus.lib import cards
from streams import search, social_cards
from streams.models import Entry, Stream
from tests import factories
from tests.fixtures_pages import NOW, content, draft_entry, frozen, minutes_ago, scheduled_entry

pytestmark = pytest.mark.usefixtures("frozen_clock")

_META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')

SHORT = "Strikes reported near Aleppo"
LONG = (
    "Amnesty International 'Unmasks' Russian Claims That It's Not Killing Civilians In "
    "Syria, as the Ministry of Defence in Moscow again denies every report from the ground"
)
THOUSAND = ("Shelling resumed at dawn on the eastern edge of the city, witnesses said. " * 14)[
    :1000
]
ARABIC = "منظمة العفو الدولية تكشف مزاعم روسيا بأنها لا تقتل المدنيين في سوريا"
CYRILLIC = "Минобороны России заявило, что не наносило ударов по жилым кварталам Алеппо"
TITLES = {
    "short": SHORT,
    "long": LONG,
    "1000 characters": THOUSAND,
    "1000 characters without a space": "Ж" * 1000,
    "Arabic": ARABIC,
    "Cyrillic": CYRILLIC,
    "Hebrew and Latin": "הפסקת אש הוכרזה ב-Aleppo אחרי 23 ימים",
}


def card_text(title: str, **kwargs) -> cards.CardText:
    return cards.CardText(
        headlines=(title, "Syria: December 23"),
        eyebrow=kwargs.pop("eyebrow", "Syria: December 23"),
        byline=kwargs.pop("byline", "The Translator's Desk"),
        when=kwargs.pop("when", "23 December 2015, 17:55 UTC"),
        **kwargs,
    )


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def ink_outside_the_margins(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """The margin strips (the accent bar aside) that hold anything but paper."""
    paper = Image.new("RGB", image.size, cards.PAPER)
    difference = ImageChops.difference(image.convert("RGB"), paper)
    width, height = image.size
    strips = [
        (cards.ACCENT_BAR, 0, cards.MARGIN_LEFT, height),
        (width - cards.MARGIN_RIGHT, 0, width, height),
        (cards.ACCENT_BAR, 0, width, cards.MARGIN_TOP),
        (cards.ACCENT_BAR, height - cards.MARGIN_BOTTOM, width, height),
    ]
    return [strip for strip in strips if difference.crop(strip).getbbox() is not None]


def metas(response) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _META.findall(content(response))}


@pytest.fixture
def entry(stream_a):
    with frozen():
        return factories.EntryFactory(stream=stream_a, title=SHORT, published_at=minutes_ago(5))


@pytest.fixture
def members_stream(publisher_a):
    return factories.StreamFactory(
        publisher=publisher_a, slug="closed", visibility=Stream.Visibility.MEMBERS
    )


def stored_cards(directory: str) -> list[str]:
    try:
        return sorted(default_storage.listdir(directory)[1])
    except FileNotFoundError:
        return []


# Drawing ---------------------------------------------------------------------------------------


def test_a_card_is_a_1200_by_630_png():
    image = opened(cards.png(card_text(SHORT)))

    assert image.format == "PNG"
    assert image.size == (1200, 630)


@pytest.mark.parametrize("title", TITLES.values(), ids=TITLES.keys())
def test_every_text_stays_inside_the_margins(title):
    placed = cards.layout(card_text(title, tag="Key event", eyebrow=title, byline=title))
    image = opened(cards.png(card_text(title, tag="Key event", eyebrow=title, byline=title)))

    assert placed.headline, "the title is drawn"
    for line in (*placed.lines, *placed.headline):
        left, top, right, bottom = line.bbox()
        assert left >= cards.MARGIN_LEFT and right <= cards.WIDTH - cards.MARGIN_RIGHT, line.text
        assert top >= cards.MARGIN_TOP and bottom <= cards.HEIGHT - cards.MARGIN_BOTTOM, line.text
    for line in placed.headline:
        assert line.bbox()[3] <= cards.RULE_Y, "the headline stays above the rule"
    # Measured on the pixels too, whatever Pillow's boxes say.
    assert ink_outside_the_margins(image) == []


def test_a_short_title_is_drawn_large_and_whole():
    placed = cards.layout(card_text(SHORT))

    assert placed.headline_size == max(cards.HEADLINE_SIZES)
    assert " ".join(line.text for line in placed.headline) == SHORT
    assert not placed.truncated


def test_a_long_title_is_drawn_smaller_and_whole():
    placed = cards.layout(card_text(LONG))

    assert placed.headline_size < max(cards.HEADLINE_SIZES)
    assert " ".join(line.text for line in placed.headline) == LONG
    assert not placed.truncated


def test_a_title_of_1000_characters_is_cut_with_an_ellipsis_at_the_smallest_size():
    placed = cards.layout(card_text(THOUSAND))

    assert placed.truncated
    assert placed.headline_size == min(cards.HEADLINE_SIZES)
    last = placed.headline[-1].text
    assert last.endswith("…") and not last.endswith(".…") and not last.endswith(",…")
    assert THOUSAND.startswith(" ".join(line.text for line in placed.headline)[:-1])


def test_a_word_longer_than_a_line_is_broken_to_fit():
    placed = cards.layout(card_text("Ж" * 60))

    assert len(placed.headline) > 1
    assert "".join(line.text for line in placed.headline) == "Ж" * 60


def test_one_line_pieces_are_cut_with_an_ellipsis():
    name = "The Translator's Desk, a journal with a name far longer than a card can hold " * 3

    placed = cards.layout(card_text(SHORT, eyebrow=name, byline=name))

    eyebrow, byline = (line for line in placed.lines if line.text.startswith("The Translator"))
    assert eyebrow.text.endswith("…") and byline.text.endswith("…")


@pytest.mark.skipif(not cards.COMPLEX_LAYOUT, reason="Pillow without libraqm")
def test_arabic_is_shaped_and_runs_from_the_right():
    placed = cards.layout(card_text(ARABIC))

    assert [line.anchor for line in placed.headline] == ["ra"] * len(placed.headline)
    assert {line.direction for line in placed.headline} == {"rtl"}
    assert " ".join(line.text for line in placed.headline) == ARABIC
    # Joined letters: shaped, the words are narrower than their letters one by one.
    face = placed.headline[0].font
    word = "الدولية"
    assert face.getlength(word, direction="rtl") < sum(face.getlength(char) for char in word)
    right = max(line.bbox()[2] for line in placed.headline)
    assert right > cards.WIDTH - cards.MARGIN_RIGHT - 10


def test_cyrillic_is_drawn_in_the_serif():
    placed = cards.layout(card_text(CYRILLIC))

    assert " ".join(line.text for line in placed.headline) == CYRILLIC
    assert placed.headline[0].font.path.endswith(cards.SERIF_BOLD)


def test_arabic_falls_back_to_the_sans_the_serif_lacks():
    placed = cards.layout(card_text(ARABIC))

    if cards.COMPLEX_LAYOUT:
        assert placed.headline[0].font.path.endswith(cards.SANS_BOLD)


def test_without_libraqm_a_right_to_left_title_gives_way_to_the_next(monkeypatch):
    monkeypatch.setattr(cards, "COMPLEX_LAYOUT", False)
    monkeypatch.setattr(cards, "LAYOUT_ENGINE", cards.ImageFont.Layout.BASIC)
    cards.font.cache_clear()
    try:
        placed = cards.layout(card_text(ARABIC, eyebrow=ARABIC))
        image = opened(cards.png(card_text(ARABIC)))
        cyrillic = cards.layout(card_text(CYRILLIC))
    finally:
        cards.font.cache_clear()

    # Unjoined letters in the wrong order would be worse than the stream's title.
    assert [line.text for line in placed.headline] == ["Syria: December 23"]
    assert all(line.text != ARABIC for line in placed.lines)
    assert ink_outside_the_margins(image) == []
    assert " ".join(line.text for line in cyrillic.headline) == CYRILLIC


def test_a_title_in_letters_no_font_has_gives_way_to_the_next():
    placed = cards.layout(card_text("习近平访问莫斯科"))

    assert [line.text for line in placed.headline] == ["Syria: December 23"]


def test_emoji_are_left_out_and_the_title_kept():
    placed = cards.layout(card_text("🔴 Ceasefire announced ✌️"))

    assert [line.text for line in placed.headline] == ["Ceasefire announced"]


def test_control_characters_and_runs_of_spaces_are_cleaned():
    placed = cards.layout(card_text("Bell\x07 and\n\ntab\t here\u202e"))

    assert [line.text for line in placed.headline] == ["Bell and tab here"]


def test_a_key_event_carries_its_tag_in_the_accent_colour():
    placed = cards.layout(card_text(SHORT, tag="Key event"))
    image = opened(cards.png(card_text(SHORT, tag="Key event")))

    assert "KEY EVENT" in [line.text for line in placed.lines]
    assert placed.tag_box is not None
    left, top, right, bottom = (round(value) for value in placed.tag_box)
    colours = {colour for _count, colour in image.crop((left, top, right, bottom)).getcolors(9999)}
    assert Image.new("RGB", (1, 1), cards.ACCENT).getpixel((0, 0)) in colours
    assert cards.layout(card_text(SHORT)).tag_box is None


def test_the_same_text_draws_the_same_card():
    assert cards.png(card_text(LONG)) == cards.png(card_text(LONG))


# What a card shows -----------------------------------------------------------------------------


def test_an_entry_card_shows_title_stream_publisher_and_time(stream_a, entry):
    card = social_cards.entry_card(entry, stream_a)

    assert card.text == cards.CardText(
        headlines=(SHORT, "Syria: December 23", "The Translator's Desk"),
        eyebrow="Syria: December 23",
        byline="The Translator's Desk",
        when="23 December 2015, 17:55 UTC",
    )
    assert card.alt == (
        f"{SHORT} — Syria: December 23, The Translator's Desk, 23 December 2015, 17:55 UTC"
    )


def test_an_entry_card_tells_the_time_in_the_publishers_zone(publisher_a, stream_a, entry):
    publisher_a.time_zone = "Europe/Moscow"
    publisher_a.save()

    card = social_cards.entry_card(entry, Stream.objects.with_publisher().get(pk=stream_a.pk))

    assert card.text.when == "23 December 2015, 20:55 MSK"


def test_a_zone_without_an_abbreviation_is_named_by_its_offset():
    from zoneinfo import ZoneInfo

    when = social_cards.time_text(NOW, ZoneInfo("Asia/Dubai"))

    assert when == "23 December 2015, 22:00 UTC+04"


def test_a_key_events_card_says_so(stream_a, entry):
    entry.pinned = True
    entry.save()

    card = social_cards.entry_card(entry, stream_a)

    assert card.text.tag == "Key event"
    assert card.alt.startswith("Key event: ")


def test_an_untitled_entry_is_shown_by_its_first_words(monkeypatch, stream_a):
    # Tests never commit: the search document, which holds the words, is written at once.
    monkeypatch.setattr(search, "_after_commit", lambda refresh: refresh())
    untitled = factories.EntryFactory(
        stream=stream_a, title="", text="<p>Shelling resumed at dawn, witnesses said.</p>"
    )
    untitled.refresh_from_db()

    card = social_cards.entry_card(untitled, stream_a)

    assert card.text.headlines[0] == "Shelling resumed at dawn, witnesses said."


def test_an_entry_without_words_is_shown_by_its_time(stream_a, entry):
    entry.title = ""
    entry.search_document = ""

    card = social_cards.entry_card(entry, stream_a)

    assert card.text.headlines[0] == "Update of 23 December 2015, 17:55 UTC"


def test_a_stream_card_shows_title_publisher_and_since_when(stream_a):
    stream_a.started_at = NOW - timedelta(hours=5)

    card = social_cards.stream_card(stream_a)

    assert card.text == cards.CardText(
        headlines=("Syria: December 23", "The Translator's Desk"),
        tag="Live",
        eyebrow="Press stream",
        byline="The Translator's Desk",
        when="Since 23 December 2015",
    )


def test_an_ended_stream_card_shows_its_dates(stream_a):
    stream_a.status = Stream.Status.ENDED
    stream_a.started_at = NOW - timedelta(days=2)
    stream_a.ended_at = NOW

    card = social_cards.stream_card(stream_a)

    assert card.text.tag == ""
    assert card.text.when == "21 December 2015 \N{EN DASH} 23 December 2015"


def test_members_only_streams_and_their_entries_have_no_card(members_stream):
    entry = factories.EntryFactory(stream=members_stream)

    assert social_cards.stream_card(members_stream) is None
    assert social_cards.entry_card(entry, members_stream) is None


def test_the_name_follows_what_the_card_shows(stream_a, entry):
    before = social_cards.entry_card(entry, stream_a)
    entry.title = "Strikes confirmed near Aleppo"

    after = social_cards.entry_card(entry, stream_a)

    assert after.name != before.name
    assert after.url != before.url
    assert social_cards.entry_card(entry, stream_a).name == after.name


# The pages --------------------------------------------------------------------------------------


def test_stream_page_offers_its_card_as_a_large_image(client, stream_a):
    response = client.get("/streams/syria/")

    tags = metas(response)
    card = social_cards.stream_card(stream_a)
    url = f"http://testserver/streams/syria/card.png?v={card.digest}"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image"] == tags["twitter:image"] == url
    assert tags["og:image:type"] == "image/png"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["og:image:alt"] == tags["twitter:image:alt"] == card.alt


def test_entry_page_offers_its_card_as_a_large_image(client, stream_a, entry):
    response = client.get(entry.get_absolute_url())

    tags = metas(response)
    card = social_cards.entry_card(entry, stream_a)
    url = f"http://testserver/streams/syria/entries/{entry.pk}/card.png?v={card.digest}"
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image"] == tags["twitter:image"] == url
    assert tags["og:image:alt"] == card.alt


def test_the_pages_json_ld_carries_the_card_too(client, stream_a, entry):
    import json

    stream_page = content(client.get("/streams/syria/"))
    permalink = content(client.get(entry.get_absolute_url()))

    for page, card in (
        (stream_page, social_cards.stream_card(stream_a)),
        (permalink, social_cards.entry_card(entry, stream_a)),
    ):
        data = json.loads(re.search(r'ld\+json">(.*?)</script>', page, re.DOTALL)[1])
        assert data["image"] == {
            "@type": "ImageObject",
            "url": f"http://testserver{card.url}",
            "width": 1200,
            "height": 630,
        }


def test_members_only_pages_have_no_og_image(client_as, member, members_stream):
    entry = factories.EntryFactory(stream=members_stream)
    reader = client_as(member)

    for url in ("/streams/closed/", entry.get_absolute_url()):
        response = reader.get(url)
        assert response.status_code == 200
        tags = metas(response)
        assert tags["twitter:card"] == "summary"
        assert "og:image" not in tags and "twitter:image" not in tags
        assert "card.png" not in content(response)


@pytest.mark.parametrize("url", ["/", "/search/?q=aleppo", "/publishers/translators-desk/"])
def test_other_pages_keep_a_small_card(client, stream_a, url):
    tags = metas(client.get(url))

    assert tags["twitter:card"] == "summary"
    assert "og:image" not in tags


def test_the_card_costs_the_stream_page_no_query(
    client, stream_a, entry, django_assert_max_num_queries
):
    # As tests/test_view_stream.py and test_seo.py count it, card or not.
    with django_assert_max_num_queries(7):
        assert "og:image" in metas(client.get("/streams/syria/"))


# The card's address ----------------------------------------------------------------------------


def test_the_card_is_drawn_kept_and_served_for_good(client, stream_a, entry):
    card = social_cards.entry_card(entry, stream_a)

    response = client.get(card.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert opened(response.content).size == (1200, 630)
    assert default_storage.exists(card.name)
    assert card.name == f"cards/{stream_a.pk}/entries/{entry.pk}/{card.digest}.png"


@pytest.mark.parametrize("title", TITLES.values(), ids=TITLES.keys())
def test_any_title_gets_a_card_never_an_error(client, stream_a, title):
    # Titles hold 200 characters at most; the drawing itself is tested with 1000 above.
    stream_a.title = title[:200]
    stream_a.save()
    entry = factories.EntryFactory(stream=stream_a, title=title[:200])

    for card in (social_cards.stream_card(stream_a), social_cards.entry_card(entry, stream_a)):
        response = client.get(card.url)
        assert response.status_code == 200
        assert opened(response.content).size == (1200, 630)


def test_a_kept_card_is_not_drawn_again(client, monkeypatch, stream_a, entry):
    card = social_cards.entry_card(entry, stream_a)
    first = client.get(card.url).content

    def no_drawing(text):
        raise AssertionError("drawn again")

    monkeypatch.setattr(cards, "png", no_drawing)

    assert client.get(card.url).content == first


def test_the_address_without_the_digest_serves_the_current_card_briefly(client, stream_a):
    response = client.get("/streams/syria/card.png")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=3600"
    stale = client.get("/streams/syria/card.png?v=0123456789abcdef01234567")
    assert stale["Cache-Control"] == "public, max-age=3600"
    assert stale.content == response.content


def test_an_edited_title_makes_a_new_card_and_the_old_one_goes(client, stream_a, entry):
    old = social_cards.entry_card(entry, stream_a)
    client.get(old.url)
    directory = f"cards/{stream_a.pk}/entries/{entry.pk}"
    assert stored_cards(directory) == [f"{old.digest}.png"]

    entry.title = "Strikes confirmed near Aleppo"
    entry.save()
    page = metas(client.get(entry.get_absolute_url()))
    new = social_cards.entry_card(entry, stream_a)
    assert page["og:image"] == f"http://testserver{new.url}"
    response = client.get(new.url)

    assert response.status_code == 200
    assert stored_cards(directory) == [f"{new.digest}.png"]
    assert not default_storage.exists(old.name)


def test_a_pin_redraws_the_card(client, stream_a, entry):
    before = social_cards.entry_card(entry, stream_a)
    entry.pinned = True
    entry.save()

    after = social_cards.entry_card(entry, stream_a)

    assert after.digest != before.digest
    assert client.get(after.url).status_code == 200


def test_the_stream_card_is_kept_apart_from_its_entries_cards(client, stream_a, entry):
    client.get(social_cards.stream_card(stream_a).url)
    client.get(social_cards.entry_card(entry, stream_a).url)

    assert len(stored_cards(f"cards/{stream_a.pk}/stream")) == 1
    assert len(stored_cards(f"cards/{stream_a.pk}/entries/{entry.pk}")) == 1


def test_a_card_is_served_even_when_storage_fails(client, monkeypatch, stream_a):
    def broken(storage, name, content, max_length=None):
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "save", broken)

    response = client.get("/streams/syria/card.png")

    assert response.status_code == 200
    assert opened(response.content).size == (1200, 630)


def test_the_cards_view_costs_two_queries(client, stream_a, entry, django_assert_num_queries):
    with django_assert_num_queries(2):
        client.get(social_cards.entry_card(entry, stream_a).url)


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_members_only_card_addresses_are_404_for_everyone(
    client, client_as, member, members_stream, who
):
    entry = factories.EntryFactory(stream=members_stream)
    reader = client if who == "anonymous" else client_as(member)

    assert reader.get("/streams/closed/card.png").status_code == 404
    assert reader.get(f"/streams/closed/entries/{entry.pk}/card.png").status_code == 404
    assert stored_cards(f"cards/{members_stream.pk}") == []


def test_drafts_scheduled_and_foreign_entries_have_no_card(client, stream_a, stream_b):
    draft = draft_entry(stream_a)
    scheduled = scheduled_entry(stream_a, published_at=NOW + timedelta(hours=1))
    elsewhere = factories.EntryFactory(stream=stream_b)

    for entry in (draft, scheduled, elsewhere):
        assert client.get(f"/streams/syria/entries/{entry.pk}/card.png").status_code == 404
    assert client.get("/streams/nowhere/card.png").status_code == 404


def test_a_scheduled_entry_gets_its_card_once_out(client, stream_a):
    scheduled = scheduled_entry(stream_a, published_at=NOW + timedelta(hours=1))

    with frozen(NOW + timedelta(hours=2)):
        response = client.get(f"/streams/syria/entries/{scheduled.pk}/card.png")

    assert response.status_code == 200


# Tidying up -------------------------------------------------------------------------------------


@pytest.fixture
def tidying():
    from django.db.models.signals import post_delete, post_save

    social_cards.connect_receivers()
    yield
    post_save.disconnect(dispatch_uid="cards_entry_saved", sender=Entry)
    post_delete.disconnect(dispatch_uid="cards_entry_deleted", sender=Entry)
    post_save.disconnect(dispatch_uid="cards_stream_saved", sender=Stream)
    post_delete.disconnect(dispatch_uid="cards_stream_deleted", sender=Stream)


def test_a_deleted_entrys_cards_go_after_commit(
    client, tidying, stream_a, entry, django_capture_on_commit_callbacks
):
    client.get(social_cards.entry_card(entry, stream_a).url)
    directory = f"cards/{stream_a.pk}/entries/{entry.pk}"

    with django_capture_on_commit_callbacks(execute=True):
        entry.delete()

    assert stored_cards(directory) == []


def test_an_unpublished_entrys_cards_go_after_commit(
    client, tidying, stream_a, entry, django_capture_on_commit_callbacks
):
    client.get(social_cards.entry_card(entry, stream_a).url)

    with django_capture_on_commit_callbacks(execute=True):
        entry.status = Entry.Status.DRAFT
        entry.save()

    assert stored_cards(f"cards/{stream_a.pk}/entries/{entry.pk}") == []


def test_a_stream_made_members_only_loses_every_card(
    client, tidying, stream_a, entry, django_capture_on_commit_callbacks
):
    client.get(social_cards.stream_card(stream_a).url)
    client.get(social_cards.entry_card(entry, stream_a).url)

    with django_capture_on_commit_callbacks(execute=True):
        stream_a.visibility = Stream.Visibility.MEMBERS
        stream_a.save()

    assert stored_cards(f"cards/{stream_a.pk}/stream") == []
    assert stored_cards(f"cards/{stream_a.pk}/entries/{entry.pk}") == []


def test_editing_a_public_entry_deletes_nothing(
    client, tidying, stream_a, entry, django_capture_on_commit_callbacks
):
    card = social_cards.entry_card(entry, stream_a)
    client.get(card.url)

    with django_capture_on_commit_callbacks(execute=True):
        entry.correction_note = "Typo."
        entry.save()

    assert default_storage.exists(card.name)
