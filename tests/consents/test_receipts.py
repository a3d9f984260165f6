"""consents.receipts and consents.receipt_keys: signed consent receipts (Proof)."""

import base64
import hashlib
import json
import secrets
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from consents.exceptions import ReceiptNotFound
from consents.ledger import event_hash
from consents.receipt_keys import receipt_jwks, receipt_public_keys, receipt_signing_key
from consents.receipts import receipt_get, receipts_for_subject
from consents.services import consent_decide, consent_grant, consent_withdraw
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db


def _key_entry(kid: str) -> str:
    return f"{kid}:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _verify(token: str, jwks: dict):
    return jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["EdDSA"])


def test_a_receipt_verifies_with_the_published_key_and_states_the_event(subject, settings):
    settings.PORTAL_NAME = "Test portal"
    purpose = PurposeFactory(slug="avatar", title="Avatars", description="We make an avatar.")
    event = consent_grant(subject=subject, purpose_slug="avatar", actor=subject)

    receipt = receipt_get(subject=subject, event_id=event.seq)
    verified = _verify(receipt.jws, receipt_jwks())
    payload = json.loads(verified.payload)

    assert verified.headers() == {"alg": "EdDSA", "kid": "test-1", "typ": "consent-receipt+jws", "cty": "json"}
    assert payload["schema"] == "ISO/IEC TS 27560:2023"
    assert payload["event_id"] == event.seq
    assert payload["controller"] == {"name": "Test portal", "url": settings.SITE_URL}
    assert payload["subject"]["ref"] == str(subject.ledger_ref)
    assert subject.email not in verified.payload.decode()
    assert payload["purpose"] == {
        "id": "avatar",
        "version": purpose.version,
        "title": "Avatars",
        "text_sha256": hashlib.sha256(b"Avatars\n\nWe make an avatar.").hexdigest(),
    }
    assert payload["decision"] == {"status": "granted", "granted": True, "scope": "all_apps"}
    assert payload["method"] == {"channel": "web", "actor": "subject"}
    assert payload["ledger"] == {
        "seq": event.seq,
        "scope": "all_apps",
        "hash": event.hash,
        "prev_hash": event.prev_hash,
        "hash_version": 2,
        "chain_seq": 1,
    }


@pytest.mark.parametrize("expires", [False, True], ids=["open-ended", "expiring-grant"])
def test_the_ledger_hash_can_be_recomputed_from_the_receipt_alone(subject, expires):
    PurposeFactory(slug="avatar")
    consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)
    ends = timezone.now() + timedelta(days=30) if expires else None
    event = consent_decide(subject=subject, purpose_slug="avatar", granted=True, actor=subject, expires_at=ends)
    payload = receipt_get(subject=subject, event_id=event.seq).payload
    expires_at = payload["decision"].get("expires_at")

    recomputed = event_hash(
        seq=payload["ledger"]["seq"],
        subject_ref=payload["subject"]["ref"],
        purpose_slug=payload["purpose"]["id"],
        purpose_version=payload["purpose"]["version"],
        granted=payload["decision"]["granted"],
        channel=payload["method"]["channel"],
        actor=payload["method"]["actor"],
        created_at=timezone.datetime.fromisoformat(payload["time"]),
        prev_hash=payload["ledger"]["prev_hash"],
        hash_version=payload["ledger"]["hash_version"],
        chain_seq=payload["ledger"]["chain_seq"],
        expires_at=timezone.datetime.fromisoformat(expires_at) if expires_at else None,
    )

    assert payload["ledger"]["chain_seq"] == 2
    assert (expires_at is not None) is expires
    assert recomputed == payload["ledger"]["hash"] == event.hash


def test_a_receipt_never_changes_once_made(subject):
    # Only what the event fixes is signed: a later decision (which overwrites the state row's expiry) leaves the
    # earlier receipt byte for byte as it was.
    PurposeFactory(slug="avatar")
    ends = timezone.now() + timedelta(days=30)
    event = consent_decide(subject=subject, purpose_slug="avatar", granted=True, actor=subject, expires_at=ends)
    before = receipt_get(subject=subject, event_id=event.seq).jws

    consent_decide(subject=subject, purpose_slug="avatar", granted=False, actor=subject)

    assert receipt_get(subject=subject, event_id=event.seq).jws == before
    assert receipt_get(subject=subject, event_id=event.seq).payload["decision"]["expires_at"] == ends.isoformat(
        timespec="microseconds"
    )


def test_a_changed_payload_fails_verification(subject):
    PurposeFactory(slug="avatar")
    event = consent_grant(subject=subject, purpose_slug="avatar", actor=subject)
    header, body, signature = receipt_get(subject=subject, event_id=event.seq).jws.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["decision"]["status"] = "withdrawn"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()

    with pytest.raises(BadSignatureError):
        _verify(f"{header}.{forged}.{signature}", receipt_jwks())


def test_every_event_of_the_subject_has_a_receipt_and_no_one_elses(subject, other_subject):
    PurposeFactory(slug="avatar")
    mine = [
        consent_grant(subject=subject, purpose_slug="avatar", actor=subject),
        consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject),
    ]
    theirs = consent_grant(subject=other_subject, purpose_slug="avatar", actor=other_subject)

    receipts = receipts_for_subject(subject=subject)

    assert [r.event_id for r in receipts] == [mine[1].seq, mine[0].seq]
    assert [json.loads(_verify(r.jws, receipt_jwks()).payload)["event_id"] for r in receipts] == [
        mine[1].seq,
        mine[0].seq,
    ]
    with pytest.raises(ReceiptNotFound):
        receipt_get(subject=subject, event_id=theirs.seq)


def test_after_a_rotation_the_first_key_signs_and_an_old_receipt_still_verifies(subject, settings):
    PurposeFactory(slug="avatar")
    event = consent_grant(subject=subject, purpose_slug="avatar", actor=subject)
    old_key = settings.RECEIPT_SIGNING_KEYS[0]
    old_receipt = receipt_get(subject=subject, event_id=event.seq).jws

    settings.RECEIPT_SIGNING_KEYS = [_key_entry("test-2"), old_key]
    new_receipt = receipt_get(subject=subject, event_id=event.seq).jws

    assert [key["kid"] for key in receipt_jwks()["keys"]] == ["test-2", "test-1"]
    assert _verify(new_receipt, receipt_jwks()).headers()["kid"] == "test-2"
    assert _verify(old_receipt, receipt_jwks()).headers()["kid"] == "test-1"


def test_the_jwks_publishes_public_keys_only(settings):
    settings.RECEIPT_SIGNING_KEYS = [_key_entry("a"), _key_entry("b")]

    keys = receipt_jwks()["keys"]

    assert [{k: key[k] for k in ("kid", "kty", "crv", "use", "alg")} for key in keys] == [
        {"kid": kid, "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA"} for kid in ("a", "b")
    ]
    assert all("d" not in key for key in keys)
    assert receipt_public_keys().keys[0].is_private is False
    assert receipt_signing_key().kid == "a"


@pytest.mark.parametrize("entry", ["no-colon", "k:" + base64.b64encode(b"short").decode(), "k:not base64!"])
def test_a_malformed_key_is_refused(settings, entry):
    settings.RECEIPT_SIGNING_KEYS = [entry]

    with pytest.raises(ImproperlyConfigured):
        receipt_signing_key()
