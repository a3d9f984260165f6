"""The subject's own sightings API, `/api/v1/me/sightings/`: the contract fields, "not me", "remove me", 404 for
anyone else's, 409 once the photo is gone, and how the schema documents them."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from find_me.models import Sighting
from find_me.selectors import sighting_similarity
from media_vault.services import upload_erase
from partners.models import WebhookEvent
from tests.find_me.conftest_pages import *  # noqa: F403 (its fixtures)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/me/sightings/"
ME_KEYS = {"id", "app", "found_at", "similarity", "status", "removal_due_at", "preview_url"}
PROBLEM = "application/problem+json"


def _signed_in(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/consents/")
    client.credentials(HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


def _assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code


def test_the_list_answers_exactly_the_contract_fields(me_api, sighted):
    sighting = sighted()

    response = me_api.get(LIST)

    assert response.status_code == HTTPStatus.OK
    (row,) = response.json()["sightings"]
    assert set(row) == ME_KEYS
    assert row["id"] == str(sighting.pk)
    assert row["app"] == "Studio B"
    assert row["similarity"] == sighting_similarity(sighting=sighting) and row["similarity"] in {
        "very_likely",
        "likely",
    }
    assert row["status"] == "found" and row["removal_due_at"] is None
    assert row["preview_url"] == f"http://testserver/found-you/{sighting.pk}/preview.jpg"
    assert me_api.get(row["preview_url"])["Content-Type"] == "image/jpeg"  # the page's preview, for its subject


def test_the_list_is_newest_first_with_every_status_and_null_where_nothing_applies(me_api, one_of_each):
    rows = me_api.get(LIST).json()["sightings"]

    by_id = {row["id"]: row for row in rows}
    assert [row["id"] for row in rows] == [
        str(s.pk) for s in sorted(one_of_each.values(), key=lambda s: s.found_at, reverse=True)
    ]
    assert {name: by_id[str(s.pk)]["status"] for name, s in one_of_each.items()} == {
        "found": "found",
        "not_me": "not_me",
        "removal_requested": "removal_requested",
        "overdue": "overdue",
        "removed": "removed",
        "in_portal": "found",
    }
    assert by_id[str(one_of_each["in_portal"].pk)]["app"] is None
    assert by_id[str(one_of_each["removed"].pk)]["preview_url"] is None
    assert by_id[str(one_of_each["removal_requested"].pk)]["removal_due_at"] is not None


def test_the_list_holds_only_the_signed_in_persons_sightings(sighted, other_subject):
    sighted()

    assert _signed_in(other_subject).get(LIST).json() == {"sightings": []}


def test_not_me_answers_the_sighting_as_not_me(me_api, sighted):
    sighting = sighted()

    response = me_api.post(f"{LIST}{sighting.pk}/not-me/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["id"] == str(sighting.pk) and response.json()["status"] == "not_me"
    assert set(response.json()) == ME_KEYS
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.NOT_ME


def test_remove_answers_removal_requested_due_in_48_hours_and_tells_the_app(me_api, sighted, studio):
    sighting = sighted()
    before = timezone.now()

    response = me_api.post(f"{LIST}{sighting.pk}/remove/")

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "removal_requested"
    sighting.refresh_from_db()
    assert before + timedelta(hours=48) <= sighting.removal_due_at <= timezone.now() + timedelta(hours=48)
    assert body["removal_due_at"] == sighting.removal_due_at.isoformat().replace("+00:00", "Z")
    assert WebhookEvent.objects.filter(partner=studio, event_type="sighting.removal_requested").count() == 1


@pytest.mark.parametrize("answer", ["not-me", "remove"])
def test_an_answer_once_the_photo_is_gone_is_409_sighting_removed(me_api, sighted, answer):
    sighting = sighted()
    upload_erase(upload_id=sighting.upload_ref)

    _assert_problem(me_api.post(f"{LIST}{sighting.pk}/{answer}/"), HTTPStatus.CONFLICT, "sighting_removed")
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FOUND


@pytest.mark.parametrize("answer", ["not-me", "remove"])
def test_another_persons_or_an_unknown_sighting_answers_404_alike(sighted, other_subject, answer):
    sighting = sighted()
    other = _signed_in(other_subject)

    _assert_problem(other.post(f"{LIST}{sighting.pk}/{answer}/"), HTTPStatus.NOT_FOUND, "not_found")
    _assert_problem(
        other.post(f"{LIST}00000000-0000-4000-8000-000000000000/{answer}/"), HTTPStatus.NOT_FOUND, "not_found"
    )
    _assert_problem(other.post(f"{LIST}not-a-uuid/{answer}/"), HTTPStatus.NOT_FOUND, "not_found")
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FOUND


def test_without_a_session_the_api_answers_403(sighted):
    sighting = sighted()
    anonymous = APIClient()

    _assert_problem(anonymous.get(LIST), HTTPStatus.FORBIDDEN, "not_authenticated")
    _assert_problem(anonymous.post(f"{LIST}{sighting.pk}/remove/"), HTTPStatus.FORBIDDEN, "not_authenticated")


def test_an_answer_without_the_csrf_token_answers_403_and_changes_nothing(subject, sighted):
    sighting = sighted()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(subject)

    _assert_problem(client.post(f"{LIST}{sighting.pk}/remove/"), HTTPStatus.FORBIDDEN, "csrf_failed")
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FOUND


# --- The schema -------------------------------------------------------------------------------------------------------

OPERATIONS = {  # 406: DRF's content negotiation, for an Accept header that names no JSON
    ("get", "/api/v1/me/sightings/"): ("me_sightings_list", {"200", "403", "406"}),
    ("post", "/api/v1/me/sightings/{sighting_id}/not-me/"): (
        "me_sighting_not_me",
        {"200", "403", "404", "406", "409"},
    ),
    ("post", "/api/v1/me/sightings/{sighting_id}/remove/"): (
        "me_sighting_remove",
        {"200", "403", "404", "406", "409"},
    ),
}


@pytest.fixture
def schema(client) -> dict:
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_each_operation_documents_every_answer_with_its_media_type(schema, method, path):
    operation_id, statuses = OPERATIONS[(method, path)]
    operation = schema["paths"][path][method]

    assert operation["operationId"] == operation_id
    assert operation["tags"] == ["me"] and operation["security"] == [{"cookieAuth": []}]
    assert set(operation["responses"]) == statuses
    for status, response in operation["responses"].items():
        assert list(response["content"]) == ["application/json" if status == "200" else PROBLEM], status
