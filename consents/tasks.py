"""Celery entry points: call a service. Every one is idempotent and safe to run twice at once."""

import contextlib

from celery import shared_task

from consents import services
from consents.checkpoints import CheckpointRefused, ledger_checkpoint_write


@shared_task(ignore_result=True)
def consents_expire() -> None:
    """Beat: grants whose expiry has passed end as withdrawals (channel `expiry`)."""
    services.consents_expire()


@shared_task(ignore_result=True)
def ledger_checkpoint() -> None:
    """Beat: sign the ledger as it stands and keep it outside the database. Refused (logged as an error by the
    service) while what changed since the last checkpoint does not verify; each run tries again."""
    with contextlib.suppress(CheckpointRefused):
        ledger_checkpoint_write()
