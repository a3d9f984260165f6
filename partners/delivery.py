"""Sending webhooks: one signed POST per attempt, every attempt a row, retries with backoff, the sweep.

Standard Webhooks: `webhook-id` stays the same across retries, every attempt is signed afresh with its
own timestamp, only 2xx counts, redirects are not followed, an attempt gives up after 15 s. Retries back
off exponentially with jitter; an event is marked failed once WEBHOOK_RETRY_WINDOW has passed.
"""

import json
import logging
import random
import time
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from partners.doorbell import webhook_ring
from partners.exceptions import WebhookUrlRejected
from partners.models import WebhookAttempt, WebhookEvent
from partners.url_safety import webhook_url_resolve

logger = logging.getLogger(__name__)

ATTEMPT_TIMEOUT_SECONDS = 15
LEASE = timedelta(seconds=60)


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
            transaction.on_commit(lambda: webhook_ring(event_id=event.pk, countdown=delay))
    return event


def webhook_event_ids_due(*, now: datetime) -> list[int]:
    """Pending events whose next attempt is due, including ones whose worker died mid-attempt."""
    return list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.PENDING, next_attempt_at__lte=now)
        .exclude(lease_until__gt=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )


def webhook_sweep(*, now: datetime | None = None) -> int:
    """Beat job: ring for every pending event that is due."""
    due = webhook_event_ids_due(now=now or timezone.now())
    for event_id in due:
        webhook_ring(event_id=event_id)
    return len(due)
