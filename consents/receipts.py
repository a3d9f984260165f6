"""Proof: signed consent receipts. One per ledger event, in the structure of ISO/IEC TS 27560 (the Kantara
consent receipt's successor), signed with the portal's Ed25519 key as a compact JWS (alg EdDSA).

The payload carries every field the ledger hashes (seq, subject reference, purpose and version, decision, scope,
expiry, channel, actor, time, previous hash, chain position), so a holder can recompute the event's ledger hash from the receipt alone.
It holds no email or account id: the subject is the ledger's random `subject_ref`. Ed25519 signatures are
deterministic, so the same event always yields the same receipt.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from joserfc import jws

from accounts.models import User
from consents.exceptions import ReceiptNotFound
from consents.models import SCOPE_ALL_APPS, SCOPE_THIS_APP, ConsentEvent, PurposeVersion
from consents.receipt_keys import RECEIPT_ALG, receipt_signing_key
from consents.selectors import consent_history_for_subject

RECEIPT_TYP = "consent-receipt+jws"
RECEIPT_MEDIA_TYPE = "application/jose"
RECEIPT_VERSION = "1"
RECEIPT_SCHEMA = "ISO/IEC TS 27560:2023"


@dataclass(frozen=True, slots=True)
class Receipt:
    """One signed receipt and the facts a list shows about it."""

    event: ConsentEvent
    payload: dict
    jws: str

    @property
    def event_id(self) -> int:
        return self.event.seq

    @property
    def decision(self) -> str:
        return self.payload["decision"]["status"]

    @property
    def filename(self) -> str:
        return f"{self.event.purpose_slug}-{self.event.seq}.jws"


def purpose_text_sha256(*, title: str, description: str) -> str:
    """SHA-256 (hex) of a purpose version's text as the person read it: title, a blank line, description."""
    return hashlib.sha256(f"{title}\n\n{description}".encode()).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="microseconds")


def receipt_payload(*, event: ConsentEvent, version: PurposeVersion | None) -> dict:
    """The receipt of one ledger event, as a JSON-ready dict.

    Only what the event itself fixes goes in, so a receipt never changes once made: not an app's name (it can be
    renamed; a per-app decision says `this_app` and the person's history names the app). A grant's expiry is in
    it when the event carries one (events of the subject chains do; older events never had it). Events of the
    subject chains also give their hash version and chain position, which their hash covers."""
    decision = {
        "status": "granted" if event.granted else "withdrawn",
        "granted": event.granted,
        "scope": SCOPE_ALL_APPS if event.link_ref is None else SCOPE_THIS_APP,
    }
    if event.link_ref is not None:
        decision["exception_removed"] = event.exception_removed
    if event.expires_at is not None:
        decision["expires_at"] = _iso(event.expires_at)
    ledger = {"seq": event.seq, "scope": event.scope, "hash": event.hash, "prev_hash": event.prev_hash}
    if event.hash_version >= ConsentEvent.HASH_VERSION_SUBJECT_CHAIN:
        ledger.update(hash_version=event.hash_version, chain_seq=event.chain_seq)
    return {
        "schema": RECEIPT_SCHEMA,
        "version": RECEIPT_VERSION,
        "receipt_id": f"{settings.SITE_URL.rstrip('/')}/consent-ledger/{event.seq}",
        "event_id": event.seq,
        "controller": {"name": str(settings.PORTAL_NAME), "url": settings.SITE_URL},
        "subject": {"ref": str(event.subject_ref), "ref_type": "ledger-subject-ref"},
        "purpose": {
            "id": event.purpose_slug,
            "version": event.purpose_version,
            "title": version.title if version else None,
            "text_sha256": purpose_text_sha256(title=version.title, description=version.description)
            if version
            else None,
        },
        "decision": decision,
        "time": _iso(event.created_at),
        "method": {"channel": event.channel, "actor": event.actor},
        "ledger": ledger,
    }


def receipt_sign(*, payload: dict) -> str:
    """The compact JWS of a receipt payload, signed by the first RECEIPT_SIGNING_KEYS key."""
    key = receipt_signing_key()
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    header = {"alg": RECEIPT_ALG, "kid": key.kid, "typ": RECEIPT_TYP, "cty": "json"}
    return jws.serialize_compact(header, body, key, algorithms=[RECEIPT_ALG])


def receipts_for_subject(*, subject: User) -> list[Receipt]:
    """Proof: a signed receipt for every ledger event of the subject, newest first."""
    events = list(consent_history_for_subject(subject=subject))
    versions = {
        (v.purpose_id, v.version): v
        for v in PurposeVersion.objects.filter(purpose_id__in={e.purpose_id for e in events})
    }
    receipts = []
    for event in events:
        payload = receipt_payload(event=event, version=versions.get((event.purpose_id, event.purpose_version)))
        receipts.append(Receipt(event=event, payload=payload, jws=receipt_sign(payload=payload)))
    return receipts


def receipt_get(*, subject: User, event_id: int) -> Receipt:
    """Proof: the subject's receipt for one of their own events; ReceiptNotFound (404) for another's or none."""
    event = consent_history_for_subject(subject=subject).filter(seq=event_id).first()
    if event is None:
        raise ReceiptNotFound()
    version = PurposeVersion.objects.filter(purpose_id=event.purpose_id, version=event.purpose_version).first()
    payload = receipt_payload(event=event, version=version)
    return Receipt(event=event, payload=payload, jws=receipt_sign(payload=payload))
