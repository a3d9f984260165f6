"""The webhook outbox: one row per event, written in the transaction of the change it reports.

The row is the job: the doorbell is rung only after commit, so a rolled-back change sends nothing, and
the rows stay the record of what each partner was told (they are also the partner's event feed).
"""

from collections.abc import Collection
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import StaffAction, User
from accounts.services import staff_action_log
from partners.doorbell import webhook_ring
from partners.models import Link, WebhookEvent


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
        transaction.on_commit(lambda: webhook_ring(event_id=event.pk))
    return event


def webhooks_enqueue_for_subject(
    *, subject, event_type: str, data: dict, exclude_link_ids: Collection[int] = ()
) -> list[WebhookEvent]:
    """One event to every partner the subject is linked to now (but those of `exclude_link_ids`)."""
    links = (
        Link.objects.filter(subject=subject, unlinked_at__isnull=True)
        .exclude(pk__in=exclude_link_ids)
        .select_related("partner")
    )
    return [webhook_enqueue(link=link, event_type=event_type, data=data) for link in links]


@transaction.atomic
def webhook_redeliver(*, event: WebhookEvent, actor: User | None) -> WebhookEvent:
    """Staff action (rule 8): send a failed or delivered event again, as a fresh series of attempts; audited."""
    now = timezone.now()
    event = WebhookEvent.objects.select_for_update(of=("self",)).select_related("partner", "link").get(pk=event.pk)
    if not event.partner.webhook_url:
        return event
    event.status, event.next_attempt_at, event.lease_until = WebhookEvent.Status.PENDING, now, None
    event.retry_from = now  # a fresh retry window; the webhook-id stays the same
    event.save(update_fields=["status", "next_attempt_at", "lease_until", "retry_from"])
    staff_action_log(
        actor=actor,
        kind=StaffAction.Kind.CHANGE,
        subject=event.link.subject if event.link else None,
        target=f"partners.WebhookEvent:{event.pk}",
        reason="redeliver",
    )
    transaction.on_commit(lambda: webhook_ring(event_id=event.pk))
    return event
