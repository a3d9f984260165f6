"""DESIGN.md contract: Partner API v1 paths, field names, state values, error codes, and the webhook format.

Partners' code relies on these names; a change here is a breaking change for every partner.
"""

import base64
import io
import json
import re
import uuid
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from consents.services import consent_grant, consent_withdraw
from partners.api.permissions import PartnerRateThrottle
from partners.delivery import webhook_deliver
from partners.models import WebhookEvent
from partners.services import link_code_create
from tests.consents.factories import PurposeFactory, PurposeVersionFactory
from tests.partners.conftest import partner_api_client, running_receiver, token_request
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

SCOPES = {
    "consents:read",
    "uploads:write",
    "uploads:read",
    "links:write",
    "events:read",
    "appearances:write",
    "appearances:read",
}
PURPOSE_KEYS = {"slug", "title", "description", "version", "retention_days"}
LINK_KEYS = {"subject_id", "linked_at"}
SUBJECT_CONSENTS_KEYS = {"subject_id", "consents", "restrictions"}
CONSENT_ROW_KEYS = {"purpose", "granted", "state", "purpose_version", "changed_at", "expires_at", "scope"}
CHECK_ROW_KEYS = {"subject_id", "purpose", "granted", "state", "scope"}
STATES = {"granted", "withdrawn", "not_asked", "reconsent_required"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}
WEBHOOK_TYPES = {
    "consent.granted",
    "consent.withdrawn",
    "upload.erased",
    "subject.erased",
    "subject.unlinked",
    "restrictions.changed",
    "appearance.takedown_requested",
    "sighting.removal_requested",
}
WEBHOOK_BODY_KEYS = {"type", "timestamp", "data"}
PROBLEM = "application/problem+json"


@pytest.fixture
def api():
    return partner_api_client(PartnerFactory())


@pytest.fixture
def link(api, subject):
    return LinkFactory(partner=api.partner, subject=subject)


def _assert_problem(response, status: HTTPStatus, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert set(response.json()) >= PROBLEM_KEYS
    assert response.json()["status"] == status
    assert response.json()["code"] == code


# --- Auth ---------------------------------------------------------------------------------------
def test_tokens_come_from_o_token_with_client_credentials(client):
    partner = PartnerFactory()

    response = token_request(client, client_id=partner.client_id, client_secret=partner.client_secret)

    assert response.status_code == HTTPStatus.OK
    assert {"access_token", "token_type", "expires_in", "scope"} <= set(response.json())


def test_the_five_scopes_are_the_contract_names(client):
    partner = PartnerFactory()

    granted = token_request(client, client_id=partner.client_id, client_secret=partner.client_secret).json()["scope"]

    assert set(granted.split()) == SCOPES


def test_create_partner_prints_exactly_the_contract_keys():
    out = io.StringIO()
    call_command("create_partner", "Contract app", stdout=out)

    printed = json.loads(out.getvalue())

    assert set(printed) == {"client_id", "client_secret", "webhook_secret"}
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+=*", printed["webhook_secret"])
    base64.b64decode(printed["webhook_secret"].removeprefix("whsec_"), validate=True)


# --- Paths and fields ------------------------------------------------------------------------------
def test_get_purposes_has_the_contract_fields(api):
    PurposeFactory()

    response = api.get("/api/v1/purposes/")

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == {"purposes"}
    assert set(response.json()["purposes"][0]) == PURPOSE_KEYS


def test_post_links_answers_201_with_subject_id_and_linked_at(api, subject):
    _, code = link_code_create(subject=subject)

    response = api.post("/api/v1/links/", {"code": code}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    assert set(response.json()) == LINK_KEYS
    uuid.UUID(response.json()["subject_id"])


def test_subject_consents_have_the_contract_fields_and_four_states(api, link):
    purposes = {slug: PurposeFactory(slug=slug) for slug in ["p-a", "p-b", "p-c", "p-d"]}
    consent_grant(subject=link.subject, purpose_slug="p-a", actor=link.subject)
    consent_withdraw(subject=link.subject, purpose_slug="p-b", actor=link.subject)
    consent_grant(subject=link.subject, purpose_slug="p-d", actor=link.subject)
    PurposeVersionFactory(purpose=purposes["p-d"], requires_reconsent=True)

    response = api.get(f"/api/v1/subjects/{link.pairwise_id}/consents/")

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == SUBJECT_CONSENTS_KEYS
    rows = response.json()["consents"]
    assert all(set(row) == CONSENT_ROW_KEYS for row in rows)
    assert {row["state"] for row in rows} == STATES
    assert [row["purpose"] for row in rows if row["granted"]] == ["p-a"]


def test_consent_checks_have_the_contract_fields(api, link):
    PurposeFactory(slug="avatar")

    response = api.post(
        "/api/v1/consent-checks/",
        {"subject_ids": [str(link.pairwise_id), str(uuid.uuid4())], "purposes": ["avatar"]},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == {"results"}
    results = response.json()["results"]
    assert all(set(row) == CHECK_ROW_KEYS for row in results)
    assert [row["state"] for row in results] == ["not_asked", "unknown_subject"]


def test_the_event_feed_has_events_next_cursor_and_has_more(api, link):
    WebhookEventFactory(link=link)

    response = api.get("/api/v1/events/?after=0")

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == {"events", "next_cursor", "has_more"}
    assert set(response.json()["events"][0]) >= WEBHOOK_BODY_KEYS


# --- Error codes -------------------------------------------------------------------------------------
def test_no_token_is_401_problem_details():
    _assert_problem(APIClient().get("/api/v1/purposes/"), HTTPStatus.UNAUTHORIZED, "not_authenticated")


def test_a_missing_scope_is_403_insufficient_scope():
    api = partner_api_client(PartnerFactory(scopes=["links:write"]))

    _assert_problem(api.get("/api/v1/purposes/"), HTTPStatus.FORBIDDEN, "insufficient_scope")


def test_an_unknown_subject_is_404_not_found(api):
    _assert_problem(api.get(f"/api/v1/subjects/{uuid.uuid4()}/consents/"), HTTPStatus.NOT_FOUND, "not_found")


def test_a_bad_link_code_is_400_invalid_link_code(api):
    _assert_problem(
        api.post("/api/v1/links/", {"code": "ZZZZ-ZZZZ"}, format="json"), HTTPStatus.BAD_REQUEST, "invalid_link_code"
    )


def test_an_unknown_purpose_is_400_unknown_purpose(api, link):
    response = api.post(
        "/api/v1/consent-checks/", {"subject_ids": [str(link.pairwise_id)], "purposes": ["nope"]}, format="json"
    )

    _assert_problem(response, HTTPStatus.BAD_REQUEST, "unknown_purpose")


def test_an_invalid_body_is_400_invalid_with_field_errors(api):
    response = api.post("/api/v1/consent-checks/", {"purposes": ["avatar"]}, format="json")

    _assert_problem(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert "subject_ids" in response.json()["errors"]


def test_a_throttled_partner_gets_429_throttled(api, monkeypatch):
    monkeypatch.setattr(PartnerRateThrottle, "THROTTLE_RATES", {"partner": "1/min", "partner_bulk": "1/min"})
    api.get("/api/v1/purposes/")

    response = api.get("/api/v1/purposes/")

    _assert_problem(response, HTTPStatus.TOO_MANY_REQUESTS, "throttled")
    assert response["Retry-After"].isdigit()


def test_an_unknown_api_path_is_404_problem_details(api):
    _assert_problem(api.get("/api/v1/no-such-thing/"), HTTPStatus.NOT_FOUND, "not_found")


# --- Webhooks --------------------------------------------------------------------------------------
def test_the_webhook_event_types_are_the_contract_names():
    assert set(WebhookEvent.TYPES) == WEBHOOK_TYPES


@pytest.mark.parametrize("doc", ["contracts.md", "partner-quickstart.md"])
def test_every_webhook_type_is_in_the_partners_table_of_types(doc):
    text = (Path(__file__).resolve().parents[2] / "docs" / doc).read_text()
    listed = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", text, flags=re.MULTILINE))

    assert listed >= WEBHOOK_TYPES


@pytest.fixture
def webhook_receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with running_receiver() as receiver:
        yield receiver


def test_a_webhook_is_a_standard_webhook_with_the_contract_body(subject, webhook_receiver):
    partner = PartnerFactory(webhook_url=webhook_receiver.url)
    link = LinkFactory(partner=partner, subject=subject)
    PurposeFactory(slug="avatar")
    consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)

    webhook_deliver(event_id=WebhookEvent.objects.get(link=link).pk)

    request = webhook_receiver.requests[0]
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(request.headers)
    assert re.fullmatch(r"(v1,[A-Za-z0-9+/]+=*\s?)+", request.headers["webhook-signature"])
    body = Webhook(partner.webhook_secret).verify(request.body, request.headers)
    assert set(body) == WEBHOOK_BODY_KEYS
    assert body["type"] == "consent.withdrawn"
    assert body["data"]["subject_id"] == str(link.pairwise_id)
    assert body["data"]["purpose"] == "avatar"
