"""Link codes sealed for the subject's own page: the code is encrypted at rest, never stored in the clear.

A live code (unused, unexpired) is shown again on every visit of the Connected apps page, so reloading does
not make a new one. Only its hash serves redemption; the sealed copy serves the page alone. The key is derived
from SECRET_KEY, which lives outside the database, so a copy of the database alone does not reveal live codes.
Changing SECRET_KEY makes sealed codes unreadable: the page then offers to make a new code.
"""

import hashlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_NONCE_BYTES = 12


def _key() -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"partners.link-code.v1").derive(
        settings.SECRET_KEY.encode()
    )


def link_code_hash(code: str) -> str:
    """The code's lookup hash: case, spaces and dashes do not matter."""
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


def link_code_seal(*, code: str, code_hash: str) -> bytes:
    """Encrypt a code with AES-256-GCM, bound to its row's hash (a sealed code moved to another row fails)."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return nonce + AESGCM(_key()).encrypt(nonce, code.encode(), code_hash.encode())


def link_code_unseal(*, sealed: bytes, code_hash: str) -> str | None:
    """The code, or None when there is none or it cannot be read (another SECRET_KEY, or tampered with)."""
    sealed = bytes(sealed or b"")
    if len(sealed) <= _NONCE_BYTES:
        return None
    try:
        code = AESGCM(_key()).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], code_hash.encode()).decode()
    except (InvalidTag, UnicodeDecodeError):
        return None
    return code if link_code_hash(code) == code_hash else None
