"""Appearance fixtures: two partners linked to the same subject, each calling with its own token."""

import pytest

from partners.models import PARTNER_SCOPES
from tests.consents.factories import PurposeFactory
from tests.media_vault.conftest import bearer_client
from tests.media_vault.factories import grant_all
from tests.partners.factories import LinkFactory, PartnerFactory


@pytest.fixture
def cameo(db):
    return PurposeFactory(slug="cameo", title="Cameos in shared videos", retention_days=90)


@pytest.fixture
def avatar(db):
    return PurposeFactory(slug="avatar", title="Avatar generation", retention_days=30)


@pytest.fixture
def granted(subject, cameo, avatar):
    grant_all(subject=subject, purposes=[cameo, avatar])


@pytest.fixture
def make_partner_client(db):
    def make(*, scopes: list[str] | None = None, name: str | None = None):
        fields = {"name": name} if name else {}
        return bearer_client(PartnerFactory(scopes=scopes if scopes is not None else list(PARTNER_SCOPES), **fields))

    return make


@pytest.fixture
def partner_client(make_partner_client):
    return make_partner_client(name="Cameo Studio")


@pytest.fixture
def link(partner_client, subject):
    return LinkFactory(partner=partner_client.partner, subject=subject)


@pytest.fixture
def other_client(make_partner_client, subject):
    """Another app, linked to the same subject."""
    client = make_partner_client(name="Other App")
    client.link = LinkFactory(partner=client.partner, subject=subject)
    return client
