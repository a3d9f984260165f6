"""The one way to queue a background job after its change has committed.

The row is the job (a webhook event, a data request, an upload marked for erasure) and a beat sweep queues
it again, so a broker outage must never fail the person's action: it is logged and the sweep catches up.
"""

import logging

logger = logging.getLogger(__name__)


def task_enqueue(task, /, *, countdown: float = 0, **kwargs) -> bool:
    """Queue `task` (a Celery task object, never a name) with keyword ids; False when the broker refused."""
    try:
        task.apply_async(kwargs=kwargs, countdown=countdown or None)
    except Exception:
        logger.exception("could not enqueue %s %s", task.name, sorted(kwargs))
        return False
    return True
