"""The one way to queue a background job after its change has committed.

The row is the job (a webhook event, a data request, an upload marked for erasure) and a beat sweep queues
it again, so a broker outage must never fail the person's action: it is logged and the sweep catches up.
Without a broker (the embedded default), the job goes to a thread of this process instead of running
eagerly inside the person's request (config.embedded_jobs).
"""

import logging

from config.embedded_jobs import embedded_jobs, embedded_jobs_enabled

logger = logging.getLogger(__name__)


def task_enqueue(task, /, *, countdown: float = 0, **kwargs) -> bool:
    """Queue `task` (a Celery task object, never a name) with keyword ids; False when the broker refused."""
    if embedded_jobs_enabled():
        embedded_jobs().submit(task, countdown=countdown, kwargs=kwargs)
        return True
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown or None)
    except Exception:
        logger.exception("could not enqueue %s %s", task.name, sorted(kwargs))
        return False
    return True
