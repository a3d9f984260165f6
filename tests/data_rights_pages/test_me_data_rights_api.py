"""/api/v1/me/exports/ and /api/v1/me/erasure/ (DESIGN.md): session auth with CSRF, problem-details errors."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.test import APIClient

from data_rights.models import DataRequest
from data_rights.services import export_build, export_request, subject_erase
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

EXPORTS = "/api/v1/me/exports/"
ERASURE = "/api/v1/me/erasure/"
PROBLEM = "application/problem+json"


def _nothing_changed(subject) -> None:
    subject.refresh_from_db()
    assert subject.is_active
    assert subject.has_usable_password()
    assert not DataRequest.objects.filter(kind=DataRequest.Kind.ERASURE).exists()


# --- exports ----------------------------------------------------------------------------------


def test_export_list_needs_a_session():
    response = APIClient().get(EXPORTS)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == PROBLEM


def test_export_post_answers_202_with_the_queued_export(me_api, subject):
    response = me_api.post(EXPORTS)

    body = response.json()
    assert response.status_code == HTTPStatus.ACCEPTED
    export = DataRequest.objects.get(subject=subject, kind=DataRequest.Kind.EXPORT)
    assert body["id"] == str(export.pk)
    assert body["status"] == "queued"
    assert body["download_url"] is None
    assert body["expires_at"] is None


def test_a_second_export_while_one_is_active_is_409_export_in_progress(me_api, subject):
    export_request(subject=subject)

    response = me_api.post(EXPORTS)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "export_in_progress"
    assert DataRequest.objects.filter(subject=subject).count() == 1


def test_export_post_needs_the_csrf_token(subject):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(subject)

    response = client.post(EXPORTS)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "csrf_failed"
    assert not DataRequest.objects.exists()


def test_export_list_has_the_contract_fields_and_a_download_url_once_ready(me_api, subject):
    ready = export_build(request_id=export_request(subject=subject).pk)

    rows = me_api.get(EXPORTS).json()["exports"]

    assert len(rows) == 1
    row = rows[0]
    assert {"id", "status", "download_url", "expires_at", "created_at", "size"} <= set(row)
    assert row["status"] == "ready"
    assert row["download_url"] == f"http://testserver/your-data/exports/{ready.pk}/download"
    assert row["expires_at"] is not None
    assert row["size"] == ready.archive_size


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ({"status": "running"}, "running"),
        ({"status": "failed"}, "failed"),
        ({"status": "expired"}, "expired"),
        ({"status": "ready", "archive_size": 5, "expires_at": timezone.now() - timedelta(seconds=1)}, "expired"),
    ],
)
def test_export_status_is_one_of_the_documented_values_without_a_link_unless_ready(me_api, subject, state, shown):
    export = export_request(subject=subject)
    DataRequest.objects.filter(pk=export.pk).update(**state)

    row = me_api.get(EXPORTS).json()["exports"][0]

    assert row["status"] == shown
    assert row["download_url"] is None


def test_export_list_shows_only_the_callers_exports_and_no_erasures(me_api, subject):
    export_request(subject=UserFactory())
    mine = export_request(subject=subject)
    DataRequest.objects.filter(pk=mine.pk).update(status=DataRequest.Status.FAILED)
    export_request(subject=subject)

    rows = me_api.get(EXPORTS).json()["exports"]

    assert len(rows) == 2
    assert all(DataRequest.objects.get(pk=r["id"]).subject == subject for r in rows)


# --- erasure ----------------------------------------------------------------------------------


def test_erasure_with_the_password_answers_202_with_request_id_and_status(me_api, subject, password):
    response = me_api.post(ERASURE, {"password": password}, format="json")

    erasure = DataRequest.objects.get(kind=DataRequest.Kind.ERASURE)
    assert response.status_code == HTTPStatus.ACCEPTED
    assert response.json() == {"request_id": str(erasure.pk), "status": "queued"}
    subject.refresh_from_db()
    assert not subject.is_active


def test_erasure_ends_the_session(me_api, subject, password):
    me_api.post(ERASURE, {"password": password}, format="json")

    assert me_api.get(EXPORTS).status_code == HTTPStatus.FORBIDDEN
    assert not any(str(s.get_decoded().get("_auth_user_id")) == str(subject.pk) for s in Session.objects.all())


def test_the_receipt_counts_the_session_the_erasure_ended(me_api, subject, password):
    response = me_api.post(ERASURE, {"password": password}, format="json")

    erasure = subject_erase(request_id=response.json()["request_id"])
    assert erasure.receipt["sessions"] == 1


def test_erasure_with_a_wrong_password_is_403_invalid_password_and_changes_nothing(me_api, subject):
    response = me_api.post(ERASURE, {"password": "not-my-password-1"}, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid_password"
    _nothing_changed(subject)
    assert me_api.get(EXPORTS).status_code == HTTPStatus.OK  # still signed in


@pytest.mark.parametrize("body", [{}, {"password": None}, ["password"]])
def test_erasure_without_a_password_is_400_and_changes_nothing(me_api, subject, body):
    response = me_api.post(ERASURE, body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid"
    _nothing_changed(subject)


def test_erasure_needs_the_csrf_token(subject, password):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(subject)

    response = client.post(ERASURE, {"password": password}, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "csrf_failed"
    _nothing_changed(subject)


def test_erasure_needs_a_session(subject, password):
    response = APIClient().post(ERASURE, {"password": password}, format="json")

    assert response.status_code == HTTPStatus.FORBIDDEN
    _nothing_changed(subject)


def test_the_schema_documents_both_operations(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/json"}).content.decode()

    for operation in ("me_exports_list", "me_exports_create", "me_erasure_create"):
        assert operation in schema
