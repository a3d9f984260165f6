#!/usr/bin/env python3
"""Verify a signed consent receipt from the face-privacy portal, offline.

A receipt is a compact JWS (alg EdDSA, Ed25519) whose payload is the consent decision, in the structure of
ISO/IEC TS 27560. Save the portal's public keys once (`curl -o jwks.json https://PORTAL/.well-known/jwks.json`),
then, with no network and nothing but the `joserfc` package:

    python verify_receipt.py jwks.json avatar-17.jws
    python verify_receipt.py jwks.json - < avatar-17.jws

On success it prints the receipt's purpose, decision and time.

Exit codes:
    0  the signature verifies with the key the receipt names (its kid)
    1  the signature does not verify, the receipt is malformed, or its kid is not in the JWKS
    2  usage error, or the JWKS or receipt file cannot be read
"""

import json
import sys
import warnings

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet

# The portal signs with alg EdDSA (RFC 8037); joserfc warns that RFC 9864 prefers a newer name for it.
warnings.filterwarnings("ignore", category=SecurityWarning)

USAGE = "usage: verify_receipt.py JWKS_FILE [RECEIPT_FILE | -]"


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def verify(token: str, jwks: dict) -> dict:
    """The receipt's payload, if `token` is a JWS signed by a key of `jwks`; raises JoseError or ValueError."""
    keys = KeySet.import_key_set(jwks)
    header = jws.extract_compact(token.encode()).headers()
    if not any(key.kid == header.get("kid") for key in keys.keys):
        raise ValueError(f"unknown key id {header.get('kid')!r}")
    verified = jws.deserialize_compact(token, keys, algorithms=["EdDSA"])
    return json.loads(verified.payload)


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        jwks = json.loads(_read(argv[1]))
        token = _read(argv[2] if len(argv) == 3 else "-").strip()
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"cannot read input: {error}", file=sys.stderr)
        return 2
    try:
        receipt = verify(token, jwks)
    except (JoseError, ValueError, KeyError, TypeError) as error:
        print(f"INVALID: {error}", file=sys.stderr)
        return 1
    purpose, decision = receipt["purpose"], receipt["decision"]
    print("VALID receipt", receipt["event_id"])
    print("purpose:", f"{purpose['id']} (version {purpose['version']})")
    print("decision:", decision["status"], f"({decision['scope']})")
    print("time:", receipt["time"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
