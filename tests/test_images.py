"""pressimus.lib.images: what an upload must be, and what is made of it."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, ImageFile

from pressimus.lib import images

NOT_ACCEPTED = "This file is not an image we accept: use JPEG, PNG, WebP or GIF."
DAMAGED = "This image file is damaged or incomplete."


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def upload(data: bytes, name: str = "avatar.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def halves(size=(300, 200)) -> Image.Image:
    """Red on the left half, blue on the right: shows which way an image was turned."""
    image = Image.new("RGB", size, "blue")
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


def exif_with_gps_and_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Secret Camera Co."
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 7.0)
    return exif.tobytes()


def opened(content) -> Image.Image:
    content.seek(0)
    return Image.open(io.BytesIO(content.read()))


def refusal(data: bytes, name: str = "avatar.png") -> str:
    with pytest.raises(ValidationError) as caught:
        images.square_renditions(upload(data, name))
    return caught.value.messages[0]


def red(pixel) -> bool:
    r, g, b = pixel[:3]
    return r > 200 and g < 60 and b < 60


def blue(pixel) -> bool:
    r, g, b = pixel[:3]
    return b > 200 and r < 60 and g < 60


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_accepted_format_becomes_square_webp_files_of_256_and_64_pixels(format):
    files = images.square_renditions(upload(encoded(halves(), format)))

    assert [opened(f).size for f in files] == [(256, 256), (64, 64)]
    assert {opened(f).format for f in files} == {"WEBP"}


def test_files_get_fresh_random_names_never_the_uploaded_one():
    data = encoded(halves(), "JPEG")

    first = images.square_renditions(upload(data, "avatar.php.jpg"))
    second = images.square_renditions(upload(data, "avatar.php.jpg"))

    names = [f.name for f in (*first, *second)]
    assert all(name.endswith(".webp") and "php" not in name for name in names)
    assert len(set(names)) == 4


def test_a_wide_image_is_cropped_to_its_centre():
    image = Image.new("RGB", (300, 100), "red")
    image.paste((0, 0, 255), (100, 0, 200, 100))

    large, _ = images.square_renditions(upload(encoded(image, "PNG")))

    result = opened(large).convert("RGB")
    assert blue(result.getpixel((5, 128))) and blue(result.getpixel((250, 128)))


def test_exif_orientation_is_applied_and_every_exif_field_dropped():
    data = encoded(halves(), "JPEG", exif=exif_with_gps_and_orientation(6))
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    large, small = images.square_renditions(upload(data, "holiday.jpg"))

    result = opened(large).convert("RGB")
    # Orientation 6 means "turn 90° clockwise": the stored left half ends up on top.
    assert red(result.getpixel((128, 5))) and blue(result.getpixel((128, 250)))
    for content in (large, small):
        image = opened(content)
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)
        content.seek(0)
        raw = content.read()
        assert b"Exif" not in raw and b"Secret Camera" not in raw


def test_xmp_and_icc_metadata_are_not_carried_over():
    data = encoded(
        halves(),
        "WEBP",
        xmp=b"<x:xmpmeta><rdf:Description exif:GPSLatitude='48,51N'/></x:xmpmeta>",
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )

    for content in images.square_renditions(upload(data, "a.webp")):
        content.seek(0)
        raw = content.read()
        assert b"xmpmeta" not in raw and b"GPSLatitude" not in raw
        assert b"ICCP" not in raw


def test_transparency_is_kept_as_alpha():
    image = Image.new("RGBA", (100, 100), (255, 0, 0, 0))

    large, _ = images.square_renditions(upload(encoded(image, "PNG")))

    assert opened(large).mode == "RGBA"


def test_only_the_first_frame_of_an_animated_gif_is_kept():
    frames = [Image.new("RGB", (80, 80), colour) for colour in ("red", "blue", "green")]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)

    large, _ = images.square_renditions(upload(data, "dance.gif"))

    result = opened(large)
    assert getattr(result, "n_frames", 1) == 1
    assert red(result.convert("RGB").getpixel((128, 128)))


def test_a_small_image_is_scaled_up_so_every_avatar_has_the_same_size():
    files = images.square_renditions(upload(encoded(halves((40, 30)), "PNG")))

    assert [opened(f).size for f in files] == [(256, 256), (64, 64)]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"Just some text, not a picture at all.", "notes.png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b'<rect width="10" height="10"/></svg>',
            "logo.svg",
        ),
        (b"8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 64, "layers.psd"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "print.eps"),
        (b"\xc5\xd0\xd3\xc6" + b"\x00" * 64, "binary.eps"),
        (b"GIF89a\x01", "tiny.gif"),
    ],
    ids=["text", "svg", "psd", "eps", "binary eps", "bare gif header"],
)
def test_files_that_are_not_accepted_images_are_refused_by_name(data, name):
    assert refusal(data, name) == NOT_ACCEPTED


@pytest.mark.parametrize("format", ["BMP", "TIFF", "ICO"])
def test_real_images_in_other_formats_are_refused(format):
    assert refusal(encoded(Image.new("RGB", (32, 32)), format)) == NOT_ACCEPTED


def test_a_truncated_png_is_damaged():
    data = encoded(Image.effect_noise((400, 400), 64).convert("RGB"), "PNG")

    assert refusal(data[: len(data) // 2]) == DAMAGED


def test_a_truncated_jpeg_is_damaged():
    data = encoded(Image.effect_noise((400, 400), 64).convert("RGB"), "JPEG")

    assert refusal(data[: len(data) // 2], "a.jpg") == DAMAGED


def test_an_image_over_40_megapixels_is_refused_before_it_is_decoded(monkeypatch):
    # 1-bit pixels compress to a few kilobytes, however many there are.
    data = encoded(Image.new("1", (10_000, 5_000)), "PNG")
    assert len(data) < 100_000
    monkeypatch.setattr(
        ImageFile.ImageFile, "load", lambda self: pytest.fail("an oversized image was decoded")
    )

    assert refusal(data) == "This image is 50 megapixels; the limit is 40."


def test_a_decompression_bomb_is_refused_by_pillow_itself():
    data = encoded(Image.new("1", (20_000, 10_000)), "PNG")

    assert refusal(data) == "This image is more than 80 megapixels; the limit is 40."


def test_a_file_over_10_mb_is_refused_before_it_is_opened(monkeypatch):
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("a huge file was opened"))
    data = encoded(halves(), "PNG")
    data += b"\x00" * (int(12.3 * images.MB) - len(data))

    assert refusal(data) == "This image is 12.3 MB; the limit is 10 MB."


def test_an_empty_file_is_refused():
    assert refusal(b"") == "This file is empty."


def test_open_upload_reads_from_any_file_object():
    image = images.open_upload(io.BytesIO(encoded(halves(), "PNG")))

    assert image.size == (300, 200)
    assert image.mode == "RGB"


def test_pillow_refuses_decompression_bombs_everywhere_in_the_process():
    assert images.MAX_PIXELS == 40_000_000
    assert Image.MAX_IMAGE_PIXELS == images.MAX_PIXELS
