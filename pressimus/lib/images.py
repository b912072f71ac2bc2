"""The one place that turns an uploaded file into images we serve.

Nothing a person uploads is stored as it came: the file is checked (format, bytes,
pixels) before it is decoded, decoded in full to find damage, turned upright by its
EXIF orientation, converted to sRGB and re-encoded as WebP under a random name.
The new file carries no metadata at all, so GPS positions, camera serial numbers,
XMP and anything smuggled into comments or ICC profiles are left behind.
"""

from __future__ import annotations

import io
import math
import secrets
import warnings
from collections.abc import Sequence
from functools import cache
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Pillow's format names. "JPEG" also opens MPO, the JPEG variant many phone cameras write.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MB = 1024 * 1024
MAX_BYTES = 10 * MB
MAX_PIXELS = 40_000_000

# Every Pillow call in the process, not only ours, refuses to decode an image of more
# than twice this many pixels (a decompression bomb) and warns above it.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

NOT_ACCEPTED = "This file is not an image we accept: use JPEG, PNG, WebP or GIF."
DAMAGED = "This image file is damaged or incomplete."
EMPTY = "This file is empty."

# What a damaged or hostile file makes Pillow raise while decoding it.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, EOFError)


def _megabytes(size: int) -> str:
    # Rounded up, so that a file just over the limit never reads as "10.0 MB".
    return f"{math.ceil(size * 10 / MB) / 10:.1f}"


def _megapixels(pixels: int) -> str:
    value = pixels / 1_000_000
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def _file_size(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        size = upload.seek(0, io.SEEK_END)
        upload.seek(position)
    return int(size)


def _too_many_pixels(pixels: int, limit: int, *, more_than: bool = False) -> ValidationError:
    size = f"{'more than ' if more_than else ''}{_megapixels(pixels)}"
    return ValidationError(
        f"This image is {size} megapixels; the limit is {_megapixels(limit)}.",
        code="too_many_pixels",
    )


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB, or RGBA when the image has transparency, with colours moved into sRGB."""
    mode = "RGBA" if image.has_transparency_data else "RGB"
    if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
        image = image.convert(mode)
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A broken or mismatched profile: the colours may be a little off, the image is fine.
            pass
        else:
            if converted is not None:
                return converted
    return image.convert(mode)


def open_upload(
    upload: IO[bytes],
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    draft_size: tuple[int, int] | None = None,
) -> Image.Image:
    """Check and decode an uploaded image: upright, in sRGB, RGB or RGBA, first frame only.

    Raises ``ValidationError`` with a message for the person who uploaded it when the
    file is not a JPEG, PNG, WebP or GIF, is too big in bytes or pixels, or is damaged.
    ``draft_size`` lets JPEG decoding skip detail that a smaller result will not need.
    """
    size = _file_size(upload)
    if size == 0:
        raise ValidationError(EMPTY, code="empty")
    if size > max_bytes:
        raise ValidationError(
            f"This image is {_megabytes(size)} MB; the limit is {max_bytes // MB} MB.",
            code="too_many_bytes",
        )
    upload.seek(0)
    with warnings.catch_warnings():
        # Our own check below refuses what Pillow only warns about, and names the size.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(upload, formats=ACCEPTED_FORMATS)
        except Image.DecompressionBombError:
            pillow_limit = 2 * (Image.MAX_IMAGE_PIXELS or max_pixels)
            raise _too_many_pixels(pillow_limit, max_pixels, more_than=True) from None
        except (UnidentifiedImageError, *_DECODE_ERRORS):
            raise ValidationError(NOT_ACCEPTED, code="not_accepted") from None

    # The header is read, the pixels are not: refuse huge images before they take memory.
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(width * height, max_pixels)

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            icc_profile = image.info.get("icc_profile")
            if draft_size and image.format in ("JPEG", "MPO"):
                image.draft("RGB", draft_size)
            # A truncated or corrupt file fails here, while every pixel is decoded.
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_srgb(image, icc_profile)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(width * height, max_pixels) from None
        except _DECODE_ERRORS:
            raise ValidationError(DAMAGED, code="damaged") from None


def center_square(image: Image.Image) -> Image.Image:
    side = min(image.size)
    left = (image.width - side) // 2
    top = (image.height - side) // 2
    return image.crop((left, top, left + side, top + side))


def encode_webp(image: Image.Image, *, name: str) -> ContentFile:
    """The image as WebP bytes with no metadata, under ``name``."""
    # A fresh image from bare pixels: no EXIF, XMP, ICC or comment can come along.
    bare = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    bare.save(buffer, "WEBP", quality=85, method=4)
    return ContentFile(buffer.getvalue(), name=name)


def random_stem() -> str:
    """A new file name stem: never the uploaded name, which could be ``x.php.jpg``."""
    return secrets.token_hex(16)


def square_renditions(upload: IO[bytes], sizes: Sequence[int] = (256, 64)) -> list[ContentFile]:
    """Square WebP versions of an uploaded image, largest first, one per size in ``sizes``.

    The image is checked and decoded by ``open_upload`` (which raises ``ValidationError``
    for a file we refuse), cropped to its centre square and resized.
    """
    largest = max(sizes)
    square = center_square(open_upload(upload, draft_size=(largest, largest)))
    stem = random_stem()
    files = []
    for size in sorted(sizes, reverse=True):
        if square.size != (size, size):
            square = square.resize((size, size), Image.Resampling.LANCZOS, reducing_gap=3.0)
        files.append(encode_webp(square, name=f"{stem}-{size}.webp"))
    return files


# Widths of the pictures in entries: a phone, a tablet or a laptop column, a 2x screen.
ENTRY_WIDTHS = (480, 960, 1600)


def validate_entry_image(upload: IO[bytes]) -> None:
    """Raise ``ValidationError``, in words for the editor, if ``upload`` is not an image we take.

    The same rules as avatars: format, bytes, pixels and a full decode to find damage.
    """
    open_upload(upload, draft_size=(max(ENTRY_WIDTHS), max(ENTRY_WIDTHS)))
    upload.seek(0)


def entry_widths(original_width: int, widths: Sequence[int] = ENTRY_WIDTHS) -> list[int]:
    """The widths to make for an image ``original_width`` pixels wide, smallest first.

    Never wider than the original (enlarging adds bytes, not detail); an image narrower
    than every width gets one rendition at its own width.
    """
    fitting = sorted(width for width in widths if width <= original_width)
    return fitting or [original_width]


def entry_image_renditions(
    upload: IO[bytes], widths: Sequence[int] = ENTRY_WIDTHS
) -> list[tuple[int, int, ContentFile]]:
    """WebP versions of an uploaded picture for an entry, as (width, height, file), smallest first.

    Checked and decoded by ``open_upload`` (which raises ``ValidationError`` for a file we
    refuse) and resized to each width in ``widths`` no wider than the original, keeping
    the aspect ratio. The files share a random stem: ``<stem>-<width>.webp``.
    """
    # Drafting at the largest width in both directions keeps enough pixels whichever
    # way EXIF orientation later turns the picture.
    image = open_upload(upload, draft_size=(max(widths), max(widths)))
    stem = random_stem()
    renditions = []
    for width in reversed(entry_widths(image.width, widths)):
        height = max(1, round(image.height * width / image.width))
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
        renditions.append((width, height, encode_webp(image, name=f"{stem}-{width}.webp")))
    return renditions[::-1]
