"""The hash chains of the consent ledger: how an event's hash is computed, and the Merkle root over chain heads.

Hash version 1 (events made before subject chains): one chain across all subjects in `seq` order.
Hash version 2: one chain per subject; the hash also covers the chain position and a grant's expiry.
"""

import hashlib
import json
from datetime import datetime

from django.db import connection

GENESIS_HASH = "0" * 64

# PostgreSQL numbers events from this sequence (no lock, so different subjects never wait on each other);
# SQLite, whose writers already take turns (IMMEDIATE transactions), takes the next number after the highest.
EVENT_SEQ_SEQUENCE = "consents_event_seq"


# One encoder for every hash: canonical JSON (sorted keys, no spaces, ASCII only).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _digest(content: dict) -> str:
    return hashlib.sha256(_CANONICAL.encode(content).encode()).hexdigest()


def _iso(moment: datetime | str) -> str:
    """A time as the hash covers it; the verifier may pass it already in that form (PostgreSQL writes it)."""
    return moment if isinstance(moment, str) else moment.isoformat(timespec="microseconds")


def event_hash(
    *,
    seq: int,
    subject_ref: str,
    purpose_slug: str,
    purpose_version: int,
    granted: bool,
    channel: str,
    actor: str,
    created_at: datetime | str,
    prev_hash: str,
    link_ref: int | None = None,
    exception_removed: bool = False,
    hash_version: int = 2,
    chain_seq: int | None = None,
    expires_at: datetime | str | None = None,
) -> str:
    """SHA-256 over the canonical JSON of an event's content and the previous event's hash.

    A decision for one app (a per-app exception) also covers its scope; a decision for all apps hashes exactly as
    before exceptions existed, so older events still verify. Version 2 adds the version itself, the position in
    the subject's chain and, for a grant that ends, its expiry.
    """
    content = {
        "seq": seq,
        "subject_ref": str(subject_ref),
        "purpose": purpose_slug,
        "purpose_version": purpose_version,
        "granted": granted,
        "channel": channel,
        "actor": actor,
        "created_at": _iso(created_at),
        "prev_hash": prev_hash,
    }
    if link_ref is not None:
        content["scope"] = f"link:{link_ref}"
        content["exception_removed"] = exception_removed
    if hash_version >= 2:
        content["v"] = hash_version
        content["chain_seq"] = chain_seq
        if expires_at is not None:
            content["expires_at"] = _iso(expires_at)
    return _digest(content)


def hash_of_event(event) -> str:
    """Recompute the hash of a stored ConsentEvent from its fields."""
    return event_hash(
        seq=event.seq,
        subject_ref=str(event.subject_ref),
        purpose_slug=event.purpose_slug,
        purpose_version=event.purpose_version,
        granted=event.granted,
        channel=event.channel,
        actor=event.actor,
        created_at=event.created_at,
        prev_hash=event.prev_hash,
        link_ref=event.link_ref,
        exception_removed=event.exception_removed,
        hash_version=event.hash_version,
        chain_seq=event.chain_seq,
        expires_at=event.expires_at,
    )


def event_seqs_next(count: int) -> list[int]:
    """`count` new ledger sequence numbers, ascending. Call it once the subjects' chains are locked, so that each
    subject's numbers follow the order of their chain."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [EVENT_SEQ_SEQUENCE, count])
            return sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM consents_consentevent")
        highest = cursor.fetchone()[0]
        return list(range(highest + 1, highest + count + 1))


def chain_leaf(subject_ref: str, length: int, head_hash: str) -> bytes:
    """The bytes one chain head contributes to a checkpoint's Merkle tree."""
    return f"{subject_ref}:{length}:{head_hash}".encode()


def merkle_root(leaves: list[bytes]) -> str:
    """The root (hex) of a binary Merkle tree over `leaves` in the order given, as RFC 6962 builds it: a leaf
    hashes as SHA-256(0x00 || leaf), a node as SHA-256(0x01 || left || right), an odd node moves up unchanged.
    The root of no leaves is the SHA-256 of nothing."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = [hashlib.sha256(b"\x00" + leaf).digest() for leaf in leaves]
    while len(level) > 1:
        paired = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()
