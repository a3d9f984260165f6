"""Envelope encryption of every stored object (AES-256-GCM, `cryptography`).

Each subject has a random 256-bit data key, stored only wrapped by a master key from settings. An object
is MAGIC + nonce + ciphertext-with-tag, with the object's name as associated data, so an object moved
under another name does not decrypt. Destroying the subject's wrapped key makes every copy unreadable.
"""

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"FPV1"
_NONCE = 12


def master_keys() -> dict[str, bytes]:
    """Master keys by id; the first in MEDIA_MASTER_KEYS wraps new keys, the others still unwrap."""
    entries = settings.MEDIA_MASTER_KEYS
    keys = {}
    for entry in entries:
        key_id, _, encoded = entry.partition(":")
        key = base64.b64decode(encoded)
        if len(key) != 32 or not key_id:
            raise ImproperlyConfigured("Each MEDIA_MASTER_KEYS entry is id:base64 of 32 bytes.")
        keys[key_id] = key
    return keys


def current_master_key_id() -> str:
    return next(iter(master_keys()))


def data_key_generate() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def data_key_wrap(*, data_key: bytes, context: bytes, master_key_id: str | None = None) -> tuple[bytes, str]:
    key_id = master_key_id or current_master_key_id()
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(master_keys()[key_id]).encrypt(nonce, data_key, context), key_id


def data_key_unwrap(*, wrapped: bytes, context: bytes, master_key_id: str) -> bytes:
    wrapped = bytes(wrapped)
    return AESGCM(master_keys()[master_key_id]).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], context)


def object_encrypt(*, data_key: bytes, name: str, plaintext: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return MAGIC + nonce + AESGCM(data_key).encrypt(nonce, plaintext, name.encode())


def object_decrypt(*, data_key: bytes, name: str, blob: bytes) -> bytes:
    if not blob.startswith(MAGIC):
        raise ValueError("not an encrypted object")
    body = blob[len(MAGIC) :]
    return AESGCM(data_key).decrypt(body[:_NONCE], body[_NONCE:], name.encode())
