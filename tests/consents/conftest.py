import pytest
from django.db import connection

from consents.models import ConsentEvent
from consents.services import consent_grant, consent_withdraw
from tests.consents.factories import PurposeFactory


@pytest.fixture(autouse=True)
def _skip_postgres_only_elsewhere(request):
    """Tests marked postgres_only need real row locks and concurrent connections: skip them on SQLite."""
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def ledger(subject, other_subject):
    """Five events over two subjects and two purposes, in this order (the subject's chain holds the 1st,
    3rd, 4th and 5th, the other subject's the 2nd; on PostgreSQL the numbers continue from earlier tests)."""
    first, second = PurposeFactory(), PurposeFactory()
    consent_grant(subject=subject, purpose_slug=first.slug, actor=subject)
    consent_grant(subject=other_subject, purpose_slug=first.slug, actor=other_subject)
    consent_withdraw(subject=subject, purpose_slug=first.slug, actor=subject)
    consent_grant(subject=subject, purpose_slug=second.slug, actor=subject)
    consent_grant(subject=subject, purpose_slug=first.slug, actor=subject)
    return list(ConsentEvent.objects.order_by("seq"))
