"""DESIGN.md contract: GET/PUT /api/v1/me/consents/ paths, field names and state values.

Scripts outside the project rely on these names; a change here is a breaking change.
"""

import json
from http import HTTPStatus

import pytest

from consents.services import consent_grant, consent_withdraw
from tests.consents.factories import PurposeFactory, PurposeVersionFactory

pytestmark = pytest.mark.django_db

LIST_PATH = "/api/v1/me/consents/"
UPDATE_PATH = "/api/v1/me/consents/{purpose}/"
LIST_KEYS = {"consents"}
ROW_KEYS = {"apps", "purpose", "title", "granted", "state", "purpose_version", "changed_at", "expires_at"}
STATES = {"granted", "withdrawn", "not_asked", "reconsent_required"}
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


@pytest.fixture
def one_purpose_in_each_state(subject):
    granted, withdrawn, _not_asked, reconsent = (PurposeFactory(slug=s) for s in ["p-a", "p-b", "p-c", "p-d"])
    consent_grant(subject=subject, purpose_slug=granted.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=withdrawn.slug, actor=subject)
    consent_grant(subject=subject, purpose_slug=reconsent.slug, actor=subject)
    PurposeVersionFactory(purpose=reconsent, requires_reconsent=True)
    return {"p-a": "granted", "p-b": "withdrawn", "p-c": "not_asked", "p-d": "reconsent_required"}


def test_list_answers_an_object_with_only_a_consents_member(me_api):
    PurposeFactory()

    response = me_api.get(LIST_PATH)

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == LIST_KEYS


def test_list_rows_have_exactly_the_contract_fields(me_api, one_purpose_in_each_state):
    rows = me_api.get(LIST_PATH).json()["consents"]

    assert len(rows) == 4
    for row in rows:
        assert set(row) == ROW_KEYS


def test_list_uses_the_four_contract_state_names(me_api, one_purpose_in_each_state):
    rows = me_api.get(LIST_PATH).json()["consents"]

    assert {row["purpose"]: row["state"] for row in rows} == one_purpose_in_each_state
    assert {row["state"] for row in rows} == STATES


def test_granted_is_true_only_for_the_granted_state(me_api, one_purpose_in_each_state):
    rows = me_api.get(LIST_PATH).json()["consents"]

    for row in rows:
        assert row["granted"] is (row["state"] == "granted")


def test_field_types_follow_the_contract(me_api, subject, one_purpose_in_each_state):
    rows = {row["purpose"]: row for row in me_api.get(LIST_PATH).json()["consents"]}

    decided = rows["p-a"]
    assert isinstance(decided["purpose"], str)
    assert isinstance(decided["title"], str)
    assert isinstance(decided["granted"], bool)
    assert isinstance(decided["purpose_version"], int)
    assert isinstance(decided["changed_at"], str)
    assert (rows["p-c"]["purpose_version"], rows["p-c"]["changed_at"]) == (None, None)


def test_put_answers_200_with_one_row_of_the_contract_fields(me_api):
    PurposeFactory(slug="cameos")

    response = me_api.put(
        UPDATE_PATH.format(purpose="cameos"), data=json.dumps({"granted": True}), content_type="application/json"
    )

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == ROW_KEYS | {"uploads_to_erase"}  # the row, and what the decision erases
    assert (response.json()["purpose"], response.json()["state"]) == ("cameos", "granted")


def test_put_on_unknown_purpose_answers_a_404_problem_with_code_not_found(me_api):
    response = me_api.put(
        UPDATE_PATH.format(purpose="nope"), data=json.dumps({"granted": True}), content_type="application/json"
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("application/problem+json")
    assert set(response.json()) >= PROBLEM_KEYS
    assert response.json()["code"] == "not_found"


def test_openapi_schema_documents_both_paths(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert "get" in schema["paths"][LIST_PATH]
    assert "put" in schema["paths"][UPDATE_PATH]


def test_openapi_schema_documents_the_put_body_as_granted_and_an_optional_expiry(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    ref = schema["paths"][UPDATE_PATH]["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert set(body["properties"]) == {"granted", "expires_at"}
    assert body["properties"]["granted"] == {"type": "boolean"}
    assert body["properties"]["expires_at"]["format"] == "date-time"
    assert body["required"] == ["granted"]


def test_openapi_schema_documents_the_row_fields_and_states(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]

    ref = schema["paths"][UPDATE_PATH]["put"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    row = components[ref.rsplit("/", 1)[-1]]
    assert set(row["properties"]) == ROW_KEYS | {"uploads_to_erase"}
    state_enum = components[row["properties"]["state"]["$ref"].rsplit("/", 1)[-1]]
    assert set(state_enum["enum"]) == STATES


def test_withdrawal_impact_answers_the_three_members_of_the_contract(me_api):
    PurposeFactory(slug="cameos")

    response = me_api.get("/api/v1/me/consents/cameos/withdrawal-impact/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"uploads_to_erase": 0, "by_app": [], "appearances_to_take_down": 0}


def test_withdrawal_impact_of_an_unknown_purpose_is_a_404_problem(me_api):
    response = me_api.get("/api/v1/me/consents/no-such-purpose/withdrawal-impact/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
