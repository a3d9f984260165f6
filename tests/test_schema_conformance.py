"""The OpenAPI schema at /api/schema/ describes what the API answers: schemathesis over every operation.

Every operation gets generated requests, valid and invalid, through the WSGI app, and every answer must pass all of
schemathesis's checks: no 5xx, a documented status, the documented media type, body and headers, invalid data
refused, valid data accepted, credentials enforced. The partner API is called with a real bearer token, the subject's
own API (`/api/v1/me/`) with a signed-in session and its CSRF token. In valid cases the path's ids are swapped, half
of the time, for ids that exist, so that the answers past the 404 are checked too.
"""

import base64
import zlib
from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus

import hypothesis
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from schemathesis.specs.openapi.checks import positive_data_acceptance

from partners.models import PARTNER_SCOPES
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.media_vault.factories import FaceUploadFactory, grant_all, jpeg_bytes
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

SETTINGS = hypothesis.settings(
    max_examples=8,  # per operation in the fuzzing phase; the examples and coverage phases add their own
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the work tree
    derandomize=True,  # the same cases on every run, so that a failure here reproduces
    suppress_health_check=list(hypothesis.HealthCheck),
)
# Schema-valid requests that a rule refuses with a 400 of its own: no schema can say which codes or slugs exist now.
# positive_data_acceptance (valid data gets no 400) is skipped for these alone; every other check runs on them.
REFUSED_BY_A_RULE = {
    "POST /api/v1/links/": "a link code exists only once the subject made it (`invalid_link_code`)",
}
# Likewise a `cursor` is valid only when the list gave it (`invalid_cursor`): cases with one skip that check too.
# A WSGI request from no address is refused by allauth before any view (a server always sets REMOTE_ADDR).
ENVIRON = {"REMOTE_ADDR": "127.0.0.1"}

# Schemathesis applies credentials as the schema's security schemes (bearer token, session cookie) when it builds a
# case, some of them before the test's fixtures run; it applies these stand-ins, which each test swaps for the real
# credentials of its fixtures just before sending. So schemathesis knows them, and also sends cases without them.
STAND_IN = "stand-in-for-the-test-credentials"


class StandInCredentials:
    def get(self, case, context):
        return "session" if case.operation.path.startswith("/api/v1/me/") else "token"

    def set(self, case, data, context):
        if data == "token":
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {STAND_IN}"}
        else:
            case.headers = {**(case.headers or {}), "X-CSRFToken": STAND_IN}
            case.cookies = {**(case.cookies or {}), "sessionid": STAND_IN, "csrftoken": STAND_IN}


def _swap_in_credentials(case, credentials: dict[str, dict[str, str]]) -> None:
    for location in ("headers", "cookies"):
        container = getattr(case, location) or {}
        for name, value in credentials[location].items():
            if STAND_IN in str(container.get(name, "")):
                container[name] = value


@pytest.fixture
def world(db):
    """A subject linked to a partner, two granted purposes, and one face upload by that partner."""
    subject = UserFactory()
    partner = PartnerFactory(scopes=list(PARTNER_SCOPES))
    link = LinkFactory(partner=partner, subject=subject)
    purposes = [PurposeFactory(slug="avatar"), PurposeFactory(slug="cameo")]
    grant_all(subject=subject, purposes=purposes)
    upload = FaceUploadFactory(subject=subject, purposes=purposes, partner=partner)
    return {"subject": subject, "partner": partner, "link": link, "purposes": purposes, "upload": upload}


@pytest.fixture
def partner_token(world):
    """A bearer token that the partner got at /o/token/ (client credentials, HTTP Basic)."""
    partner = world["partner"]
    basic = base64.b64encode(f"{partner.client_id}:{partner.client_secret}".encode()).decode()
    response = Client().post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == HTTPStatus.OK, response.content
    return {"headers": {"Authorization": f"Bearer {response.json()['access_token']}"}, "cookies": {}}


@pytest.fixture
def subject_session(world):
    """The subject's session cookie and CSRF token, sent as the portal's pages send them."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["subject"])
    client.get("/consents/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    return {
        "headers": {"X-CSRFToken": csrf},
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
    }


def _swap_in_real_values(case, *, path: dict[str, str], body: dict) -> None:
    """Valid cases get past the rules that no schema can state: in about half of them (chosen by the generated value,
    so the same ones on each run) path ids that exist, and in every one images that are pictures and body values
    that exist (purposes, restrictions, uploads) or that the rules allow (an expiry in the future, with a grant)."""
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return  # invalid data must stay invalid
    for name, value in (case.path_parameters or {}).items():
        if name in path and zlib.crc32(str(value).encode()) % 2:
            case.path_parameters[name] = path[name]
    if not isinstance(case.body, dict):
        return
    for name in ("image", "thumbnail"):
        if name in case.body:
            case.body[name] = jpeg_bytes()
    for name, value in body.items():
        if name in case.body:
            case.body[name] = value
    if "expires_at" in case.body:
        in_a_month = timezone.now() + timedelta(days=30)
        case.body["expires_at"] = in_a_month.isoformat() if case.body.get("granted") is True else None


@contextmanager
def _the_test_connection_kept():
    """Django closes old database connections when a request starts and ends (`close_old_connections`); the test's
    transaction lives on that connection, so it stays open here, as django.test.Client keeps it for its requests."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _call_and_validate(case, credentials) -> None:
    _swap_in_credentials(case, credentials)
    refused = case.operation.label in REFUSED_BY_A_RULE or "cursor" in (case.query or {})
    excluded = [positive_data_acceptance] if refused else []
    with _the_test_connection_kept():
        case.call_and_validate(excluded_checks=excluded, environ_base=ENVIRON)


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), environ_base=ENVIRON)


@schema.exclude(path_regex=r"^/api/v1/me/").parametrize()
@schema.auth.apply(StandInCredentials, refresh_interval=None)
@SETTINGS
def test_the_partner_api_answers_as_its_schema_says(case, world, partner_token):
    _swap_in_real_values(
        case,
        path={"subject_id": str(world["link"].pairwise_id), "upload_id": str(world["upload"].pk)},
        body={"purposes": [p.slug for p in world["purposes"]], "source_upload_ids": [str(world["upload"].pk)]},
    )
    _call_and_validate(case, partner_token)


@schema.include(path_regex=r"^/api/v1/me/").parametrize()
@schema.auth.apply(StandInCredentials, refresh_interval=None)
@SETTINGS
def test_the_subjects_api_answers_as_its_schema_says(case, world, subject_session):
    _swap_in_real_values(
        case,
        path={"purpose": world["purposes"][0].slug, "link_id": str(world["link"].pairwise_id)},
        body={"restrictions": ["no-political", "no-voice"]},
    )
    _call_and_validate(case, subject_session)


# --- What DRF answers by itself, whatever the data: probes schemathesis's generated cases do not make -----------------
PROBES = {
    "no credentials": {},
    "an Accept header that names no JSON": {"HTTP_ACCEPT": "text/html"},
    "a body in a media type no operation reads": {"data": b"granted=true", "content_type": "text/plain"},
}


@pytest.mark.parametrize("probe", PROBES)
def test_what_drf_answers_by_itself_is_documented_for_every_operation(
    client, world, partner_token, subject_session, probe
):
    schema = client.get("/api/schema/?format=json").json()
    ids = {
        "{subject_id}": str(world["link"].pairwise_id),
        "{upload_id}": str(world["upload"].pk),
        "{purpose}": world["purposes"][0].slug,
        "{link_id}": str(world["link"].pairwise_id),
    }
    undocumented = []
    for template, item in schema["paths"].items():
        path = template
        for name, value in ids.items():
            path = path.replace(name, value)
        for method, operation in item.items():
            if method == "get" and "data" in PROBES[probe]:
                continue  # a GET has no body
            credentials = subject_session if template.startswith("/api/v1/me/") else partner_token
            probe_client = Client()
            if probe != "no credentials":
                for name, value in credentials["cookies"].items():
                    probe_client.cookies[name] = value
            headers = {
                f"HTTP_{name.upper().replace('-', '_')}": value for name, value in credentials["headers"].items()
            }
            kwargs = {**(headers if probe != "no credentials" else {}), **PROBES[probe]}
            response = getattr(probe_client, method)(path, **kwargs)
            if str(response.status_code) not in operation["responses"]:
                undocumented.append((method.upper(), template, response.status_code))

    assert undocumented == []
