"""The webhook outbox: written in the change's transaction, delivered by Celery after commit (without a
broker, by a thread of the web process: EmbeddedDeliverer).

Standard Webhooks: `webhook-id` stays the same across retries, every attempt is signed afresh with its
own timestamp, only 2xx counts, redirects are not followed, an attempt gives up after 15 s. Retries back
off exponentially with jitter; an event is marked failed once WEBHOOK_RETRY_WINDOW has passed.
"""

import json
import logging
import os
import random
import threading
import time
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from standardwebhooks import Webhook

from partners.exceptions import WebhookUrlRejected
from partners.models import Link, WebhookAttempt, WebhookEvent
from partners.url_safety import webhook_url_resolve

logger = logging.getLogger(__name__)

ATTEMPT_TIMEOUT_SECONDS = 15
LEASE = timedelta(seconds=60)


def webhook_payload(*, event_type: str, created_at: datetime, data: dict) -> dict:
    """The body of a webhook and of an event-feed entry: {"type", "timestamp", "data"}."""
    return {"type": event_type, "timestamp": created_at.isoformat().replace("+00:00", "Z"), "data": data}


def webhook_enqueue(*, link: Link, event_type: str, data: dict) -> WebhookEvent:
    """Write one outbox row for the link's partner, in the caller's transaction; deliver after commit."""
    now = timezone.now()
    partner = link.partner
    body_data = {"subject_id": str(link.pairwise_id), **data}
    has_url = bool(partner.webhook_url) and partner.active
    event = WebhookEvent.objects.create(
        partner=partner,
        link=link,
        event_type=event_type,
        payload=webhook_payload(event_type=event_type, created_at=now, data=body_data),
        created_at=now,
        retry_from=now,
        status=WebhookEvent.Status.PENDING if has_url else WebhookEvent.Status.FEED_ONLY,
        next_attempt_at=now if has_url else None,
    )
    if has_url:
        transaction.on_commit(lambda: _ring(event_id=event.pk))
    return event


def webhooks_enqueue_for_subject(*, subject, event_type: str, data: dict) -> list[WebhookEvent]:
    """One event to every partner the subject is linked to now."""
    links = Link.objects.filter(subject=subject, unlinked_at__isnull=True).select_related("partner")
    return [webhook_enqueue(link=link, event_type=event_type, data=data) for link in links]


def _ring(*, event_id: int, countdown: float = 0) -> None:
    from partners.tasks import webhook_deliver as webhook_deliver_task

    if settings.CELERY_TASK_ALWAYS_EAGER and settings.WEBHOOK_EMBEDDED_BACKGROUND:
        # No broker (the embedded default): an eager task would send inside the subject's request.
        embedded_deliverer().wake(delay=countdown)
        return
    try:
        webhook_deliver_task.apply_async(kwargs={"event_id": event_id}, countdown=countdown)
    except Exception:  # a broker outage must not fail the subject's action; the sweep re-queues it
        logger.exception("could not enqueue webhook delivery event=%s", event_id)


def retry_delay(*, attempt: int) -> float:
    """Seconds before retry `attempt` (1-based): exponential, capped, with full jitter on the top half."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS * (2 ** (attempt - 1))
    capped = min(base, settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS)
    return capped / 2 + random.uniform(0, capped / 2)  # noqa: S311 (jitter, not security)


def _claim(*, event_id: int, now: datetime) -> WebhookEvent | None:
    """Take the event for one attempt: a conditional update, so two workers never send it at once."""
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True)
            .select_related("partner")
            .filter(pk=event_id, status=WebhookEvent.Status.PENDING)
            .first()
        )
        if event is None or (event.lease_until and event.lease_until > now):
            return None
        if event.next_attempt_at and event.next_attempt_at > now:
            return None
        event.lease_until = now + LEASE
        event.attempt_count += 1
        event.save(update_fields=["lease_until", "attempt_count"])
        return event


def _send(*, event: WebhookEvent) -> tuple[int | None, str]:
    """POST the signed body to the partner; returns (status code, error). No database work here."""
    partner = event.partner
    body = json.dumps(event.payload, separators=(",", ":"))
    sent_at = timezone.now()
    signature = Webhook(partner.webhook_secret).sign(event.webhook_id, sent_at, body)
    headers = {
        "content-type": "application/json",
        "user-agent": "face-privacy-portal-webhooks/1",
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    try:
        scheme, host, port, address = webhook_url_resolve(url=partner.webhook_url)
    except WebhookUrlRejected as error:
        return None, error.detail
    url = urllib3.util.parse_url(partner.webhook_url)
    path = url.request_uri or "/"
    headers["host"] = host if port in (80, 443) else f"{host}:{port}"
    timeout = urllib3.Timeout(total=ATTEMPT_TIMEOUT_SECONDS)
    retries = urllib3.Retry(total=False, redirect=False)
    # Connect to the address we checked, not to a second DNS answer; TLS still verifies the host name.
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=host, assert_hostname=host, timeout=timeout, retries=retries
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=retries)
    try:
        with pool:
            response = pool.urlopen(
                "POST", path, body=body.encode(), headers=headers, redirect=False, preload_content=True
            )
            return response.status, ""
    except urllib3.exceptions.HTTPError as error:
        return None, f"{type(error).__name__}: {error}"[:500]


def webhook_deliver(*, event_id: int, now: datetime | None = None) -> WebhookEvent | None:
    """Make one delivery attempt if the event is due; record it; schedule the next or settle the event."""
    clock_given = now is not None
    now = now or timezone.now()
    event = _claim(event_id=event_id, now=now)
    if event is None:
        return None
    started = time.monotonic()
    status_code, error = _send(event=event)
    duration_ms = int((time.monotonic() - started) * 1000)
    success = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not success:
        error = f"HTTP {status_code}"
    finished = now if clock_given else timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            event=event,
            attempted_at=finished,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            success=success,
        )
        event.lease_until = None
        if success:
            event.status, event.delivered_at, event.next_attempt_at = WebhookEvent.Status.DELIVERED, finished, None
        elif finished >= event.retry_from + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS):
            event.status, event.next_attempt_at = WebhookEvent.Status.FAILED, None
        else:
            event.next_attempt_at = finished + timedelta(seconds=retry_delay(attempt=event.attempt_count))
        event.save(update_fields=["status", "delivered_at", "next_attempt_at", "lease_until"])
    logger.info("webhook event=%s attempt=%s status=%s", event.pk, event.attempt_count, status_code or error[:60])
    if event.status == WebhookEvent.Status.PENDING:
        delay = (event.next_attempt_at - finished).total_seconds()
        if delay <= settings.WEBHOOK_SHORT_RETRY_SECONDS:  # longer waits are picked up by the sweep
            transaction.on_commit(lambda: _ring(event_id=event.pk, countdown=delay))
    return event


def _due_event_ids(*, now: datetime) -> list[int]:
    """Pending events whose next attempt is due, including ones whose worker died mid-attempt."""
    return list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING, next_attempt_at__lte=now)
        .exclude(lease_until__gt=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )


def webhook_sweep(*, now: datetime | None = None) -> int:
    """Beat job: ring for every pending event that is due."""
    due = _due_event_ids(now=now or timezone.now())
    for event_id in due:
        _ring(event_id=event_id)
    return len(due)


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
        due = _due_event_ids(now=timezone.now())
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


_embedded: list[EmbeddedDeliverer] = []
_embedded_lock = threading.Lock()


def embedded_deliverer() -> EmbeddedDeliverer:
    """This process's deliverer thread, started on first use (and again in a forked child)."""
    with _embedded_lock:
        if not _embedded or _embedded[0].pid != os.getpid() or not _embedded[0].running:
            _embedded[:] = [EmbeddedDeliverer()]
        return _embedded[0]


@transaction.atomic
def webhook_redeliver(*, event: WebhookEvent) -> WebhookEvent:
    """Staff action: send a failed or delivered event again, as a fresh series of attempts."""
    now = timezone.now()
    event = WebhookEvent.objects.select_for_update().get(pk=event.pk)
    if not event.partner.webhook_url:
        return event
    event.status, event.next_attempt_at, event.lease_until = WebhookEvent.Status.PENDING, now, None
    event.retry_from = now  # a fresh retry window; the webhook-id stays the same
    event.save(update_fields=["status", "next_attempt_at", "lease_until", "retry_from"])
    transaction.on_commit(lambda: _ring(event_id=event.pk))
    return event
