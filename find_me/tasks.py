"""Celery entry points: take ids, call a service. Every one is idempotent and safe to run twice at once."""

from celery import shared_task

from find_me import services
from media_vault.exceptions import StorageUnavailable


@shared_task(
    acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=10, ignore_result=True
)
def subject_enrol(*, subject_id: int) -> None:
    services.subject_enrol(subject_id=subject_id)


@shared_task(
    acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=10, ignore_result=True
)
def uploads_scan() -> None:
    services.uploads_scan_pending()


@shared_task(ignore_result=True)
def find_me_sweep() -> None:
    """Beat: uploads whose comparison was lost or died, and templates whose consent no longer counts."""
    services.find_me_forget_ungranted()
    services.uploads_scan_pending()
