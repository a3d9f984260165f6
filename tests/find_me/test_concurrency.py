"""A withdrawal racing the comparison: what the comparison writes under the consent's lock never outlives it."""

import threading
import time

import pytest
from django.db import connection, connections

from consents.models import Channel
from consents.services import consent_withdraw
from find_me import services, subscribers
from find_me.models import FaceTemplate, Sighting
from find_me.services import FIND_ME, subject_enrol, uploads_scan_pending
from tests.accounts.factories import UserFactory
from tests.find_me.conftest import opt_in


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and concurrent connections (set DATABASE_URL)")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_withdrawal_during_the_comparison_leaves_no_sighting(
    monkeypatch, upload_of, astronaut_photo, astronaut_elsewhere, find_me, store
):
    monkeypatch.setattr(subscribers, "task_enqueue", lambda *args, **kwargs: True)  # this test runs the comparison
    alice, bob = UserFactory(), UserFactory()
    opt_in(alice)
    upload_of(alice, astronaut_photo, purposes=[store])
    subject_enrol(subject_id=alice.pk)
    upload_of(bob, astronaut_elsewhere, purposes=[store])
    checked = threading.Event()
    real_check = services.consent_granted_locking

    def check_then_dawdle(**kwargs):
        granted = real_check(**kwargs)
        checked.set()
        time.sleep(0.5)  # the withdrawal arrives now; without the lock it would commit before the sighting
        return granted

    monkeypatch.setattr(services, "consent_granted_locking", check_then_dawdle)
    errors = []

    def compare():
        try:
            uploads_scan_pending()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=compare)
    thread.start()
    assert checked.wait(timeout=30), errors
    consent_withdraw(subject=alice, purpose_slug=FIND_ME, channel=Channel.WEB, actor=alice)
    thread.join(timeout=60)

    assert errors == []
    assert not Sighting.objects.exists() and not FaceTemplate.objects.exists()
