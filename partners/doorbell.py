"""The doorbell: ask whatever sends webhooks in this process to make an attempt at an event.

With a broker that is the Celery task; without one (the embedded default) the delivery thread, because an
eager task would send inside the subject's request. The outbox rings after commit and delivery rings for a
short retry, but the senders import delivery, so they are connected here once at start-up
(PartnersConfig.ready) instead of imported: the dependency runs one way, senders -> delivery -> doorbell.
"""

from collections.abc import Callable
from typing import Any

from celery import Task
from django.conf import settings

from config.enqueue import task_enqueue

_senders: dict[str, Any] = {}


def doorbell_connect(*, task: Task, thread: Callable[[], Any]) -> None:
    """Connect the senders: the Celery task taking `event_id`, and the getter of this process's delivery thread."""
    _senders.update(task=task, thread=thread)


def webhook_ring(*, event_id: int, countdown: float = 0) -> None:
    """Ask for an attempt at the event in `countdown` seconds; a broker outage is logged and left to the sweep."""
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.WEBHOOK_EMBEDDED_BACKGROUND:
        _senders["thread"]().wake(delay=countdown)
        return
    task_enqueue(_senders["task"], countdown=countdown, event_id=event_id)
