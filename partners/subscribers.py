"""What partners do when the consent core announces a change (registered in PartnersConfig.ready)."""

from consents.hooks import ConsentChange, RestrictionsChange
from partners.outbox import webhooks_enqueue_for_subject


def consent_changed_notify_partners(change: ConsentChange) -> None:
    """Rule 2: every linked partner gets `consent.granted` or `consent.withdrawn`, written to the outbox."""
    webhooks_enqueue_for_subject(
        subject=change.subject,
        event_type="consent.granted" if change.granted else "consent.withdrawn",
        data={"purpose": change.purpose.slug, "purpose_version": change.event.purpose_version},
    )


def restrictions_changed_notify_partners(change: RestrictionsChange) -> None:
    """Likeness restrictions: every linked partner gets `restrictions.changed` with the whole new set."""
    webhooks_enqueue_for_subject(
        subject=change.subject, event_type="restrictions.changed", data={"restrictions": list(change.restrictions)}
    )
