"""Celery entry points: take ids, call a service. Every one is idempotent and safe to run twice at once."""

from celery import shared_task

from media_vault import services
from media_vault.exceptions import StorageUnavailable


@shared_task(
    acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=10, ignore_result=True
)
def uploads_erase_orphaned(*, subject_id: int) -> None:
    services.uploads_erase_orphaned(subject_id=subject_id)


@shared_task(
    acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=10, ignore_result=True
)
def upload_erase(*, upload_id: str) -> None:
    services.upload_erase(upload_id=upload_id)


@shared_task(ignore_result=True)
def uploads_sweep() -> None:
    """Beat: uploads past retention, orphans whose withdrawal task was lost, and erasures an outage broke off."""
    services.uploads_erase_expired()
    services.uploads_erase_orphaned()
    services.uploads_erase_interrupted()
