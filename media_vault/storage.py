"""Encrypted objects in the configured storage (local files or S3 through django-storages)."""

import secrets
import tempfile

from botocore.exceptions import BotoCoreError, ClientError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from storages.utils import clean_name

from accounts.models import User
from media_vault.crypto import (
    data_key_generate,
    data_key_unwrap,
    data_key_wrap,
    object_decrypt,
    object_encrypt,
    stream_decrypt,
    stream_encrypt,
)
from media_vault.exceptions import DataKeyDestroyed, ObjectMissing, StorageUnavailable
from media_vault.models import SubjectKey

_STORAGE_ERRORS = (BotoCoreError, ClientError, OSError)


def _key_context(subject: User) -> bytes:
    return _key_context_of(subject.ledger_ref)


def _key_context_of(ledger_ref) -> bytes:
    return b"subject-key:" + str(ledger_ref).encode()


def subject_data_key(*, subject: User) -> bytes:
    """The subject's data key, made on first use. Only its wrapped form is ever stored."""
    row = SubjectKey.objects.filter(subject=subject).first()
    if row is None:
        wrapped, key_id = data_key_wrap(data_key=data_key_generate(), context=_key_context(subject))
        try:
            with transaction.atomic():
                row = SubjectKey.objects.create(subject=subject, wrapped_key=wrapped, master_key_id=key_id)
        except IntegrityError:  # made by a concurrent upload a moment ago
            row = SubjectKey.objects.get(subject=subject)
    return data_key_unwrap(wrapped=row.wrapped_key, context=_key_context(subject), master_key_id=row.master_key_id)


def subject_data_key_existing(*, subject: User) -> bytes:
    """The subject's data key for reading; never makes one (a destroyed key stays destroyed)."""
    row = SubjectKey.objects.filter(subject=subject).first()
    if row is None:
        raise DataKeyDestroyed()
    return data_key_unwrap(wrapped=row.wrapped_key, context=_key_context(subject), master_key_id=row.master_key_id)


def subject_data_keys_existing(*, subject_ids) -> dict[int, bytes]:
    """The data keys of many subjects at once (one query), for a batch that reads what each of them owns;
    a subject without a key (erased) is simply absent. `subject_ids` is a collection of ids, or a query that
    selects them: that runs as a subquery, so a batch over 100,000 subjects sends no list of ids (bench/find_me)."""
    if not isinstance(subject_ids, QuerySet):
        subject_ids = list(subject_ids)
    rows = SubjectKey.objects.filter(subject_id__in=subject_ids).values_list(
        "subject_id", "subject__ledger_ref", "wrapped_key", "master_key_id"
    )
    return {
        subject_id: data_key_unwrap(wrapped=wrapped, context=_key_context_of(ledger_ref), master_key_id=key_id)
        for subject_id, ledger_ref, wrapped, key_id in rows
    }


def subject_data_key_rewrap(*, key: SubjectKey, master_key_id: str) -> SubjectKey:
    """Wrap a data key under another master key (rotation); the objects themselves are untouched."""
    context = _key_context(key.subject)
    data_key = data_key_unwrap(wrapped=key.wrapped_key, context=context, master_key_id=key.master_key_id)
    key.wrapped_key, key.master_key_id = data_key_wrap(data_key=data_key, context=context, master_key_id=master_key_id)
    key.save(update_fields=["wrapped_key", "master_key_id"])
    return key


def _object_create(name: str, blob: bytes) -> None:
    """Write a new object under exactly `name`, never replacing one (random names never collide; refuse if they do)."""
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:
        # S3: one PUT that S3 itself refuses if the name is taken (If-None-Match: *), instead of save()'s HEAD for the
        # name and its transfer threads (about 10 ms of CPU per upload in this process, bench/FIND_ME.md).
        key = default_storage._normalize_name(clean_name(name))
        params = default_storage._get_write_parameters(key)
        try:
            bucket.meta.client.put_object(Bucket=bucket.name, Key=key, Body=blob, IfNoneMatch="*", **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                raise StorageUnavailable("an object of that name exists already") from error
            raise
        return
    saved = default_storage.save(name, ContentFile(blob))
    if saved != name:  # never expected with random names; refuse rather than mis-decrypt later
        default_storage.delete(saved)
        raise StorageUnavailable("storage renamed the object")


def vault_object_put(*, data_key: bytes, plaintext: bytes) -> str:
    """Encrypt and store one object under a random name that says nothing about its subject."""
    name = f"vault/{secrets.token_hex(20)}"
    try:
        _object_create(name, object_encrypt(data_key=data_key, name=name, plaintext=plaintext))
    except _STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error
    return name


def _is_missing(error: Exception) -> bool:
    if isinstance(error, FileNotFoundError):
        return True
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey")


def _object_bytes(name: str) -> bytes:
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:  # S3: one GET, without the HEADs and transfer threads of opening a file
        return bucket.Object(default_storage._normalize_name(clean_name(name))).get()["Body"].read()
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def vault_object_read(*, data_key: bytes, name: str) -> bytes:
    try:
        blob = _object_bytes(name)
    except _STORAGE_ERRORS as error:
        if _is_missing(error):  # gone is not an outage: nothing to retry
            raise ObjectMissing() from error
        raise StorageUnavailable(str(error)) from error
    return object_decrypt(data_key=data_key, name=name, blob=blob)


def vault_object_delete(*, name: str) -> None:
    """Delete one object; deleting one that is already gone succeeds (erasure is retried)."""
    try:
        default_storage.delete(name)
    except FileNotFoundError:
        return
    except _STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error


def vault_stream_put(*, data_key: bytes, chunks) -> tuple[str, int]:
    """Encrypt a stream into a temporary file, then store it (S3 uploads it in parts): flat memory."""
    name = f"vault/{secrets.token_hex(20)}"
    with tempfile.TemporaryFile() as spool:
        for sealed in stream_encrypt(data_key=data_key, name=name, chunks=chunks):
            spool.write(sealed)
        size = spool.tell()
        spool.seek(0)
        try:
            saved = default_storage.save(name, File(spool, name=name))
        except _STORAGE_ERRORS as error:
            raise StorageUnavailable(str(error)) from error
    if saved != name:
        default_storage.delete(saved)
        raise StorageUnavailable("storage renamed the object")
    return name, size


def vault_stream_read(*, data_key: bytes, name: str):
    """Yield the decrypted chunks of a streamed object, reading it one chunk at a time."""
    try:
        handle = default_storage.open(name, "rb")
    except _STORAGE_ERRORS as error:
        raise StorageUnavailable(str(error)) from error
    with handle:
        yield from stream_decrypt(data_key=data_key, name=name, handle=handle)


def vault_objects_delete(*, names: list[str]) -> None:
    """Delete many objects: S3 in batches of up to 1,000 keys per request; elsewhere one by one."""
    bucket = getattr(default_storage, "bucket", None)
    if bucket is None:
        for name in names:
            vault_object_delete(name=name)
        return
    for start in range(0, len(names), 1000):
        batch = names[start : start + 1000]
        try:
            result = bucket.delete_objects(Delete={"Objects": [{"Key": n} for n in batch], "Quiet": True})
        except _STORAGE_ERRORS as error:
            raise StorageUnavailable(str(error)) from error
        if result.get("Errors"):
            raise StorageUnavailable(f"{len(result['Errors'])} objects could not be deleted")
