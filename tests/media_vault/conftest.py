"""Media vault fixtures: partner clients holding real bearer tokens, purposes, staff clients."""

import base64
import socket
from http import HTTPStatus
from pathlib import Path

import pytest
from botocore.config import Config
from django.db import connection
from rest_framework.test import APIClient

from partners.models import PARTNER_SCOPES
from tests.accounts.factories import UserFactory
from tests.conftest import s3_storage_settings
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


# --- Storage outages -------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.fixture
def s3_with_outage(settings, s3_bucket, s3_endpoint):
    """Media on the loopback S3; `.down()` points storage at a closed port, `.up()` back at the server."""
    client, bucket = s3_bucket
    fail_fast = Config(
        s3={"addressing_style": "path"}, signature_version="s3v4", retries={"total_max_attempts": 1}, connect_timeout=2
    )

    def point_at(endpoint: str) -> None:
        storage = s3_storage_settings(endpoint=endpoint, bucket=bucket)
        storage["OPTIONS"]["client_config"] = fail_fast
        settings.STORAGES = {**settings.STORAGES, "default": storage}

    class Switch:
        def up(self):
            point_at(s3_endpoint)

        def down(self):
            point_at(f"http://127.0.0.1:{_closed_port()}")

        def keys(self) -> set[str]:
            return {item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])}

    switch = Switch()
    switch.up()
    return switch
