"""/api/v1/me/receipts/, the consent page's receipt downloads, and /.well-known/jwks.json (Proof)."""

import json
from http import HTTPStatus

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from consents.services import consent_grant, consent_withdraw
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _verify(token: str, jwks: dict) -> dict:
    return json.loads(jws.deserialize_compact(token, KeySet.import_key_set(jwks), algorithms=["EdDSA"]).payload)


@pytest.fixture
def decisions(subject):
    PurposeFactory(slug="avatar", title="Avatars")
    return [
        consent_grant(subject=subject, purpose_slug="avatar", actor=subject),
        consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject),
    ]


def test_the_list_has_one_verifiable_receipt_per_decision_newest_first(me_api, client, decisions):
    response = me_api.get("/api/v1/me/receipts/")
    jwks = client.get("/.well-known/jwks.json").json()

    assert response.status_code == HTTPStatus.OK
    rows = response.json()["receipts"]
    assert [(r["event_id"], r["purpose"], r["decision"], r["scope"]) for r in rows] == [
        (decisions[1].seq, "avatar", "withdrawn", "all_apps"),
        (decisions[0].seq, "avatar", "granted", "all_apps"),
    ]
    assert [_verify(r["jws"], jwks)["event_id"] for r in rows] == [decisions[1].seq, decisions[0].seq]


def test_one_receipt_answers_application_jose_with_the_jws_as_body(me_api, client, decisions):
    response = me_api.get(f"/api/v1/me/receipts/{decisions[0].seq}", HTTP_ACCEPT="application/jose")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/jose"
    payload = _verify(response.content.decode(), client.get("/.well-known/jwks.json").json())
    assert payload["decision"]["status"] == "granted"
    assert payload["ledger"]["hash"] == decisions[0].hash


@pytest.mark.parametrize("accept", ["application/json", "application/jose"])
def test_another_persons_or_an_unknown_receipt_answers_404_problem(me_api, other_subject, accept):
    PurposeFactory(slug="avatar")
    theirs = consent_grant(subject=other_subject, purpose_slug="avatar", actor=other_subject)

    for event_id in (theirs.seq, 999999, "abc"):
        response = me_api.get(f"/api/v1/me/receipts/{event_id}", HTTP_ACCEPT=accept)
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response["Content-Type"].startswith(PROBLEM)
        assert json.loads(response.content)["code"] == "not_found"


def test_receipts_need_a_signed_in_person(client, decisions):
    assert client.get("/api/v1/me/receipts/").status_code == HTTPStatus.FORBIDDEN
    assert client.get(f"/api/v1/me/receipts/{decisions[0].seq}").status_code == HTTPStatus.FORBIDDEN


def test_each_history_row_links_its_receipt_download(subject_client, decisions):
    html = subject_client.get("/consents/").content.decode()

    for event in decisions:
        assert (
            f'href="/consents/receipts/{event.seq}/" download>Receipt<span class="visually-hidden"> for Avatars' in html
        )


def test_the_page_download_is_the_signed_receipt_as_an_attachment(subject_client, client, decisions):
    response = subject_client.get(f"/consents/receipts/{decisions[1].seq}/")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"] == f'attachment; filename="avatar-{decisions[1].seq}.jws"'
    payload = _verify(response.content.decode(), client.get("/.well-known/jwks.json").json())
    assert payload["event_id"] == decisions[1].seq


def test_the_page_download_of_another_persons_receipt_is_404(subject_client, other_subject):
    PurposeFactory(slug="avatar")
    theirs = consent_grant(subject=other_subject, purpose_slug="avatar", actor=other_subject)

    assert subject_client.get(f"/consents/receipts/{theirs.seq}/").status_code == HTTPStatus.NOT_FOUND


def test_the_jwks_publishes_every_key_public_only_and_is_cacheable(client, settings):
    settings.RECEIPT_SIGNING_KEYS = [
        "new:" + "A" * 43 + "=",
        settings.RECEIPT_SIGNING_KEYS[0],
    ]

    response = client.get("/.well-known/jwks.json")

    assert response.status_code == HTTPStatus.OK
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    keys = response.json()["keys"]
    assert [(k["kid"], k["kty"], k["crv"], k["use"], k["alg"]) for k in keys] == [
        ("new", "OKP", "Ed25519", "sig", "EdDSA"),
        ("test-1", "OKP", "Ed25519", "sig", "EdDSA"),
    ]
    assert all("d" not in k for k in keys)
