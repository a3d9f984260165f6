"""Rule 4 at the door (media_vault/ingest.py through upload_ingest): decode, check, re-encode, record."""

import hashlib
import io
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from media_vault.exceptions import ImageTooLarge, InvalidImage
from media_vault.models import FaceUpload
from media_vault.selectors import upload_image_bytes
from media_vault.services import upload_ingest
from tests.media_vault.factories import FaceUploadFactory, grant_all, image_bytes, jpeg_bytes

pytestmark = pytest.mark.django_db

XMP = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>creator: Jane Doe</rdf:RDF></x:xmpmeta>"


def _stored(upload: FaceUpload) -> bytes:
    return upload_image_bytes(upload=upload)


def _stored_image(upload: FaceUpload) -> Image.Image:
    return Image.open(io.BytesIO(_stored(upload)))


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but which holds almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    )


def _assert_no_metadata(image: Image.Image) -> None:
    assert not image.getexif()
    assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "Author"} & set(image.info)


def test_stored_sha256_is_the_hash_of_the_decrypted_stored_bytes(subject):
    upload = FaceUploadFactory(subject=subject)

    assert upload.sha256 == hashlib.sha256(_stored(upload)).hexdigest()


def test_size_in_bytes_is_that_of_the_stored_image(subject):
    upload = FaceUploadFactory(subject=subject)

    assert upload.size_bytes == len(_stored(upload))


def test_width_height_and_format_are_those_of_the_stored_image(subject):
    upload = FaceUploadFactory(subject=subject, image=jpeg_bytes(size=(120, 70)))

    stored = _stored_image(upload)
    assert (upload.width, upload.height, upload.format) == (120, 70, "JPEG")
    assert (stored.width, stored.height, stored.format) == (120, 70, "JPEG")


def test_png_stays_png_and_webp_stays_webp(subject):
    png = FaceUploadFactory(subject=subject, image=image_bytes(Image.new("RGB", (30, 20), "green"), "PNG"))
    webp = FaceUploadFactory(subject=subject, image=image_bytes(Image.new("RGB", (30, 20), "green"), "WEBP"))

    assert (png.format, _stored_image(png).format) == ("PNG", "PNG")
    assert (webp.format, _stored_image(webp).format) == ("WEBP", "WEBP")


def test_cmyk_jpeg_is_accepted_and_stored_as_rgb(subject):
    cmyk = jpeg_bytes(size=(40, 30), mode="CMYK", color=(0, 255, 255, 0))  # pure red in CMYK
    assert Image.open(io.BytesIO(cmyk)).mode == "CMYK"

    upload = FaceUploadFactory(subject=subject, image=cmyk)

    stored = _stored_image(upload)
    assert stored.mode == "RGB"
    red, green, blue = stored.getpixel((20, 15))
    assert red > 200 and green < 60 and blue < 60


def test_16_bit_png_is_accepted_and_keeps_its_tones(subject):
    sixteen = image_bytes(Image.new("I;16", (30, 20), 40_000), "PNG")
    assert Image.open(io.BytesIO(sixteen)).mode == "I;16"

    upload = FaceUploadFactory(subject=subject, image=sixteen)

    stored = _stored_image(upload)
    assert (stored.format, stored.mode) == ("PNG", "L")
    assert stored.getpixel((10, 10)) == 40_000 >> 8


def test_exif_rotated_photo_is_stored_upright(subject):
    # given a landscape 80x40 photo whose top-left corner is red, tagged "rotate 90° clockwise to view"
    sensor = Image.new("RGB", (80, 40), (0, 0, 255))
    sensor.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    photo = image_bytes(sensor, "JPEG", quality=95, exif=exif)

    # when it is ingested
    upload = FaceUploadFactory(subject=subject, image=photo)

    # then it is stored as viewed: portrait, with the red corner now at the top right, and no EXIF left
    stored = _stored_image(upload)
    assert (upload.width, upload.height) == (40, 80)
    assert stored.size == (40, 80)
    red, _, blue = stored.getpixel((35, 5))
    assert red > 200 and blue < 60
    red, _, blue = stored.getpixel((5, 5))
    assert red < 60 and blue > 200
    assert ExifTags.Base.Orientation not in stored.getexif()


def test_gps_tagged_photo_is_stored_without_gps_or_exif(subject):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    photo = image_bytes(Image.new("RGB", (64, 48), "gray"), "JPEG", exif=exif)
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    upload = FaceUploadFactory(subject=subject, image=photo)

    stored = _stored_image(upload)
    assert dict(stored.getexif()) == {}
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert "exif" not in stored.info
    assert "xmp" not in stored.info
    assert b"PhoneCam" not in _stored(upload)


def test_jpeg_comment_and_xmp_do_not_survive(subject):
    photo = image_bytes(Image.new("RGB", (64, 48), "gray"), "JPEG", comment=b"shot at Jane's house", xmp=XMP)
    assert {"comment", "xmp"} <= set(Image.open(io.BytesIO(photo)).info)

    upload = FaceUploadFactory(subject=subject, image=photo)

    _assert_no_metadata(_stored_image(upload))
    assert b"Jane" not in _stored(upload)


def test_png_text_chunks_and_icc_profile_do_not_survive(subject):
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Jane Doe")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = image_bytes(Image.new("RGB", (30, 20), "gray"), "PNG", pnginfo=text, icc_profile=icc)
    assert {"Author", "icc_profile"} <= set(Image.open(io.BytesIO(photo)).info)

    upload = FaceUploadFactory(subject=subject, image=photo)

    _assert_no_metadata(_stored_image(upload))
    assert b"Jane Doe" not in _stored(upload)


def test_jpeg_with_a_zip_appended_is_accepted_with_the_zip_stripped(subject, vault_storage):
    """Decision: a JPEG/ZIP polyglot is a valid JPEG; re-encoding keeps the pixels and drops the rest."""
    polyglot = jpeg_bytes() + b"PK\x03\x04" + b"\x14\x00" * 20 + b"secret.txt"

    upload = FaceUploadFactory(subject=subject, image=polyglot)

    assert b"PK\x03\x04" not in _stored(upload)
    assert b"secret.txt" not in _stored(upload)
    assert _stored_image(upload).size == (64, 48)


def test_pixel_limit_is_checked_on_the_header_before_decoding(subject, avatar):
    # 8000 x 6000 = 48 Mpx: under Pillow's own bomb threshold, over ours; the data would not even decode
    grant_all(subject=subject, purposes=[avatar])

    with pytest.raises(InvalidImage) as refused:
        upload_ingest(subject=subject, data=_png_claiming(8000, 6000), purpose_slugs=["avatar"])

    assert refused.value.detail == "The image has too many pixels (at most 40 million)."


def test_image_over_the_size_setting_is_too_large(subject, avatar, settings):
    settings.FACE_UPLOAD_MAX_BYTES = 2_000_000
    grant_all(subject=subject, purposes=[avatar])

    with pytest.raises(ImageTooLarge) as refused:
        upload_ingest(subject=subject, data=jpeg_bytes() + b"\0" * 2_000_000, purpose_slugs=["avatar"])

    assert refused.value.detail == "The file is larger than 2 MB."
    assert not FaceUpload.objects.exists()


def test_image_at_the_size_setting_is_accepted(subject, avatar, settings):
    image = jpeg_bytes()
    settings.FACE_UPLOAD_MAX_BYTES = len(image)

    upload = FaceUploadFactory(subject=subject, purposes=[avatar], image=image)

    assert upload.pk is not None
