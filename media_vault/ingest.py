"""Rule 4 at the door: decode, check, re-encode. No EXIF, XMP, GPS, ICC or comment reaches storage."""

import hashlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from media_vault.exceptions import ImageTooLarge, InvalidImage
from media_vault.faces import faces_detect

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_PIXELS = 40_000_000
THUMBNAIL_SIDE = 320
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class IngestedImage:
    data: bytes
    format: str
    width: int
    height: int
    sha256: str
    face_boxes: list[list[int]]
    thumbnail: bytes


def _normalise_mode(image: Image.Image) -> Image.Image:
    """Bring every accepted mode to 8-bit L, LA, RGB or RGBA (CMYK, 16-bit and palettes included)."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        pixels = np.asarray(image, dtype=np.uint32)
        shift = 8 if pixels.max(initial=0) > 255 else 0
        return Image.fromarray((pixels >> shift).astype(np.uint8), mode="L")
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("PA", "RGBa", "La"):
        return image.convert("RGBA")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, 1, F, ...


def _encode(image: Image.Image, fmt: str) -> bytes:
    # A fresh image from raw pixels carries no info dict at all: nothing but pixels can be written.
    fresh = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        if fresh.mode not in ("L", "RGB"):
            fresh = fresh.convert("RGB")
        # No optimize=True: its second pass over the coefficients tripled the encode of a 1 Mpx photo (11 against
        # 3.4 ms of CPU) for files 1 to 3% smaller (a greyish scan: 16%; bench/FIND_ME.md).
        fresh.save(out, "JPEG", quality=90)
    elif fmt == "WEBP":
        fresh.save(out, "WEBP", quality=90)
    else:
        fresh.save(out, "PNG", optimize=False)
    return out.getvalue()


def image_too_large(*, max_bytes: int) -> ImageTooLarge:
    """The one answer to a file over the limit, whether the API or the checker notices it first."""
    return ImageTooLarge(_("The file is larger than %(mb)s MB.") % {"mb": f"{max_bytes / 1_000_000:g}"})


def image_ingest(*, data: bytes, max_bytes: int) -> IngestedImage:
    """Check and clean one uploaded image; raise InvalidImage or ImageTooLarge with a plain message."""
    if len(data) > max_bytes:
        raise image_too_large(max_bytes=max_bytes)
    if not data:
        raise InvalidImage(_("The file is empty."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS))
            if image.width * image.height > MAX_PIXELS:  # checked on the header, before any decoding
                raise InvalidImage(_("The image has too many pixels (at most 40 million)."))
            if getattr(image, "n_frames", 1) > 1:
                raise InvalidImage(_("Animated or multi-page images are not accepted: upload a single photo."))
            fmt = image.format
            image.load()  # full decode: truncated or corrupt data fails here
            upright = ImageOps.exif_transpose(image)
        except InvalidImage:
            raise
        except UnidentifiedImageError as error:
            raise InvalidImage(_("This file is not a JPEG, PNG or WebP image.")) from error
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
            raise InvalidImage(_("The image has too many pixels (at most 40 million).")) from error
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise InvalidImage(_("The image is damaged or incomplete.")) from error
    upright = _normalise_mode(upright)
    stored = _encode(upright, fmt)
    thumb = upright.copy()
    # reducing_gap 1.5: a box reduce() by a whole factor first whenever the image is at least 3 times the thumbnail
    # (a 1 Mpx photo: halved, then bicubic to 320 px), not a bicubic over every pixel: 3.5 against 7.4 ms of CPU.
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), reducing_gap=1.5)
    if thumb.mode in ("RGBA", "LA"):
        background = Image.new("RGB", thumb.size, "white")
        background.paste(thumb, mask=thumb.getchannel("A"))
        thumb = background
    return IngestedImage(
        data=stored,
        format=fmt,
        width=upright.width,
        height=upright.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        face_boxes=faces_detect(upright),
        thumbnail=_encode(thumb, "JPEG"),
    )
