"""Celery entry points: take ids, call a service. Every one is safe to run twice."""

from celery import shared_task

from partners import delivery


@shared_task(acks_late=True, ignore_result=True)
def webhook_deliver(*, event_id: int) -> None:
    delivery.webhook_deliver(event_id=event_id)


@shared_task(ignore_result=True)
def webhook_sweep() -> None:
    delivery.webhook_sweep()
