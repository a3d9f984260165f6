"""A corpus of bad files, each refused by POST /api/v1/subjects/{id}/uploads/ with its exact answer and
nothing left in storage (local files and S3). All files are generated here; none is committed."""

import io
import struct
import zlib
from http import HTTPStatus

import pytest
from PIL import Image

from media_vault.models import FaceUpload, SubjectKey
from tests.media_vault.factories import grant_all, image_bytes, jpeg_bytes

pytestmark = pytest.mark.django_db

NOT_AN_IMAGE = "This file is not a JPEG, PNG or WebP image."
DAMAGED = "The image is damaged or incomplete."
TOO_MANY_PIXELS = "The image has too many pixels (at most 40 million)."
ANIMATED = "Animated or multi-page images are not accepted: upload a single photo."


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    )


def _frames() -> list[Image.Image]:
    return [Image.new("RGB", (24, 24), color) for color in ("red", "blue", "green")]


def _animated(fmt: str) -> bytes:
    first, *rest = _frames()
    return image_bytes(first, fmt, save_all=True, append_images=rest, duration=100, loop=0)


def _truncated_jpeg() -> bytes:
    whole = jpeg_bytes(size=(200, 200), quality=95)
    return whole[: len(whole) // 2]


def _truncated_png() -> bytes:
    whole = image_bytes(Image.effect_noise((200, 200), 50).convert("RGB"), "PNG")
    return whole[: len(whole) // 2]


CORPUS = [
    ("text-renamed.jpg", b"Dear diary, today I uploaded a text file.\n" * 20, NOT_AN_IMAGE),
    ("page.png", b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>", NOT_AN_IMAGE),
    (
        "drawing.png",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        b'<circle cx="32" cy="32" r="30"/><script>alert(1)</script></svg>',
        NOT_AN_IMAGE,
    ),
    ("half.jpg", _truncated_jpeg(), DAMAGED),
    ("half.png", _truncated_png(), DAMAGED),
    ("empty.jpg", b"", "The file is empty."),
    ("huge.png", _png_claiming(100_000, 100_000), TOO_MANY_PIXELS),
    ("animated.gif", _animated("GIF"), NOT_AN_IMAGE),
    ("still.gif", image_bytes(Image.new("RGB", (24, 24), "red"), "GIF"), NOT_AN_IMAGE),
    ("animated.webp", _animated("WEBP"), ANIMATED),
    ("animated.png", _animated("PNG"), ANIMATED),
    ("photo.tiff", image_bytes(Image.new("RGB", (24, 24), "red"), "TIFF"), NOT_AN_IMAGE),
]


def test_corpus_multi_frame_files_really_are_multi_frame():
    """Guard for the corpus itself: the animated files hold three frames each."""
    for fmt in ("GIF", "WEBP", "PNG"):
        assert Image.open(io.BytesIO(_animated(fmt))).n_frames == 3


@pytest.mark.parametrize(("filename", "content", "message"), CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_file_is_refused_with_its_answer_and_nothing_is_stored(
    partner_client, link, avatar, vault_storage, filename, content, message
):
    grant_all(subject=link.subject, purposes=[avatar])

    response = partner_client.post(
        f"/api/v1/subjects/{link.pairwise_id}/uploads/",
        {"image": _named(content, filename), "purposes": ["avatar"]},
        format="multipart",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["detail"]) == (400, "invalid_image", message)
    assert not FaceUpload.objects.exists()
    assert not SubjectKey.objects.exists()
    assert vault_storage() == []


def _named(content: bytes, filename: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = filename
    return handle
