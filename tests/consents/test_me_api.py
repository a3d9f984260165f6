"""/api/v1/me/consents/: the subject's own consent API (session auth with CSRF, problem details)."""

import json
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from consents.models import ConsentEvent, ConsentState
from consents.selectors import consent_status_get
from consents.services import consent_grant, consent_withdraw
from tests.consents.factories import PurposeFactory, PurposeVersionFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
LIST_URL = "/api/v1/me/consents/"


def _url(slug: str) -> str:
    return f"/api/v1/me/consents/{slug}/"


def _put_json(client, slug: str, body) -> object:
    return client.put(_url(slug), data=json.dumps(body), content_type="application/json")


def _assert_problem(response, *, status: HTTPStatus, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith(PROBLEM)
    body = json.loads(response.content)
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    return body


@pytest.fixture
def purpose(db):
    return PurposeFactory(slug="cameos", title="Let other people use my likeness")


# --- GET ---------------------------------------------------------------------------------------
def test_list_has_one_row_per_active_purpose_in_page_order(me_api):
    PurposeFactory(slug="second", position=2)
    PurposeFactory(slug="first", position=1)

    response = me_api.get(LIST_URL)

    assert response.status_code == HTTPStatus.OK
    assert [row["purpose"] for row in response.json()["consents"]] == ["first", "second"]


def test_list_omits_inactive_purposes(me_api, subject):
    active = PurposeFactory()
    inactive = PurposeFactory(active=False)

    response = me_api.get(LIST_URL)

    slugs = [row["purpose"] for row in response.json()["consents"]]
    assert slugs == [active.slug]
    assert inactive.slug not in slugs


def test_list_row_has_the_contract_fields(me_api, subject, purpose):
    event = consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    response = me_api.get(LIST_URL)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/json")
    [row] = response.json()["consents"]
    assert row["purpose"] == "cameos"
    assert row["title"] == "Let other people use my likeness"
    assert row["granted"] is True
    assert row["state"] == "granted"
    assert row["purpose_version"] == 1
    assert datetime.fromisoformat(row["changed_at"]) == event.created_at


def test_list_shows_never_decided_purposes_as_not_asked(me_api, purpose):
    [row] = me_api.get(LIST_URL).json()["consents"]

    assert (row["state"], row["granted"], row["purpose_version"], row["changed_at"]) == (
        "not_asked",
        False,
        None,
        None,
    )


def test_list_shows_withdrawn_purposes_as_withdrawn(me_api, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    [row] = me_api.get(LIST_URL).json()["consents"]

    assert (row["state"], row["granted"]) == ("withdrawn", False)


def test_list_shows_grants_of_an_outdated_version_as_reconsent_required(me_api, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    PurposeVersionFactory(purpose=purpose, requires_reconsent=True)

    [row] = me_api.get(LIST_URL).json()["consents"]

    assert (row["state"], row["granted"], row["purpose_version"]) == ("reconsent_required", False, 1)


def test_list_shows_only_the_callers_own_decisions(me_api, other_subject, purpose):
    consent_grant(subject=other_subject, purpose_slug=purpose.slug, actor=other_subject)

    [row] = me_api.get(LIST_URL).json()["consents"]

    assert row["state"] == "not_asked"


# --- PUT ---------------------------------------------------------------------------------------
def test_put_granted_true_records_a_grant_and_returns_the_row(me_api, subject, purpose):
    response = _put_json(me_api, purpose.slug, {"granted": True})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["purpose"] == "cameos"
    assert response.json()["state"] == "granted"
    assert response.json()["granted"] is True
    assert response.json()["purpose_version"] == 1
    assert consent_status_get(subject=subject, purpose=purpose).granted is True


def test_put_granted_false_withdraws_at_once(me_api, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    response = _put_json(me_api, purpose.slug, {"granted": False})

    assert response.status_code == HTTPStatus.OK
    assert (response.json()["state"], response.json()["granted"]) == ("withdrawn", False)
    assert consent_status_get(subject=subject, purpose=purpose).state == "withdrawn"


def test_put_returns_the_same_row_as_the_list(me_api, purpose):
    expires_at = (timezone.now() + timedelta(days=30)).isoformat()
    put_row = _put_json(me_api, purpose.slug, {"granted": True, "expires_at": expires_at}).json()

    [list_row] = me_api.get(LIST_URL).json()["consents"]

    assert put_row == {**list_row, "uploads_to_erase": 0}  # the row, plus what the decision erases
    assert put_row["expires_at"] is not None


def test_put_is_recorded_on_the_api_channel_by_the_subject(me_api, subject, purpose):
    _put_json(me_api, purpose.slug, {"granted": True})

    event = ConsentEvent.objects.get(subject=subject)
    assert (event.channel, event.actor, event.granted) == ("api", "subject", True)


def test_put_after_reconsent_version_grants_the_new_version(me_api, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    PurposeVersionFactory(purpose=purpose, requires_reconsent=True)

    response = _put_json(me_api, purpose.slug, {"granted": True})

    assert (response.json()["state"], response.json()["purpose_version"]) == ("granted", 2)


def test_put_by_a_second_subject_never_changes_the_first_subjects_state(me_api, subject, other_subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    other_client = APIClient()
    other_client.force_login(other_subject)

    response = _put_json(other_client, purpose.slug, {"granted": False})

    assert response.status_code == HTTPStatus.OK
    assert consent_status_get(subject=subject, purpose=purpose).state == "granted"
    assert consent_status_get(subject=other_subject, purpose=purpose).state == "withdrawn"
    assert ConsentEvent.objects.filter(subject=subject).count() == 1


# --- PUT errors: problem details, and nothing written -----------------------------------------
def test_put_on_unknown_purpose_is_404_and_writes_nothing(me_api):
    response = _put_json(me_api, "no-such-purpose", {"granted": True})

    _assert_problem(response, status=HTTPStatus.NOT_FOUND, code="not_found")
    assert ConsentEvent.objects.count() == 0
    assert ConsentState.objects.count() == 0


def test_put_on_inactive_purpose_is_404_and_writes_nothing(me_api):
    inactive = PurposeFactory(active=False)

    response = _put_json(me_api, inactive.slug, {"granted": True})

    _assert_problem(response, status=HTTPStatus.NOT_FOUND, code="not_found")
    assert ConsentEvent.objects.count() == 0


def test_put_with_malformed_json_is_400_and_writes_nothing(me_api, purpose):
    response = me_api.put(_url(purpose.slug), data='{"granted": tru', content_type="application/json")

    _assert_problem(response, status=HTTPStatus.BAD_REQUEST, code="parse_error")
    assert ConsentEvent.objects.count() == 0


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None, [True], {"value": True}])
def test_put_with_a_non_boolean_granted_is_400_invalid_and_writes_nothing(me_api, purpose, value):
    response = _put_json(me_api, purpose.slug, {"granted": value})

    body = _assert_problem(response, status=HTTPStatus.BAD_REQUEST, code="invalid")
    assert "granted" in body["errors"]
    assert ConsentEvent.objects.count() == 0


def test_put_without_the_granted_field_is_400_invalid_and_writes_nothing(me_api, purpose):
    response = _put_json(me_api, purpose.slug, {"decision": "grant"})

    body = _assert_problem(response, status=HTTPStatus.BAD_REQUEST, code="invalid")
    assert "granted" in body["errors"]
    assert ConsentEvent.objects.count() == 0


def test_put_without_a_body_is_400_invalid_and_writes_nothing(me_api, purpose):
    response = me_api.put(_url(purpose.slug), content_type="application/json")

    _assert_problem(response, status=HTTPStatus.BAD_REQUEST, code="invalid")
    assert ConsentEvent.objects.count() == 0


@pytest.mark.parametrize("body", [[{"granted": True}], [], True, "granted"])
def test_put_with_a_json_body_that_is_not_an_object_is_400_and_writes_nothing(me_api, purpose, body):
    response = _put_json(me_api, purpose.slug, body)

    _assert_problem(response, status=HTTPStatus.BAD_REQUEST, code="invalid")
    assert ConsentEvent.objects.count() == 0


def test_put_with_a_form_body_is_415_and_writes_nothing(me_api, purpose):
    response = me_api.put(_url(purpose.slug), data="granted=true", content_type="application/x-www-form-urlencoded")

    _assert_problem(response, status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE, code="unsupported_media_type")
    assert ConsentEvent.objects.count() == 0


def test_put_without_csrf_token_is_403_csrf_failed_and_writes_nothing(subject, purpose):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(subject)

    response = _put_json(client, purpose.slug, {"granted": True})

    _assert_problem(response, status=HTTPStatus.FORBIDDEN, code="csrf_failed")
    assert ConsentEvent.objects.count() == 0


def test_put_with_a_wrong_csrf_token_is_403_csrf_failed_and_writes_nothing(me_api, purpose):
    me_api.credentials(HTTP_X_CSRFTOKEN="x" * 32)

    response = _put_json(me_api, purpose.slug, {"granted": True})

    _assert_problem(response, status=HTTPStatus.FORBIDDEN, code="csrf_failed")
    assert ConsentEvent.objects.count() == 0


def test_anonymous_put_is_refused_with_problem_details_and_writes_nothing(purpose):
    response = _put_json(APIClient(), purpose.slug, {"granted": True})

    assert response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)
    _assert_problem(response, status=HTTPStatus(response.status_code), code="not_authenticated")
    assert ConsentEvent.objects.count() == 0


def test_anonymous_list_is_refused_with_problem_details(purpose):
    response = APIClient().get(LIST_URL)

    assert response.status_code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)
    _assert_problem(response, status=HTTPStatus(response.status_code), code="not_authenticated")


def test_post_to_the_update_path_is_405_problem_details(me_api, purpose):
    response = me_api.post(_url(purpose.slug), data=json.dumps({"granted": True}), content_type="application/json")

    _assert_problem(response, status=HTTPStatus.METHOD_NOT_ALLOWED, code="method_not_allowed")
    assert ConsentEvent.objects.count() == 0
