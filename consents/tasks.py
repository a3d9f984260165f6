"""Celery entry points: call a service. Every one is idempotent and safe to run twice at once."""

from celery import shared_task

from consents import services


@shared_task(ignore_result=True)
def consents_expire() -> None:
    """Beat: grants whose expiry has passed end as withdrawals (channel `expiry`)."""
    services.consents_expire()
