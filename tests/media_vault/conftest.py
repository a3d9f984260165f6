"""Media vault fixtures: partner clients holding real bearer tokens, purposes, staff clients."""

import base64
from http import HTTPStatus
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from partners.models import PARTNER_SCOPES
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.partners.factories import LinkFactory, PartnerFactory


@pytest.fixture(autouse=True)
def _skip_postgres_only_elsewhere(request):
    """Tests marked postgres_only need real row locks and concurrent connections: skip them on SQLite."""
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def bearer_client(partner) -> APIClient:
    """An APIClient with a token the partner obtained at /o/token/ (client credentials, HTTP Basic)."""
    client = APIClient()
    basic = base64.b64encode(f"{partner.client_id}:{partner.client_secret}".encode()).decode()
    response = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == HTTPStatus.OK, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    client.partner = partner
    return client


@pytest.fixture
def make_partner_client(db):
    """make_partner_client(scopes=[...]): a fresh partner with those scopes, calling with its own token."""

    def make(*, scopes: list[str] | None = None) -> APIClient:
        return bearer_client(PartnerFactory(scopes=scopes if scopes is not None else list(PARTNER_SCOPES)))

    return make


@pytest.fixture
def partner_client(make_partner_client) -> APIClient:
    return make_partner_client()


@pytest.fixture
def link(partner_client, subject):
    """`subject` linked to `partner_client.partner`."""
    return LinkFactory(partner=partner_client.partner, subject=subject)


@pytest.fixture
def avatar(db):
    """A purpose kept 30 days."""
    return PurposeFactory(slug="avatar", retention_days=30)


@pytest.fixture
def cameo(db):
    """A purpose kept 90 days."""
    return PurposeFactory(slug="cameo", retention_days=90)


@pytest.fixture
def officer(db):
    return UserFactory(staff=True, groups=["Privacy officer"])


@pytest.fixture
def support(db):
    return UserFactory(staff=True, groups=["Support"])


@pytest.fixture(scope="session")
def astronaut_png() -> bytes:
    """skimage's public-domain NASA portrait (512x512): one face."""
    return (Path(__file__).parent / "files" / "astronaut.png").read_bytes()
