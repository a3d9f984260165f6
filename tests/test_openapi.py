"""The OpenAPI 3 schema at /api/schema/: valid, complete for DESIGN.md's paths, with the OAuth2 scheme and errors."""

import re
from http import HTTPStatus

import pytest
from django.urls import Resolver404, resolve
from openapi_spec_validator import validate

from config.api import api_not_found

pytestmark = pytest.mark.django_db

SCOPES = {"consents:read", "uploads:write", "uploads:read", "links:write", "events:read"}

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
]
ME_OPERATIONS = [
    ("get", "/api/v1/me/consents/"),
    ("put", "/api/v1/me/consents/{purpose}/"),
    ("get", "/api/v1/me/uploads/"),
    ("post", "/api/v1/me/link-codes/"),
    ("get", "/api/v1/me/links/"),
    ("delete", "/api/v1/me/links/{id}/"),
    ("get", "/api/v1/me/exports/"),
    ("post", "/api/v1/me/exports/"),
    ("post", "/api/v1/me/erasure/"),
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


def test_the_partner_oauth2_client_credentials_scheme_has_the_five_scopes(schema):
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
