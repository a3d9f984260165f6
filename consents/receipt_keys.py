"""Proof: the Ed25519 keys that sign consent receipts, read from RECEIPT_SIGNING_KEYS, and the published JWKS."""

import base64
import binascii
import warnings
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet, OKPKey

RECEIPT_ALG = "EdDSA"

# The receipts' contract names alg EdDSA (RFC 8037), which every JOSE library verifies; joserfc warns on each use
# because RFC 9864 prefers the newer "Ed25519" name, which few verifiers accept yet.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)


@lru_cache(maxsize=4)
def _keys_from(entries: tuple[str, ...]) -> tuple[OKPKey, ...]:
    keys = []
    for entry in entries:
        kid, _, encoded = entry.strip().partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raw = b""
        if not kid or len(raw) != 32:
            raise ImproperlyConfigured("Each RECEIPT_SIGNING_KEYS entry is kid:base64 of a 32-byte Ed25519 key.")
        private = Ed25519PrivateKey.from_private_bytes(raw)
        keys.append(OKPKey.import_key(private, {"kid": kid, "use": "sig", "alg": RECEIPT_ALG}))
    if not keys:
        raise ImproperlyConfigured("RECEIPT_SIGNING_KEYS names no key.")
    if len({key.kid for key in keys}) != len(keys):
        raise ImproperlyConfigured("RECEIPT_SIGNING_KEYS repeats a kid.")
    return tuple(keys)


def receipt_keys() -> tuple[OKPKey, ...]:
    """Every configured receipt key, newest first (private keys: for signing and verifying here only)."""
    return _keys_from(tuple(settings.RECEIPT_SIGNING_KEYS))


def receipt_signing_key() -> OKPKey:
    """The key that signs new receipts: the first of RECEIPT_SIGNING_KEYS."""
    return receipt_keys()[0]


def receipt_public_keys() -> KeySet:
    """The public halves of every configured key, as published."""
    return KeySet([OKPKey.import_key(key.as_dict(private=False)) for key in receipt_keys()])


def receipt_jwks() -> dict:
    """The JWKS served at /.well-known/jwks.json: kid, kty OKP, crv Ed25519, use sig, alg EdDSA; no private part."""
    return {"keys": [key.as_dict(private=False) for key in receipt_keys()]}
