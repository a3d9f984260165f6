"""Without a broker (the embedded default), a thread of the web process sends the webhooks."""

import logging
import os
import threading

from django.conf import settings
from django.db import connections
from django.utils import timezone

from config.threads import PerProcess
from partners.delivery import webhook_deliver, webhook_event_ids_due

logger = logging.getLogger(__name__)


class EmbeddedDeliverer:
    """Without a broker, one daemon thread per process sends due webhooks, first tries and retries alike.

    The embedded default (`make run`) has no worker and no beat: eager Celery would send inside the
    request that made the change, and nothing would ever retry. The thread wakes when a change commits
    and every WEBHOOK_EMBEDDED_POLL_SECONDS otherwise; the outbox rows stay the record, as with Celery.
    """

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stopped = False
        self.pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="webhook-delivery", daemon=True)
        self._thread.start()

    def wake(self, *, delay: float = 0) -> None:
        if delay <= 0:  # a later retry is found by the next poll
            self._wake.set()

    def deliver_due(self) -> int:
        due = webhook_event_ids_due(now=timezone.now())
        for event_id in due:
            webhook_deliver(event_id=event_id)
        return len(due)

    def stop(self, timeout: float = 20) -> None:
        """Let the current attempt finish, then end the thread."""
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stopped

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=settings.WEBHOOK_EMBEDDED_POLL_SECONDS)
            self._wake.clear()
            if self._stopped:
                connections.close_all()
                return
            try:
                self.deliver_due()
            except Exception:  # keep the thread alive; the rows are still pending and are tried again
                logger.exception("embedded webhook delivery failed")
            finally:
                connections.close_all()  # this thread's own connections


_deliverer: PerProcess[EmbeddedDeliverer] = PerProcess(EmbeddedDeliverer)


def embedded_deliverer() -> EmbeddedDeliverer:
    """This process's deliverer thread, started on first use (and again in a forked child)."""
    return _deliverer.get()
