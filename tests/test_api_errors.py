"""Errors under /api/ that no view decides: bad query parameters and cursors, and unexpected exceptions (500s)."""

import base64
import json
from http import HTTPStatus

import pytest
from django.test import RequestFactory

from config.api import SERVER_ERROR_DETAIL, server_error
from tests.media_vault.factories import FaceUploadFactory
from tests.partners.conftest import partner_api_client
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
SECRET = "internal detail that must never reach a client"


@pytest.fixture
def api(subject):
    client = partner_api_client(PartnerFactory())
    client.link = LinkFactory(partner=client.partner, subject=subject)
    return client


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# --- Cursors ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cursor",
    ["abc", "%25%25", "%C3%A9", _b64("o=x"), _b64("p=not-a-date"), _b64("r=maybe")],
    ids=["not-base64", "percent", "non-ascii", "bad-offset", "bad-position", "bad-direction"],
)
@pytest.mark.parametrize("listing", ["uploads", "appearances"])
def test_a_bad_cursor_on_a_list_is_400_invalid_cursor_naming_the_parameter(api, cursor, listing):
    response = api.get(f"/api/v1/subjects/{api.link.pairwise_id}/{listing}/?cursor={cursor}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The query parameter `cursor` is not valid: Not a cursor from this list.",
        "code": "invalid_cursor",
        "errors": {"cursor": ["Not a cursor from this list."]},
    }


def test_the_cursors_a_list_gives_still_page_through_it(api):
    made = {str(FaceUploadFactory(subject=api.link.subject, partner=api.partner).pk) for _ in range(3)}

    first = api.get(f"/api/v1/subjects/{api.link.pairwise_id}/uploads/?page_size=2").json()
    second = api.get(first["next"]).json()

    assert {row["id"] for row in first["results"] + second["results"]} == made
    assert second["next"] is None


def test_a_bad_event_cursor_does_not_speak_of_a_request_body(api):
    response = api.get("/api/v1/events/?after=abc")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_cursor"
    assert "after" in response.json()["detail"]
    assert "body" not in response.json()["detail"]


# --- Unexpected exceptions -------------------------------------------------------------------------------------------
@pytest.fixture
def failing_purposes(monkeypatch):
    """GET /api/v1/purposes/ raises what a bug would raise."""

    def fail():
        raise RuntimeError(SECRET)

    monkeypatch.setattr("partners.api.views.purpose_list_active", fail)


@pytest.mark.parametrize("debug", [False, True], ids=["production", "embedded-default"])
def test_an_unexpected_error_in_an_api_view_is_a_500_problem_with_no_internal_detail(
    api, failing_purposes, settings, debug
):
    settings.DEBUG = debug
    api.raise_request_exception = False

    response = api.get("/api/v1/purposes/")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": SERVER_ERROR_DETAIL,
        "code": "server_error",
    }
    assert SECRET not in response.content.decode()


def test_an_unexpected_error_in_an_api_view_is_still_raised_to_a_test_client(api, failing_purposes):
    with pytest.raises(RuntimeError, match=SECRET):
        api.get("/api/v1/purposes/")


def test_an_unexpected_error_in_an_api_view_is_logged_with_its_traceback(api, failing_purposes, caplog):
    api.raise_request_exception = False

    api.get("/api/v1/purposes/")

    (record,) = [r for r in caplog.records if r.name == "django.request" and r.levelname == "ERROR"]
    assert record.exc_info[0] is RuntimeError


def test_the_500_handler_answers_problem_details_under_api_and_the_portal_page_elsewhere():
    api = server_error(RequestFactory().get("/api/v1/purposes/"))
    page = server_error(RequestFactory().get("/consents/"))

    assert (api.status_code, api["Content-Type"]) == (500, PROBLEM)
    assert json.loads(api.content)["code"] == "server_error"
    assert page.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert page["Content-Type"].startswith("text/html")


def test_a_refusal_before_any_api_view_is_403_problem_details(subject_client):
    # allauth refuses a signed-in request whose client address it cannot tell, before any view (servers set one)
    response = subject_client.get("/api/v1/me/consents/", REMOTE_ADDR="")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "permission_denied"
