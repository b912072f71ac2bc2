"""Pictures in entries: pressimus.lib.images for entries, the image block and how it renders."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image, ImageFile
from pytest_django.asserts import assertContains, assertInHTML

from pressimus.lib import images
from streams.models import Block
from streams.services import block_image_store
from tests import factories
from tests.fixtures_pages import minutes_ago
from tests.test_images import (
    DAMAGED,
    NOT_ACCEPTED,
    blue,
    encoded,
    exif_with_gps_and_orientation,
    halves,
    opened,
    red,
    upload,
)


def renditions(image: Image.Image, format: str = "PNG", **options):
    return images.entry_image_renditions(upload(encoded(image, format, **options), "photo.png"))


def refusal(data: bytes, name: str = "photo.png") -> str:
    with pytest.raises(ValidationError) as caught:
        images.validate_entry_image(upload(data, name))
    return caught.value.messages[0]


# Renditions


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "GIF"])
def test_a_wide_photo_becomes_webp_at_480_960_and_1600_pixels_keeping_its_shape(format):
    made = renditions(halves((2000, 1000)), format)

    assert [(width, height) for width, height, _ in made] == [(480, 240), (960, 480), (1600, 800)]
    assert [opened(content).size for _, _, content in made] == [(480, 240), (960, 480), (1600, 800)]
    assert {opened(content).format for _, _, content in made} == {"WEBP"}


def test_a_photo_is_never_enlarged_only_the_widths_it_covers_are_made():
    made = renditions(halves((1200, 900)))

    assert [(width, height) for width, height, _ in made] == [(480, 360), (960, 720)]


def test_a_photo_narrower_than_every_width_is_kept_at_its_own_size():
    made = renditions(halves((300, 200)))

    assert [(width, height) for width, height, _ in made] == [(300, 200)]


def test_exactly_480_pixels_wide_gives_one_rendition():
    assert [w for w, _, _ in renditions(halves((480, 100)))] == [480]


def test_renditions_share_a_random_stem_never_the_uploaded_name():
    data = encoded(halves((1000, 500)), "JPEG")

    first = images.entry_image_renditions(upload(data, "shell.php.jpg"))
    second = images.entry_image_renditions(upload(data, "shell.php.jpg"))

    names = [content.name for _, _, content in (*first, *second)]
    assert all(name.endswith(".webp") and "php" not in name for name in names)
    assert len(set(names)) == 4
    assert first[0][2].name.removesuffix("-480.webp") == first[1][2].name.removesuffix("-960.webp")


def test_exif_orientation_is_applied_and_no_metadata_survives():
    data = encoded(halves((600, 400)), "JPEG", exif=exif_with_gps_and_orientation(6))

    made = images.entry_image_renditions(upload(data, "holiday.jpg"))

    # Turned upright: 600 by 400 stored on its side is 400 by 600 as seen.
    assert [(w, h) for w, h, _ in made] == [(400, 600)]
    result = opened(made[0][2])
    assert red(result.convert("RGB").getpixel((200, 5)))
    assert blue(result.convert("RGB").getpixel((200, 590)))
    assert not result.getexif()
    assert not {"exif", "xmp", "icc_profile"} & set(result.info)
    made[0][2].seek(0)
    raw = made[0][2].read()
    assert b"Exif" not in raw and b"Secret Camera" not in raw


def test_transparency_is_kept():
    made = renditions(Image.new("RGBA", (500, 500), (255, 0, 0, 0)))

    assert opened(made[0][2]).mode == "RGBA"


# Validation: the avatar rules


def test_validate_entry_image_accepts_a_good_file_and_leaves_it_ready_to_read():
    file = upload(encoded(halves(), "JPEG"), "photo.jpg")

    assert images.validate_entry_image(file) is None
    assert file.tell() == 0


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"Just some text, not a picture at all.", "notes.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "print.eps"),
    ],
    ids=["text", "svg", "eps"],
)
def test_files_that_are_not_images_are_refused(data, name):
    assert refusal(data, name) == NOT_ACCEPTED


@pytest.mark.parametrize("format", ["BMP", "TIFF"])
def test_images_in_other_formats_are_refused(format):
    assert refusal(encoded(Image.new("RGB", (32, 32)), format)) == NOT_ACCEPTED


def test_a_truncated_jpeg_is_refused_as_damaged():
    data = encoded(Image.effect_noise((400, 400), 64).convert("RGB"), "JPEG")

    assert refusal(data[: len(data) // 2], "a.jpg") == DAMAGED


def test_an_image_over_40_megapixels_is_refused_before_it_is_decoded(monkeypatch):
    data = encoded(Image.new("1", (10_000, 5_000)), "PNG")
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: pytest.fail("an oversized image was decoded")
    )

    assert refusal(data) == "This image is 50 megapixels; the limit is 40."


def test_a_file_over_10_mb_is_refused():
    data = encoded(halves(), "PNG")
    data += b"\x00" * (11 * images.MB - len(data))

    assert refusal(data) == "This image is 11.0 MB; the limit is 10 MB."


def test_an_empty_file_is_refused():
    assert refusal(b"") == "This file is empty."


def test_the_renditions_refuse_what_validation_refuses():
    with pytest.raises(ValidationError, match="not an image we accept"):
        images.entry_image_renditions(upload(b"<?php system($_GET['c']); ?>", "x.php.png"))


# The block


def image_block(entry, *, size=(2000, 1000), **fields) -> Block:
    block = Block(entry=entry, position=1, kind=Block.Kind.IMAGE, **fields)
    block_image_store(block=block, upload=upload(encoded(halves(size), "JPEG"), "p.jpg"))
    block.save()
    return block


def test_an_image_block_without_alt_text_is_refused_in_words(stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    block = image_block(entry)
    block.alt_text = ""

    with pytest.raises(ValidationError) as caught:
        block.full_clean()

    assert caught.value.message_dict == {
        "alt_text": ["Describe the image for readers who cannot see it: alt text is required."]
    }


def test_an_image_block_without_an_image_is_refused(stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    block = Block(entry=entry, kind=Block.Kind.IMAGE, alt_text="A flooded street.")

    with pytest.raises(ValidationError, match="An image block needs an image"):
        block.full_clean()


def test_an_image_block_needs_no_body(stream_a):
    entry = factories.EntryFactory(stream=stream_a)
    block = image_block(entry, alt_text="A flooded street.")

    block.full_clean()


def test_text_and_quote_blocks_still_need_a_body(stream_a):
    entry = factories.EntryFactory(stream=stream_a)

    with pytest.raises(ValidationError, match="This block is empty"):
        Block(entry=entry, kind=Block.Kind.TEXT, body="").full_clean()


def test_the_block_lists_its_renditions_for_srcset(stream_a):
    block = image_block(factories.EntryFactory(stream=stream_a), alt_text="x")

    names = [rendition["name"] for rendition in block.renditions]
    assert [rendition["width"] for rendition in block.renditions] == [480, 960, 1600]
    assert block.srcset == (
        f"/media/{names[0]} 480w, /media/{names[1]} 960w, /media/{names[2]} 1600w"
    )
    assert block.image_url == f"/media/{names[2]}"
    assert block.image.name == names[2]
    assert (block.image_width, block.image_height) == (1600, 800)
    assert all(name.startswith("entries/") for name in names)
    assert all(default_storage.exists(name) for name in names)


# Rendering


def test_stream_page_shows_a_responsive_lazy_image_with_caption_and_credit(
    client, stream_a, frozen_clock
):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    block = image_block(
        entry,
        alt_text="Rescuers carry a child from a collapsed building.",
        caption="Aleppo, 22 December.",
        credit="Jane Doe / Agency",
    )

    response = client.get(stream_a.get_absolute_url())

    assertInHTML(
        f'<figure class="block block--image">'
        f'<img src="{block.image_url}" srcset="{block.srcset}" '
        f'sizes="(min-width: 42rem) 42rem, 100vw" width="1600" height="800" '
        f'loading="lazy" decoding="async" '
        f'alt="Rescuers carry a child from a collapsed building.">'
        f'<figcaption>Aleppo, 22 December. — <span class="credit">Credit: Jane Doe / Agency'
        f"</span></figcaption></figure>",
        response.content.decode(),
    )


def test_an_image_without_caption_or_credit_has_no_figcaption(client, stream_a, frozen_clock):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    image_block(entry, alt_text="A map of the front line.")

    response = client.get(stream_a.get_absolute_url())

    assertContains(response, 'alt="A map of the front line."')
    assertContains(response, "block--image")
    assert "<figcaption>" not in response.content.decode()


def test_a_credit_alone_reads_credit(client, stream_a, frozen_clock):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    image_block(entry, alt_text="A map.", credit="OpenStreetMap")

    response = client.get(stream_a.get_absolute_url())

    assertInHTML(
        '<figcaption><span class="credit">Credit: OpenStreetMap</span></figcaption>',
        response.content.decode(),
    )


def test_alt_text_and_caption_are_escaped(client, stream_a, frozen_clock):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(5))
    image_block(entry, alt_text='"><script>alert(1)</script>', caption="<b>bold</b>")

    page = client.get(stream_a.get_absolute_url()).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


def test_image_blocks_cost_no_extra_query_on_the_stream_page(
    client, stream_a, frozen_clock, django_assert_max_num_queries
):
    for n in range(3):
        entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(n + 1))
        image_block(entry, size=(600, 400), alt_text=f"Picture {n}")

    with django_assert_max_num_queries(7):
        response = client.get(stream_a.get_absolute_url())

    assertContains(response, "block--image", count=3)


def test_image_blocks_come_along_on_the_live_updates(client, stream_a, frozen_clock):
    entry = factories.EntryFactory(stream=stream_a, published_at=minutes_ago(1))
    image_block(entry, size=(600, 400), alt_text="A queue at the border.")

    payload = client.get(f"/streams/{stream_a.slug}/updates/").json()

    assert 'alt="A queue at the border."' in payload["html"]
    assert 'loading="lazy"' in payload["html"]
