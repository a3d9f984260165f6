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


# --- Streaming: large objects (export archives) in authenticated chunks --------------------------
STREAM_MAGIC = b"FPS1"
STREAM_CHUNK = 1024 * 1024


def _chunk_nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


def _chunk_aad(name: str, index: int, last: bool) -> bytes:
    return name.encode() + b"|" + index.to_bytes(4, "big") + (b"|last" if last else b"|more")


def stream_encrypt(*, data_key: bytes, name: str, chunks):
    """Encrypt an iterable of bytes as length-prefixed AES-GCM chunks; memory stays at one chunk.

    Each chunk's nonce is a random prefix plus its index, and its associated data names the object, the
    index and whether it is the last, so chunks cannot be reordered, dropped or truncated unnoticed.
    """
    aead = AESGCM(data_key)
    prefix = os.urandom(8)
    yield STREAM_MAGIC + prefix
    buffer, index = b"", 0
    for piece in chunks:
        buffer += piece
        while len(buffer) > STREAM_CHUNK:  # strictly more: another chunk follows this one
            yield _sealed(aead, prefix, name, index, buffer[:STREAM_CHUNK], last=False)
            buffer, index = buffer[STREAM_CHUNK:], index + 1
    yield _sealed(aead, prefix, name, index, buffer, last=True)


def _sealed(aead: AESGCM, prefix: bytes, name: str, index: int, plaintext: bytes, *, last: bool) -> bytes:
    sealed = aead.encrypt(_chunk_nonce(prefix, index), plaintext, _chunk_aad(name, index, last))
    return len(sealed).to_bytes(4, "big") + sealed


def stream_decrypt(*, data_key: bytes, name: str, handle):
    """Decrypt what stream_encrypt wrote, reading from a file-like object one chunk at a time."""
    aead = AESGCM(data_key)
    header = handle.read(len(STREAM_MAGIC) + 8)
    if not header.startswith(STREAM_MAGIC):
        raise ValueError("not an encrypted stream")
    prefix = header[len(STREAM_MAGIC) :]
    index = 0
    length_bytes = handle.read(4)
    while length_bytes:
        sealed = handle.read(int.from_bytes(length_bytes, "big"))
        next_length = handle.read(4)
        last = not next_length
        yield aead.decrypt(_chunk_nonce(prefix, index), sealed, _chunk_aad(name, index, last))
        index, length_bytes = index + 1, next_length
    if index == 0:
        raise ValueError("empty encrypted stream")
