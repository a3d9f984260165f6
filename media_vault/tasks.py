"""Celery entry points: take ids, call a service. Every one is idempotent and safe to run twice at once."""

from celery import shared_task

from media_vault.exceptions import StorageUnavailable


@shared_task(
    acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=10, ignore_result=True
)
def uploads_erase_orphaned(*, subject_id: int) -> None:
    from media_vault.services import uploads_erase_orphaned

    uploads_erase_orphaned(subject_id=subject_id)


@shared_task(
    acks_late=True, autoretry_for=(StorageUnavailable,), retry_backoff=True, max_retries=10, ignore_result=True
)
def upload_erase(*, upload_id: str) -> None:
    from media_vault.services import upload_erase

    upload_erase(upload_id=upload_id)


@shared_task(ignore_result=True)
def uploads_sweep() -> None:
    """Beat: uploads past retention, orphans whose withdrawal task was lost, and erasures an outage broke off."""
    from media_vault.services import uploads_erase_expired, uploads_erase_interrupted, uploads_erase_orphaned

    uploads_erase_expired()
    uploads_erase_orphaned()
    uploads_erase_interrupted()
