"""Signed consent receipts in the export (Proof): receipts.json holds every decision's JWS."""

import json

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from consents.receipt_keys import receipt_jwks
from consents.services import consent_grant, consent_withdraw
from data_rights.services import export_build, export_request
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db


def test_receipts_json_holds_a_verifiable_receipt_for_every_decision(subject, archive_open):
    PurposeFactory(slug="avatar")
    events = [
        consent_grant(subject=subject, purpose_slug="avatar", actor=subject),
        consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject),
    ]

    archive = archive_open(export_build(request_id=export_request(subject=subject).pk))
    rows = json.loads(archive.read("receipts.json"))

    assert [(r["event_id"], r["decision"]) for r in rows] == [(events[0].seq, "granted"), (events[1].seq, "withdrawn")]
    keys = KeySet.import_key_set(receipt_jwks())
    payloads = [json.loads(jws.deserialize_compact(r["jws"], keys, algorithms=["EdDSA"]).payload) for r in rows]
    assert [p["ledger"]["hash"] for p in payloads] == [e.hash for e in events]
    assert "<code>receipts.json</code>" in archive.read("index.html").decode()
