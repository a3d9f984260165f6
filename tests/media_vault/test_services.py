"""media_vault.services: the one consent gate (rule 1), erasure (rule 7), orphans (rule 2), retention (rule 9)."""

import logging
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connections
from django.utils import timezone

from consents.exceptions import ConsentRequired
from consents.services import consent_grant, consent_withdraw, purpose_publish_version
from media_vault.exceptions import PurposesRequired, StorageUnavailable
from media_vault.models import FaceUpload, SubjectKey
from media_vault.services import (
    upload_erase,
    upload_erase_or_defer,
    upload_ingest,
    uploads_erase_expired,
    uploads_erase_interrupted,
    uploads_erase_orphaned,
)
from media_vault.tasks import uploads_sweep
from partners.models import WebhookEvent
from tests.media_vault.factories import FaceUploadFactory, grant_all, jpeg_bytes
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _erased_events(upload_id) -> list[WebhookEvent]:
    return [
        e
        for e in WebhookEvent.objects.filter(event_type="upload.erased")
        if e.payload["data"]["upload_id"] == str(upload_id)
    ]


def _gone(upload: FaceUpload) -> bool:
    """The row, the image and the thumbnail are all gone."""
    return not (
        FaceUpload.objects.filter(pk=upload.pk).exists()
        or default_storage.exists(upload.object_name)
        or default_storage.exists(upload.thumbnail_object_name)
    )


def _kept(upload: FaceUpload) -> bool:
    return (
        FaceUpload.objects.filter(pk=upload.pk, status=FaceUpload.Status.STORED).exists()
        and default_storage.exists(upload.object_name)
        and default_storage.exists(upload.thumbnail_object_name)
    )


def _wait_until(condition, timeout: float = 20) -> bool:
    """Eager Celery has already run the job; a real worker needs a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _partner_upload(*, subject, purposes, **kwargs) -> FaceUpload:
    link = LinkFactory(subject=subject)
    return FaceUploadFactory(subject=subject, partner=link.partner, purposes=purposes, **kwargs)


# --- Rule 1: one gate for both sources ------------------------------------------------------------
@pytest.fixture(params=["portal", "partner"])
def source_partner(request, db):
    """Run a gate test once for the subject's own upload and once for a partner's."""
    return PartnerFactory() if request.param == "partner" else None


def test_upload_for_a_purpose_never_decided_is_refused_and_nothing_is_stored(
    subject, avatar, source_partner, vault_storage
):
    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["avatar"], partner=source_partner)

    assert not FaceUpload.objects.exists()
    assert vault_storage() == []


def test_upload_for_a_withdrawn_purpose_is_refused_and_nothing_is_stored(
    subject, avatar, source_partner, vault_storage
):
    consent_grant(subject=subject, purpose_slug="avatar", actor=subject)
    consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)

    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["avatar"], partner=source_partner)

    assert not FaceUpload.objects.exists()
    assert vault_storage() == []


def test_upload_for_a_purpose_needing_reconsent_is_refused(subject, avatar, source_partner):
    consent_grant(subject=subject, purpose_slug="avatar", actor=subject)
    purpose_publish_version(
        purpose=avatar, title="Avatars, now also for ads", description="...", retention_days=30, requires_reconsent=True
    )

    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["avatar"], partner=source_partner)

    assert not FaceUpload.objects.exists()


def test_upload_needs_every_purpose_named_to_be_granted(subject, avatar, cameo, source_partner, vault_storage):
    grant_all(subject=subject, purposes=[avatar])

    with pytest.raises(ConsentRequired) as refused:
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["avatar", "cameo"], partner=source_partner)

    assert "cameo" in refused.value.detail
    assert not FaceUpload.objects.exists()
    assert vault_storage() == []


def test_upload_with_every_purpose_granted_is_stored(subject, avatar, cameo, source_partner, vault_storage):
    grant_all(subject=subject, purposes=[avatar, cameo])

    upload = upload_ingest(
        subject=subject, data=jpeg_bytes(), purpose_slugs=["avatar", "cameo"], partner=source_partner
    )

    assert {p.slug for p in upload.purposes.all()} == {"avatar", "cameo"}
    assert upload.source == ("partner" if source_partner else "portal")
    assert len(vault_storage()) == 2


def test_another_subjects_grant_does_not_count(subject, other_subject, avatar):
    grant_all(subject=other_subject, purposes=[avatar])

    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["avatar"])


def test_upload_naming_no_purpose_is_refused(subject):
    with pytest.raises(PurposesRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=[])

    assert not FaceUpload.objects.exists()


def test_consent_is_checked_before_the_image_is_even_looked_at(subject, avatar):
    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=b"not an image at all", purpose_slugs=["avatar"])

    assert not SubjectKey.objects.exists()


# --- Rule 9: retention ----------------------------------------------------------------------------
def test_retention_deadline_is_the_longest_retention_of_its_purposes(subject, avatar, cameo):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar, cameo])

    assert upload.retention_until == upload.created_at + timedelta(days=90)


def test_erase_expired_erases_what_is_past_its_deadline_and_nothing_else(subject, avatar, cameo, vault_storage):
    now = timezone.now()
    expired = FaceUploadFactory(subject=subject, purposes=[avatar], now=now - timedelta(days=31))
    almost = FaceUploadFactory(subject=subject, purposes=[avatar], now=now - timedelta(days=30) + timedelta(seconds=5))
    long_kept = FaceUploadFactory(subject=subject, purposes=[cameo], now=now - timedelta(days=31))
    fresh = FaceUploadFactory(subject=subject, purposes=[avatar])

    erased = uploads_erase_expired(now=now)

    assert erased == 1
    assert _gone(expired)
    assert all(_kept(upload) for upload in (almost, long_kept, fresh))
    assert len(vault_storage()) == 6


def test_erase_expired_tells_the_partner(subject, avatar):
    upload = _partner_upload(subject=subject, purposes=[avatar], now=timezone.now() - timedelta(days=31))

    uploads_erase_expired(now=timezone.now())

    assert len(_erased_events(upload.pk)) == 1


def test_erase_expired_is_safe_to_run_twice(subject, avatar):
    upload = _partner_upload(subject=subject, purposes=[avatar], now=timezone.now() - timedelta(days=31))

    first = uploads_erase_expired(now=timezone.now())
    second = uploads_erase_expired(now=timezone.now())

    assert (first, second) == (1, 0)
    assert _gone(upload)
    assert len(_erased_events(upload.pk)) == 1


# --- Rule 2: uploads left with no granted purpose ---------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_withdrawal_erases_uploads_left_with_no_granted_purpose_and_keeps_the_rest(
    subject, other_subject, avatar, cameo, celery_worker, django_capture_on_commit_callbacks
):
    # given uploads for avatar only, for avatar and cameo, for cameo only, and another subject's for avatar
    only_avatar = _partner_upload(subject=subject, purposes=[avatar])
    both = _partner_upload(subject=subject, purposes=[avatar, cameo])
    only_cameo = FaceUploadFactory(subject=subject, purposes=[cameo])
    someone_elses = FaceUploadFactory(subject=other_subject, purposes=[avatar])

    # when the subject withdraws avatar (the job runs after commit: eagerly, or on the real worker)
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)

    # then only the upload left with no granted purpose goes, and its partner is told
    assert _wait_until(lambda: _gone(only_avatar))
    assert len(_erased_events(only_avatar.pk)) == 1
    assert all(_kept(upload) for upload in (both, only_cameo, someone_elses))
    assert WebhookEvent.objects.filter(event_type="upload.erased").count() == 1


def test_erase_orphaned_is_safe_to_run_twice(subject, avatar):
    upload = _partner_upload(subject=subject, purposes=[avatar])
    consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)  # its job is not run here

    first = uploads_erase_orphaned(subject_id=subject.pk)
    second = uploads_erase_orphaned(subject_id=subject.pk)

    assert (first, second) == (1, 0)
    assert _gone(upload)
    assert len(_erased_events(upload.pk)) == 1


def test_upload_needing_reconsent_counts_as_orphaned(subject, avatar):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])
    purpose_publish_version(
        purpose=avatar, title="Avatars, now also for ads", description="...", retention_days=30, requires_reconsent=True
    )

    uploads_erase_orphaned(subject_id=subject.pk)

    assert _gone(upload)


def test_erase_one_upload_twice_is_safe(subject, avatar):
    upload = _partner_upload(subject=subject, purposes=[avatar])

    assert upload_erase(upload_id=upload.pk) is True
    assert upload_erase(upload_id=upload.pk) is False
    assert len(_erased_events(upload.pk)) == 1


# --- Concurrency (PostgreSQL): two jobs at once erase each upload exactly once -----------------------
def _run_twice_at_once(job) -> list:
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except Exception as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_orphan_jobs_at_once_erase_each_upload_exactly_once(subject, avatar):
    uploads = [_partner_upload(subject=subject, purposes=[avatar]) for _ in range(4)]
    # orphaned without a withdrawal, so no background job joins the race
    purpose_publish_version(
        purpose=avatar, title="Avatars, now also for ads", description="...", retention_days=30, requires_reconsent=True
    )

    results = _run_twice_at_once(lambda: uploads_erase_orphaned(subject_id=subject.pk))

    assert sum(results) == 4
    assert all(_gone(upload) for upload in uploads)
    assert all(len(_erased_events(upload.pk)) == 1 for upload in uploads)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_retention_jobs_at_once_erase_each_upload_exactly_once(subject, avatar):
    past = timezone.now() - timedelta(days=31)
    uploads = [_partner_upload(subject=subject, purposes=[avatar], now=past) for _ in range(4)]
    kept = FaceUploadFactory(subject=subject, purposes=[avatar])

    results = _run_twice_at_once(lambda: uploads_erase_expired(now=timezone.now()))

    assert sum(results) == 4
    assert all(_gone(upload) for upload in uploads)
    assert all(len(_erased_events(upload.pk)) == 1 for upload in uploads)
    assert _kept(kept)


# --- Rule 7 under a storage outage ----------------------------------------------------------------
def test_erasure_with_storage_unreachable_leaves_the_row_and_objects_for_a_retry(subject, avatar, s3_with_outage):
    upload = _partner_upload(subject=subject, purposes=[avatar])
    s3_with_outage.down()

    with pytest.raises(StorageUnavailable):
        upload_erase(upload_id=upload.pk)

    upload.refresh_from_db()
    assert upload.status == FaceUpload.Status.ERASING
    assert s3_with_outage.keys() == {upload.object_name, upload.thumbnail_object_name}
    assert _erased_events(upload.pk) == []


def test_erasure_finishes_once_storage_is_back(subject, avatar, s3_with_outage):
    upload = _partner_upload(subject=subject, purposes=[avatar])
    s3_with_outage.down()
    with pytest.raises(StorageUnavailable):
        upload_erase(upload_id=upload.pk)

    s3_with_outage.up()
    upload_erase(upload_id=upload.pk)

    assert not FaceUpload.objects.filter(pk=upload.pk).exists()
    assert s3_with_outage.keys() == set()
    assert len(_erased_events(upload.pk)) == 1


def test_the_sweep_finishes_an_erasure_an_outage_broke_off(subject, avatar, s3_with_outage):
    # given a partner's delete that met an outage; its purposes are still granted and its deadline is far off
    upload = _partner_upload(subject=subject, purposes=[avatar])
    s3_with_outage.down()
    with pytest.raises(StorageUnavailable):
        upload_erase(upload_id=upload.pk)

    # when storage is back and the periodic sweep runs
    s3_with_outage.up()
    uploads_sweep()

    # then the erasure is complete
    assert not FaceUpload.objects.filter(pk=upload.pk).exists()
    assert s3_with_outage.keys() == set()


def test_finishing_interrupted_erasures_leaves_stored_uploads_alone(subject, avatar):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])

    assert uploads_erase_interrupted() == 0
    assert _kept(upload)


# --- Rule 7 from the subject's page: erased now, or hidden and left to the sweep ---------------------
def test_a_delete_from_the_page_erases_at_once(subject, avatar):
    upload = _partner_upload(subject=subject, purposes=[avatar])

    assert upload_erase_or_defer(upload_id=upload.pk) is True
    assert _gone(upload)
    assert len(_erased_events(upload.pk)) == 1


def test_a_delete_from_the_page_during_an_outage_hides_the_upload_for_the_sweep(
    subject, avatar, s3_with_outage, caplog
):
    # given storage is down
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])
    s3_with_outage.down()

    # when the subject deletes the upload
    with caplog.at_level(logging.WARNING, logger="media_vault.services"):
        erased = upload_erase_or_defer(upload_id=upload.pk)

    # then nothing is raised, the row is hidden as `erasing`, the log names only the id, and the sweep finishes it
    assert erased is False
    assert FaceUpload.objects.get(pk=upload.pk).status == FaceUpload.Status.ERASING
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "media_vault.services" and r.levelno >= logging.WARNING
    ]
    assert warnings == [f"face upload erase interrupted upload={upload.pk}"]
    s3_with_outage.up()
    assert uploads_erase_interrupted() == 1
    assert s3_with_outage.keys() == set()
