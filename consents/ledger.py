"""The hash chain of the consent ledger: how an event's hash is computed, in one place."""

import hashlib
import json
from datetime import datetime

GENESIS_HASH = "0" * 64


def event_hash(
    *,
    seq: int,
    subject_ref: str,
    purpose_slug: str,
    purpose_version: int,
    granted: bool,
    channel: str,
    actor: str,
    created_at: datetime,
    prev_hash: str,
    link_ref: int | None = None,
    exception_removed: bool = False,
) -> str:
    """SHA-256 over the canonical JSON of an event's content and the previous event's hash.

    A decision for one app (a per-app exception) also covers its scope; a decision for all apps hashes exactly as
    before exceptions existed, so older events still verify.
    """
    content = {
        "seq": seq,
        "subject_ref": str(subject_ref),
        "purpose": purpose_slug,
        "purpose_version": purpose_version,
        "granted": granted,
        "channel": channel,
        "actor": actor,
        "created_at": created_at.isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }
    if link_ref is not None:
        content["scope"] = f"link:{link_ref}"
        content["exception_removed"] = exception_removed
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    )
