"""Derived images that people look at: never stored, made from the decrypted image when asked (rule 4)."""

import io

from PIL import Image, ImageDraw, ImageFilter

from media_vault.models import FaceUpload
from media_vault.selectors import upload_image_bytes


def blurred_preview(*, upload: FaceUpload) -> bytes:
    """A preview no one can recognise a face in: the thumbnail, heavily blurred."""
    image = Image.open(io.BytesIO(upload_image_bytes(upload=upload, thumbnail=True))).convert("RGB")
    image = image.filter(ImageFilter.GaussianBlur(radius=max(image.size) / 12))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def faces_drawn(*, data: bytes, boxes: list[list[int]]) -> bytes:
    """The image with a box around each face found, drawn into the pixels (the CSP allows no inline styles)."""
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        if source.mode in ("RGBA", "LA", "PA") or "transparency" in source.info:
            image = Image.new("RGB", source.size, "white")
            image.paste(source.convert("RGBA"), mask=source.convert("RGBA").getchannel("A"))
        else:
            image = source.convert("RGB")
    draw = ImageDraw.Draw(image)
    line = max(3, round(max(image.size) / 160))
    for x, y, width, height in boxes:
        # A bright line with a dark rim outside it stays visible on light and dark surroundings alike.
        draw.rectangle((x - line, y - line, x + width + line - 1, y + height + line - 1), outline="#1d2733", width=line)
        draw.rectangle((x, y, x + width - 1, y + height - 1), outline="#f0b429", width=line)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()
