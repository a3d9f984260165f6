"""The OpenAPI 3 schema at /api/schema/: valid, complete for DESIGN.md's paths, with the OAuth2 scheme and errors."""

import re
from http import HTTPStatus

import pytest
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from openapi_spec_validator import validate

from config.api import api_not_found

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

# (method, path) from DESIGN.md's two tables.
PARTNER_OPERATIONS = [
    ("get", "/api/v1/purposes/", "consents:read"),
    ("post", "/api/v1/links/", "links:write"),
    ("get", "/api/v1/subjects/{subject_id}/consents/", "consents:read"),
    ("post", "/api/v1/consent-checks/", "consents:read"),
    ("post", "/api/v1/subjects/{subject_id}/uploads/", "uploads:write"),
    ("get", "/api/v1/subjects/{subject_id}/uploads/", "uploads:read"),
    ("get", "/api/v1/subjects/{subject_id}/uploads/{upload_id}/content", "uploads:read"),
    ("delete", "/api/v1/subjects/{subject_id}/uploads/{upload_id}/", "uploads:write"),
    ("get", "/api/v1/events/", "events:read"),
    ("post", "/api/v1/subjects/{subject_id}/appearances/", "appearances:write"),
    ("get", "/api/v1/subjects/{subject_id}/appearances/", "appearances:read"),
    ("post", "/api/v1/subjects/{subject_id}/appearances/{appearance_id}/taken-down/", "appearances:write"),
]
ME_OPERATIONS = [
    ("get", "/api/v1/me/consents/"),
    ("put", "/api/v1/me/consents/{purpose}/"),
    ("get", "/api/v1/me/uploads/"),
    ("get", "/api/v1/me/appearances/"),
    ("post", "/api/v1/me/appearances/{id}/takedown/"),
    ("get", "/api/v1/me/sightings/"),
    ("post", "/api/v1/me/sightings/{id}/not-me/"),
    ("post", "/api/v1/me/sightings/{id}/remove/"),
    ("post", "/api/v1/me/link-codes/"),
    ("get", "/api/v1/me/links/"),
    ("delete", "/api/v1/me/links/{id}/"),
    ("get", "/api/v1/me/exports/"),
    ("post", "/api/v1/me/exports/"),
    ("post", "/api/v1/me/erasure/"),
    ("get", "/api/v1/me/receipts/"),
    ("get", "/api/v1/me/receipts/{event_id}"),
]
# Implemented now: these must be present, so that a schema that lost them fails.
REQUIRED_PATHS = {
    "/api/v1/purposes/",
    "/api/v1/links/",
    "/api/v1/subjects/{}/consents/",
    "/api/v1/consent-checks/",
    "/api/v1/events/",
    "/api/v1/me/consents/",
    "/api/v1/me/consents/{}/",
    "/api/v1/me/link-codes/",
    "/api/v1/me/links/",
    "/api/v1/me/links/{}/",
    "/api/v1/me/receipts/",
    "/api/v1/me/receipts/{}",
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == HTTPStatus.OK
    return response.json()


def _shape(path: str) -> str:
    """A path with every parameter name blanked, so {id} and {link_id} compare equal."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def _exists(path: str) -> bool:
    """Whether the project serves this path (with sample values), rather than the /api/ catch-all 404."""
    sample = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
    try:
        return resolve(sample).func is not api_not_found
    except Resolver404:
        return False


def _operations(schema: dict) -> dict[tuple[str, str], dict]:
    return {
        (method, _shape(path)): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete"}
    }


def test_the_schema_is_a_valid_openapi_3_document(schema):
    validate(schema)

    assert schema["openapi"].startswith("3.")


def test_every_design_path_that_exists_is_in_the_schema(schema):
    documented = {_shape(path) for path in schema["paths"]}
    existing = {_shape(path) for _, path, *_ in PARTNER_OPERATIONS + ME_OPERATIONS if _exists(path)}

    assert existing >= REQUIRED_PATHS
    assert existing <= documented


def test_every_design_operation_that_exists_is_in_the_schema(schema):
    operations = _operations(schema)
    documented_paths = {path for _, path in operations}

    missing = [
        (method, path)
        for method, path, *_ in PARTNER_OPERATIONS + ME_OPERATIONS
        if _shape(path) in documented_paths and (method, _shape(path)) not in operations
    ]

    assert missing == []


def test_the_partner_oauth2_client_credentials_scheme_has_every_scope(schema):
    scheme = schema["components"]["securitySchemes"]["partnerOAuth2"]

    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"
    assert set(scheme["flows"]["clientCredentials"]["scopes"]) == SCOPES


@pytest.mark.parametrize(
    ("method", "path", "scope"), PARTNER_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in PARTNER_OPERATIONS]
)
def test_each_partner_operation_requires_its_scope(schema, method, path, scope):
    operation = _operations(schema).get((method, _shape(path)))
    if operation is None:
        pytest.skip(f"{method.upper()} {path} is not built yet")

    assert {"partnerOAuth2": [scope]} in operation["security"]


@pytest.mark.parametrize(
    ("method", "path", "scope"), PARTNER_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in PARTNER_OPERATIONS]
)
def test_each_partner_operation_documents_its_error_responses(schema, method, path, scope):
    operation = _operations(schema).get((method, _shape(path)))
    if operation is None:
        pytest.skip(f"{method.upper()} {path} is not built yet")
    expected = {"401", "403", "429"} | ({"404"} if "{subject_id}" in path else set())

    assert expected <= set(operation["responses"])


def test_error_responses_use_the_problem_details_schema(schema):
    problem_refs = set()
    for (_, path), operation in _operations(schema).items():
        if not path.startswith("/api/v1/") or "/me/" in path or path == "/api/v1/ping/":
            continue
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                problem_refs.update(str(c["schema"]) for c in response.get("content", {}).values())

    assert len(problem_refs) == 1
    name = re.search(r"#/components/schemas/(\w+)", problem_refs.pop()).group(1)
    problem = schema["components"]["schemas"][name]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["properties"])


def test_the_interactive_docs_are_served(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == HTTPStatus.OK
    assert b"/api/schema/" in script.content


def test_the_docs_page_names_its_language_and_title_links_the_favicon_and_has_no_inline_style(client):
    html = client.get("/api/docs/").content.decode()

    assert '<html lang="en">' in html
    assert "<title>Face-privacy portal API: interactive docs · Face privacy portal</title>" in html
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in html
    assert "<style" not in html  # refused by the Content Security Policy; the rules are in css/api-docs.css


# --- Grouping and wording in /api/docs/ -------------------------------------------------------------------------------
API_TAGS = ["purposes", "links", "consents", "uploads", "appearances", "events", "me"]
# The operation ids partners' generated clients are built on: grouping and wording the docs must not change them.
OPERATION_IDS = {
    ("get", "/api/v1/ping/"): "ping",
    ("get", "/api/v1/purposes/"): "purposes_list",
    ("get", "/api/v1/restrictions/"): "restrictions_list",
    ("post", "/api/v1/links/"): "links_redeem",
    ("get", "/api/v1/subjects/{}/consents/"): "subject_consents_list",
    ("post", "/api/v1/consent-checks/"): "consent_checks_create",
    ("get", "/api/v1/subjects/{}/uploads/"): "subject_uploads_list",
    ("post", "/api/v1/subjects/{}/uploads/"): "subject_uploads_create",
    ("get", "/api/v1/subjects/{}/uploads/{}/content"): "subject_upload_content",
    ("delete", "/api/v1/subjects/{}/uploads/{}/"): "subject_upload_delete",
    ("get", "/api/v1/subjects/{}/appearances/"): "subject_appearances_list",
    ("post", "/api/v1/subjects/{}/appearances/"): "subject_appearances_create",
    ("post", "/api/v1/subjects/{}/appearances/{}/taken-down/"): "subject_appearance_taken_down",
    ("get", "/api/v1/events/"): "events_list",
    ("get", "/api/v1/me/consents/"): "me_consents_list",
    ("put", "/api/v1/me/consents/{}/"): "me_consents_update",
    ("get", "/api/v1/me/consents/{}/withdrawal-impact/"): "me_consents_withdrawal_impact",
    ("put", "/api/v1/me/consents/{}/apps/{}/"): "me_consents_app_update",
    ("delete", "/api/v1/me/consents/{}/apps/{}/"): "me_consents_app_delete",
    ("get", "/api/v1/me/restrictions/"): "me_restrictions_get",
    ("put", "/api/v1/me/restrictions/"): "me_restrictions_update",
    ("get", "/api/v1/me/uploads/"): "me_uploads_list",
    ("get", "/api/v1/me/appearances/"): "me_appearances_list",
    ("post", "/api/v1/me/appearances/{}/takedown/"): "me_appearances_takedown",
    ("get", "/api/v1/me/sightings/"): "me_sightings_list",
    ("post", "/api/v1/me/sightings/{}/not-me/"): "me_sighting_not_me",
    ("post", "/api/v1/me/sightings/{}/remove/"): "me_sighting_remove",
    ("post", "/api/v1/me/link-codes/"): "me_link_codes_create",
    ("get", "/api/v1/me/links/"): "me_links_list",
    ("delete", "/api/v1/me/links/{}/"): "me_links_delete",
    ("get", "/api/v1/me/exports/"): "me_exports_list",
    ("post", "/api/v1/me/exports/"): "me_exports_create",
    ("post", "/api/v1/me/erasure/"): "me_erasure_create",
    ("get", "/api/v1/me/receipts/"): "me_receipts_list",
    ("get", "/api/v1/me/receipts/{}"): "me_receipts_get",
}


def test_every_operation_has_one_tag_from_the_set_a_summary_and_a_description(schema):
    problems = [
        (method, path, operation.get("tags"), operation.get("summary"), operation.get("description"))
        for (method, path), operation in _operations(schema).items()
        if len(operation.get("tags", [])) != 1
        or operation["tags"][0] not in API_TAGS
        or not operation.get("summary", "").strip()
        or not operation.get("description", "").strip()
    ]

    assert problems == []


def test_a_summary_is_one_short_line(schema):
    long_or_broken = [
        operation["summary"]
        for operation in _operations(schema).values()
        if "\n" in operation["summary"] or len(operation["summary"]) > 60
    ]

    assert long_or_broken == []


def test_the_tags_are_listed_in_order_each_with_a_description(schema):
    assert [tag["name"] for tag in schema["tags"]] == API_TAGS
    assert all(tag.get("description", "").strip() for tag in schema["tags"])


def test_each_me_operation_is_under_me_and_each_partner_operation_is_not(schema):
    for (method, path), operation in _operations(schema).items():
        assert (operation["tags"] == ["me"]) == path.startswith("/api/v1/me/"), (method, path)


def test_the_operation_ids_stay_as_published(schema):
    published = {key: operation["operationId"] for key, operation in _operations(schema).items()}

    assert published == OPERATION_IDS
