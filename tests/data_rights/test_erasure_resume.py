"""Erasure is resumable and idempotent (rule 7): an outage leaves it unfinished and honest, a later run completes it,
five failures stop it for staff, and a retry starts it again."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete
from django.utils import timezone

from data_rights.models import DataRequest
from data_rights.services import data_request_retry, data_requests_sweep, erasure_request, subject_erase
from media_vault import services as media_vault_services
from media_vault.exceptions import StorageUnavailable
from media_vault.models import FaceUpload, SubjectKey
from tests.accounts.factories import UserFactory
from tests.media_vault.factories import FaceUploadFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
UPLOADS = 5
BATCH = 2


@pytest.fixture
def interrupted(vault_storage, subject, password, avatar, storage_switch, monkeypatch):
    """Five uploads erased in batches of two; storage becomes unreachable once the first batch is gone."""
    monkeypatch.setattr(media_vault_services, "SUBJECT_ERASE_BATCH", BATCH)  # five uploads show batching as 500 would
    for _ in range(UPLOADS):
        FaceUploadFactory(subject=subject, purposes=[avatar])
    erasure = erasure_request(subject=subject, password=password)
    erased = []

    def storage_fails_after_first_batch(sender, instance, **kwargs):
        erased.append(instance.pk)
        if len(erased) == BATCH:
            storage_switch.down()

    post_delete.connect(storage_fails_after_first_batch, sender=FaceUpload, weak=False)
    try:
        with pytest.raises(StorageUnavailable):
            subject_erase(request_id=erasure.pk)
    finally:
        post_delete.disconnect(storage_fails_after_first_batch, sender=FaceUpload)
        storage_switch.up()
    erasure.refresh_from_db()
    return erasure


def test_interrupted_erasure_is_not_done_and_says_why(interrupted):
    assert interrupted.status == DataRequest.Status.QUEUED
    assert interrupted.attempts == 1
    assert interrupted.last_error.startswith("StorageUnavailable")
    assert interrupted.finished_at is None


def test_interrupted_erasure_keeps_what_it_has_not_erased_yet(interrupted, subject, vault_storage):
    remaining = FaceUpload.objects.filter(subject=subject).count()
    assert remaining == UPLOADS - BATCH
    assert len(vault_storage()) == 2 * remaining
    assert User.objects.filter(pk=subject.pk).exists()
    assert SubjectKey.objects.filter(subject=subject).exists()
    assert interrupted.receipt == {
        "sessions": 0,
        "face_templates": 0,
        "sightings": 0,
        "face_uploads": BATCH,
        "storage_objects": 2 * BATCH,
        "access_events": 0,
    }


def test_interrupted_erasure_resumes_and_its_counts_add_up(interrupted, subject, vault_storage):
    finished = subject_erase(request_id=interrupted.pk)
    assert finished.status == DataRequest.Status.DONE
    assert finished.attempts == 2
    assert finished.last_error == ""
    assert finished.receipt["face_uploads"] == UPLOADS
    assert finished.receipt["storage_objects"] == 2 * UPLOADS
    assert vault_storage() == []
    assert not User.objects.filter(pk=subject.pk).exists()


@pytest.fixture
def failed(subject, password, avatar, storage_switch):
    """An erasure that met an unreachable storage five times."""
    FaceUploadFactory(subject=subject, purposes=[avatar])
    erasure = erasure_request(subject=subject, password=password)
    storage_switch.down()
    statuses = []
    for _ in range(5):
        with pytest.raises(StorageUnavailable):
            subject_erase(request_id=erasure.pk)
        statuses.append(DataRequest.objects.get(pk=erasure.pk).status)
    storage_switch.up()
    erasure.refresh_from_db()
    erasure.statuses = statuses
    return erasure


def test_erasure_is_retried_four_times_then_marked_failed(failed):
    assert failed.statuses == [DataRequest.Status.QUEUED] * 4 + [DataRequest.Status.FAILED]
    assert failed.attempts == 5
    assert failed.last_error.startswith("StorageUnavailable")


def test_failed_erasure_is_not_taken_up_again_by_itself(failed, subject):
    assert data_requests_sweep(now=timezone.now() + timedelta(days=1)) == 0
    assert subject_erase(request_id=failed.pk) is None
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DataRequest.Status.FAILED, 5)
    assert FaceUpload.objects.filter(subject=subject).exists()


def test_retry_queues_a_failed_erasure_again_with_fresh_attempts(failed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retried = data_request_retry(request=failed, actor=UserFactory(staff=True))
    assert (retried.status, retried.attempts) == (DataRequest.Status.QUEUED, 0)
    assert len(callbacks) == 1  # the task is queued once the retry commits


def test_retried_erasure_finishes(failed, subject):
    data_request_retry(request=failed, actor=UserFactory(staff=True))
    finished = subject_erase(request_id=failed.pk)
    assert finished.status == DataRequest.Status.DONE
    assert finished.receipt["face_uploads"] == 1
    assert not User.objects.filter(pk=subject.pk).exists()


def test_sweep_takes_up_an_erasure_whose_worker_died(subject, password, avatar, settings):
    """A running job whose lease ran out is queued again; one whose worker may still be alive is not."""
    settings.DATA_REQUEST_LEASE_SECONDS = 3
    FaceUploadFactory(subject=subject, purposes=[avatar])
    erasure = erasure_request(subject=subject, password=password)
    now = timezone.now()
    DataRequest.objects.filter(pk=erasure.pk).update(
        status=DataRequest.Status.RUNNING, attempts=1, lease_until=now + timedelta(seconds=3)
    )
    assert data_requests_sweep(now=now) == 0  # the worker may still be alive
    assert data_requests_sweep(now=now + timedelta(seconds=4)) == 1
