"""Encryption at rest (media_vault/crypto.py, storage.py) and master key rotation (rotate_master_key).

Every object, original and thumbnail, is AES-256-GCM under the subject's data key, which is stored only
wrapped by a master key. Storage tests run on local files and on S3 (moto's server on loopback).
"""

import base64
import io
import os
import re

import pytest
from cryptography.exceptions import InvalidTag
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from media_vault.crypto import MAGIC, object_decrypt
from media_vault.exceptions import DataKeyDestroyed, StorageUnavailable
from media_vault.models import SubjectKey
from media_vault.selectors import upload_image_bytes
from media_vault.storage import subject_data_key, vault_object_put, vault_object_read
from tests.media_vault.factories import FaceUploadFactory, SubjectKeyFactory, image_bytes

pytestmark = pytest.mark.django_db

IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"JFIF", b"Exif", b"\x89PNG", b"IHDR", b"RIFF", b"WEBP", b"VP8")


def _master_key(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


@pytest.fixture
def png_upload(subject):
    return FaceUploadFactory(subject=subject, image=image_bytes(Image.new("RGB", (64, 64), "orange"), "PNG"))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_every_stored_object_is_encrypted(subject, vault_storage, fmt):
    FaceUploadFactory(subject=subject, image=image_bytes(Image.new("RGB", (64, 64), "orange"), fmt))

    raw_objects = vault_storage()  # read back from disk, or from the S3 server through boto3

    assert len(raw_objects) == 2  # the image and its thumbnail
    for raw in raw_objects:
        assert raw.startswith(MAGIC)
        assert not [signature for signature in IMAGE_SIGNATURES if signature in raw]


def test_stored_objects_decrypt_to_the_image_and_its_thumbnail(vault_storage, png_upload):
    data_key = subject_data_key(subject=png_upload.subject)
    with default_storage.open(png_upload.object_name, "rb") as handle:
        image = object_decrypt(data_key=data_key, name=png_upload.object_name, blob=handle.read())
    with default_storage.open(png_upload.thumbnail_object_name, "rb") as handle:
        thumbnail = object_decrypt(data_key=data_key, name=png_upload.thumbnail_object_name, blob=handle.read())

    assert Image.open(io.BytesIO(image)).format == "PNG"
    assert Image.open(io.BytesIO(thumbnail)).format == "JPEG"


def test_object_names_say_nothing_about_the_subject(subject, vault_storage):
    uploads = [FaceUploadFactory(subject=subject) for _ in range(2)]
    names = [name for u in uploads for name in (u.object_name, u.thumbnail_object_name)]

    assert len(set(names)) == 4
    for name in names:
        assert re.fullmatch(r"vault/[0-9a-f]{40}", name)  # so no id as a path segment, nor any other name
        for identifier in (subject.email, subject.email.split("@")[0], str(subject.ledger_ref), subject.ledger_ref.hex):
            assert identifier not in name
        assert default_storage.exists(name)


def test_object_names_are_random(subject):
    first = FaceUploadFactory(subject=subject)
    second = FaceUploadFactory(subject=subject)  # the very same image again

    assert first.object_name != second.object_name
    assert len(first.object_name.rsplit("/", 1)[-1]) >= 32


def test_storing_never_replaces_an_object_of_the_same_name(subject, vault_storage, monkeypatch):
    """S3 gets one PUT with If-None-Match (no HEAD first), local files the storage's own check: either way an
    existing object stays as it was and the upload is refused."""
    data_key = subject_data_key(subject=subject)
    monkeypatch.setattr("media_vault.storage.secrets.token_hex", lambda nbytes: "ab" * nbytes)
    name = vault_object_put(data_key=data_key, plaintext=b"first")

    with pytest.raises(StorageUnavailable):
        vault_object_put(data_key=data_key, plaintext=b"second")

    assert vault_object_read(data_key=data_key, name=name) == b"first"
    assert len(vault_storage()) == 1


def test_object_moved_under_another_name_does_not_decrypt(png_upload):
    data_key = subject_data_key(subject=png_upload.subject)
    with default_storage.open(png_upload.object_name, "rb") as handle:
        blob = handle.read()

    with pytest.raises(InvalidTag):
        object_decrypt(data_key=data_key, name=png_upload.thumbnail_object_name, blob=blob)


def test_object_of_one_subject_does_not_decrypt_with_another_subjects_key(png_upload, other_subject):
    with default_storage.open(png_upload.object_name, "rb") as handle:
        blob = handle.read()

    with pytest.raises(InvalidTag):
        object_decrypt(data_key=subject_data_key(subject=other_subject), name=png_upload.object_name, blob=blob)


def test_data_key_is_stored_only_wrapped(subject):
    key = SubjectKeyFactory(subject=subject)

    data_key = subject_data_key(subject=subject)

    assert len(data_key) == 32
    assert data_key not in bytes(key.wrapped_key)


def test_deleting_the_subject_key_makes_the_objects_unreadable(vault_storage, png_upload):
    assert upload_image_bytes(upload=png_upload)  # readable before

    SubjectKey.objects.filter(subject=png_upload.subject).delete()

    for thumbnail in (False, True):
        with pytest.raises(DataKeyDestroyed):
            upload_image_bytes(upload=png_upload, thumbnail=thumbnail)
    assert not SubjectKey.objects.filter(subject=png_upload.subject).exists()  # a read never mints a new key


def test_rotation_rewraps_every_key_and_images_still_decrypt(subject, other_subject, settings):
    # given uploads whose data keys are wrapped by the current master key
    old = settings.MEDIA_MASTER_KEYS[0]
    uploads = [FaceUploadFactory(subject=subject), FaceUploadFactory(subject=other_subject)]
    before = [upload_image_bytes(upload=u) for u in uploads]
    new = _master_key("new2025")

    # when a new master key goes first and the command runs
    settings.MEDIA_MASTER_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_master_key", stdout=out)

    # then every data key is wrapped by the new one, and the images decrypt with both keys and with the new alone
    assert "Re-wrapped 2 data keys under master key 'new2025'." in out.getvalue()
    assert set(SubjectKey.objects.values_list("master_key_id", flat=True)) == {"new2025"}
    assert [upload_image_bytes(upload=u) for u in uploads] == before
    settings.MEDIA_MASTER_KEYS = [new]
    assert [upload_image_bytes(upload=u) for u in uploads] == before


def test_rotation_run_twice_rewraps_nothing_the_second_time(subject, settings):
    FaceUploadFactory(subject=subject)
    settings.MEDIA_MASTER_KEYS = [_master_key("new2025"), settings.MEDIA_MASTER_KEYS[0]]
    call_command("rotate_master_key", stdout=io.StringIO())
    wrapped = bytes(SubjectKey.objects.get(subject=subject).wrapped_key)

    out = io.StringIO()
    call_command("rotate_master_key", stdout=out)

    assert "Re-wrapped 0 data keys" in out.getvalue()
    assert bytes(SubjectKey.objects.get(subject=subject).wrapped_key) == wrapped


def test_without_rotation_dropping_the_old_master_key_leaves_images_unreadable(subject, settings):
    """The yardstick for the rotation test: the old key really is needed until the command has run."""
    upload = FaceUploadFactory(subject=subject)

    settings.MEDIA_MASTER_KEYS = [_master_key("new2025")]

    with pytest.raises(KeyError):
        upload_image_bytes(upload=upload)
