"""Export (rule 6) and erasure (rule 7). Every job claims its row, is idempotent and can be resumed."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import StaffAction, User
from accounts.services import account_disable, staff_action_log
from appearances.selectors import appearance_thumbnail_files_for_export, appearance_thumbnail_path
from config.enqueue import task_enqueue
from consents.selectors import purpose_titles_by_slug
from data_rights import tasks
from data_rights.archive import archive_stream
from data_rights.erasure import erase_everything
from data_rights.exceptions import ErasureInProgress, ExportInProgress, InvalidPassword
from data_rights.models import DataRequest
from data_rights.selectors import export_sections_for_subject
from media_vault.selectors import upload_files_for_export
from media_vault.services import export_download_record
from media_vault.storage import (
    subject_data_key,
    subject_data_key_existing,
    vault_object_delete,
    vault_object_read,
    vault_stream_put,
    vault_stream_read,
)

logger = logging.getLogger(__name__)

EXPORT_LIFETIME = timedelta(days=7)
MAX_ATTEMPTS = 5


def _enqueue(*, request_id, kind: str) -> None:
    """Ring the job's doorbell; the row is the job, so a broker outage only delays it until the beat sweep."""
    task = (
        tasks.export_build if kind == DataRequest.Kind.EXPORT else tasks.subject_erase
    )  # tasks <-> services: module imports
    task_enqueue(task, request_id=str(request_id))


# --- Claiming ------------------------------------------------------------------------------------


def _claim(*, request_id, kind: str, now: datetime) -> DataRequest | None:
    """Take a queued job, or a running one whose worker died (lease expired). None: nothing to do."""
    lease = timedelta(seconds=settings.DATA_REQUEST_LEASE_SECONDS)
    with transaction.atomic():
        job = (
            DataRequest.objects.select_for_update(skip_locked=True)
            .filter(pk=request_id, kind=kind)
            .filter(Q(status=DataRequest.Status.QUEUED) | Q(status=DataRequest.Status.RUNNING, lease_until__lt=now))
            .first()
        )
        if job is None:
            return None
        job.status, job.lease_until = DataRequest.Status.RUNNING, now + lease
        job.started_at = job.started_at or now
        job.attempts += 1
        job.save(update_fields=["status", "lease_until", "started_at", "attempts"])
        return job


def _record_failure(*, job: DataRequest, error: Exception) -> None:
    """Count a failed attempt; after MAX_ATTEMPTS the job is failed and shown to staff, never retried forever."""
    status = DataRequest.Status.FAILED if job.attempts >= MAX_ATTEMPTS else DataRequest.Status.QUEUED
    DataRequest.objects.filter(pk=job.pk).update(
        status=status, lease_until=None, last_error=f"{type(error).__name__}: {error}"[:500]
    )
    logger.warning("data request %s attempt %s failed: %s", job.pk, job.attempts, type(error).__name__)


def _renew(*, job: DataRequest, done: int, total: int) -> None:
    lease = timezone.now() + timedelta(seconds=settings.DATA_REQUEST_LEASE_SECONDS)
    DataRequest.objects.filter(pk=job.pk).update(progress_done=done, progress_total=total, lease_until=lease)


# --- Export --------------------------------------------------------------------------------------


@transaction.atomic
def export_request(*, subject: User) -> DataRequest:
    """Rule 6: queue an export; one at a time per subject."""
    try:
        with transaction.atomic():
            export = DataRequest.objects.create(subject=subject, kind=DataRequest.Kind.EXPORT)
    except IntegrityError as error:
        raise ExportInProgress() from error
    transaction.on_commit(lambda: _enqueue(request_id=export.pk, kind=DataRequest.Kind.EXPORT))
    return export


def export_build(*, request_id, now: datetime | None = None) -> DataRequest | None:
    """Build the archive of DESIGN.md as a stream, encrypt and store it; mark it ready for 7 days."""
    now = now or timezone.now()
    job = _claim(request_id=request_id, kind=DataRequest.Kind.EXPORT, now=now)
    if job is None:
        return None
    if job.subject is None:  # the subject was erased meanwhile: nothing to export, ever
        DataRequest.objects.filter(pk=job.pk).update(
            status=DataRequest.Status.FAILED, lease_until=None, last_error="The subject no longer exists."
        )
        return None
    subject = job.subject
    try:
        sections = export_sections_for_subject(subject=subject)
        data_key = subject_data_key(subject=subject)
        files = _export_files(subject=subject, sections=sections)

        def images():
            for done, (path, object_name) in enumerate(files, start=1):
                yield path, _image_chunks(data_key=data_key, name=object_name)
                if done % 50 == 0:
                    _renew(job=job, done=done, total=len(files))

        name, size = vault_stream_put(
            data_key=data_key,
            chunks=archive_stream(sections=sections, images=images(), now=now, purpose_titles=purpose_titles_by_slug()),
        )
    except Exception as error:
        _record_failure(job=job, error=error)
        raise
    finished = timezone.now()
    with transaction.atomic():
        updated = DataRequest.objects.filter(pk=job.pk, status=DataRequest.Status.RUNNING).update(
            status=DataRequest.Status.READY,
            archive_object_name=name,
            archive_size=size,
            finished_at=finished,
            expires_at=finished + EXPORT_LIFETIME,
            lease_until=None,
            progress_done=len(files),
            progress_total=len(files),
            last_error="",
        )
    if not updated:  # someone else finished or cancelled it meanwhile: keep no orphan archive
        vault_object_delete(name=name)
        return None
    _notify(
        address=subject.email,
        template_prefix="data_rights/email/export_ready",
        context={"expires_at": finished + EXPORT_LIFETIME},
    )
    logger.info("export ready request=%s size=%s files=%s", job.pk, size, len(files))
    return DataRequest.objects.get(pk=job.pk)


def _export_files(*, subject: User, sections: dict) -> list[tuple[str, str]]:
    """(path in the archive, stored object name) of every image the archive holds: each stored upload, then each
    appearance thumbnail that appearances.json names (so index.html never shows a picture the archive lacks)."""
    uploads = [
        (f"uploads/{upload_id}.{ext}", object_name)
        for upload_id, object_name, ext in upload_files_for_export(subject=subject)
    ]
    named = {a["thumbnail"] for a in sections["appearances.json"] if a["thumbnail"]}
    thumbnails = [
        (path, object_name)
        for appearance_id, object_name in appearance_thumbnail_files_for_export(subject=subject)
        if (path := appearance_thumbnail_path(appearance_id=appearance_id)) in named
    ]
    return uploads + thumbnails


def _image_chunks(*, data_key: bytes, name: str):
    """One stored image, decrypted (images are single-chunk objects of at most a few MB)."""
    yield vault_object_read(data_key=data_key, name=name)


def export_download_stream(*, export: DataRequest, subject: User):
    """Rule 5: the decrypted archive, chunk by chunk; the download is logged as an access event."""
    export_download_record(subject=subject)
    return vault_stream_read(data_key=subject_data_key_existing(subject=subject), name=export.archive_object_name)


def exports_expire(*, now: datetime | None = None) -> int:
    """Beat: delete archives past their 7 days; the request row stays, marked expired."""
    now = now or timezone.now()
    expired = 0
    for export in DataRequest.objects.filter(
        kind=DataRequest.Kind.EXPORT, status=DataRequest.Status.READY, expires_at__lte=now
    ):
        vault_object_delete(name=export.archive_object_name)
        expired += DataRequest.objects.filter(pk=export.pk, status=DataRequest.Status.READY).update(
            status=DataRequest.Status.EXPIRED, archive_object_name=""
        )
    return expired


def _notify(*, address: str, template_prefix: str, context: dict) -> None:
    """Send one email as allauth does: `<prefix>_subject.txt`, and `_message.txt` with `_message.html` as its HTML part."""
    subject_line = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text = render_to_string(f"{template_prefix}_message.txt", context).strip()
    html = render_to_string(f"{template_prefix}_message.html", context)
    send_mail(subject_line, text, None, [address], html_message=html)


# --- Erasure -------------------------------------------------------------------------------------


def _erasure_open(*, subject: User, notify_email: str) -> DataRequest:
    """Rule 7, at once: the erasure row, the account disabled and every session ended (caller's transaction)."""
    try:
        with transaction.atomic():
            erasure = DataRequest.objects.create(
                subject=subject, kind=DataRequest.Kind.ERASURE, notify_email=notify_email
            )
    except IntegrityError as error:
        raise ErasureInProgress() from error
    # The sessions end now, so the job's later sweep of them finds none: the receipt counts them here.
    erasure.receipt = {"sessions": account_disable(subject=subject)}
    erasure.save(update_fields=["receipt"])
    return erasure


@transaction.atomic
def erasure_request(*, subject: User, password: str) -> DataRequest:
    """Rule 7, at once: check the password, close the account, end and count its sessions; erase in the background."""
    if not subject.check_password(password):
        raise InvalidPassword()
    erasure = _erasure_open(subject=subject, notify_email=subject.email)
    transaction.on_commit(lambda: _enqueue(request_id=erasure.pk, kind=DataRequest.Kind.ERASURE))
    return erasure


def subject_erase_now(*, subject: User) -> DataRequest:
    """Rule 7 for operators' commands (the demo reset): the same erasure and receipt, run to the end in this process.

    An erasure the subject already asked for is taken up rather than doubled. No receipt email: the subject did not
    ask. Raises ErasureInProgress while a worker holds the job; a crash leaves the row for the beat sweep.
    """
    erasure = DataRequest.objects.filter(
        subject=subject, kind=DataRequest.Kind.ERASURE, status__in=DataRequest.ACTIVE
    ).first()
    if erasure is None:
        with transaction.atomic():
            erasure = _erasure_open(subject=subject, notify_email="")
    subject_erase(request_id=erasure.pk)
    erasure.refresh_from_db()
    if erasure.status != DataRequest.Status.DONE:
        raise ErasureInProgress()
    return erasure


def subject_erase(*, request_id, now: datetime | None = None) -> DataRequest | None:
    """Erase everything held about the subject; resumable at any point; done only when nothing remains."""
    now = now or timezone.now()
    job = _claim(request_id=request_id, kind=DataRequest.Kind.ERASURE, now=now)
    if job is None:
        return None
    try:
        counts = erase_everything(job=job, renew=lambda done, total: _renew(job=job, done=done, total=total))
    except Exception as error:
        _record_failure(job=job, error=error)
        raise
    email = job.notify_email
    with transaction.atomic():
        DataRequest.objects.filter(pk=job.pk).update(
            status=DataRequest.Status.DONE, finished_at=timezone.now(), lease_until=None, receipt=counts, last_error=""
        )
    if email:
        try:
            _notify(
                address=email,
                template_prefix="data_rights/email/erasure_receipt",
                context={"erasure": DataRequest.objects.get(pk=job.pk)},
            )
        except Exception as error:  # the job is done and never runs again: keep no address for a failed mail
            logger.warning("erasure receipt not sent request=%s: %s", job.pk, type(error).__name__)
        DataRequest.objects.filter(pk=job.pk).update(notify_email="")
    logger.info("erasure done request=%s", job.pk)
    return DataRequest.objects.get(pk=job.pk)


def data_requests_sweep(*, now: datetime | None = None) -> int:
    """Beat: queue again every job that is queued or whose worker died (Sentry's reattempt_deletions)."""
    now = now or timezone.now()
    stuck = DataRequest.objects.filter(
        Q(status=DataRequest.Status.QUEUED) | Q(status=DataRequest.Status.RUNNING, lease_until__lt=now)
    ).values_list("pk", "kind")
    for request_id, kind in stuck:
        _enqueue(request_id=request_id, kind=kind)
    return len(stuck)


@transaction.atomic
def data_request_retry(*, request: DataRequest, actor: User) -> DataRequest:
    """Staff action: give a failed job a fresh set of attempts; the retry is in the staff audit log."""
    updated = DataRequest.objects.filter(pk=request.pk, status=DataRequest.Status.FAILED).update(
        status=DataRequest.Status.QUEUED, attempts=0, lease_until=None
    )
    if updated:
        staff_action_log(
            actor=actor,
            kind=StaffAction.Kind.CHANGE,
            subject=request.subject,
            target=f"{DataRequest._meta.label}:{request.pk}",
            reason="retry",
        )
        transaction.on_commit(lambda: _enqueue(request_id=request.pk, kind=request.kind))
    return DataRequest.objects.get(pk=request.pk)


def data_requests_retry(*, requests: QuerySet[DataRequest], actor: User) -> int:
    """Staff action: retry each failed job among `requests` (each in its own transaction); returns how many."""
    failed = requests.filter(status=DataRequest.Status.FAILED)
    return sum(
        data_request_retry(request=request, actor=actor).status == DataRequest.Status.QUEUED for request in failed
    )
