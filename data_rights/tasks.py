"""Celery doorbells for data requests: take the request id, call the service (which claims the row)."""

from celery import shared_task

from data_rights import services
from data_rights.models import DataRequest


@shared_task(acks_late=True, ignore_result=True)
def export_build(*, request_id: str) -> None:
    services.export_build(request_id=request_id)


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def subject_erase(self, *, request_id: str) -> None:
    """Retried with backoff until the request is done or failed (the service counts attempts, max five)."""
    try:
        services.subject_erase(request_id=request_id)
    except Exception as error:
        if DataRequest.objects.filter(pk=request_id, status=DataRequest.Status.QUEUED).exists():
            raise self.retry(exc=error, countdown=min(600, 10 * 2**self.request.retries)) from error
        raise


@shared_task(ignore_result=True)
def data_requests_sweep() -> None:
    services.exports_expire()
    services.data_requests_sweep()
