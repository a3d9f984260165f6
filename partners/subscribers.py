"""What partners do when the consent core announces a change, and who the subject's apps are (registered in
PartnersConfig.ready)."""

from accounts.models import User
from consents.hooks import ConnectedApp, ConsentChange, RestrictionsChange
from consents.models import SCOPE_ALL_APPS, SCOPE_THIS_APP
from consents.selectors import consent_exception_link_refs
from partners.models import Link
from partners.outbox import webhook_enqueue, webhooks_enqueue_for_subject


def consent_changed_notify_partners(change: ConsentChange) -> None:
    """Rule 2, per app: only the partners whose answer changed are told (`consent.granted` / `consent.withdrawn`,
    written to the outbox). A decision for all apps skips the apps with their own exception for the purpose; a
    per-app decision goes to that app alone."""
    event_type = "consent.granted" if change.granted else "consent.withdrawn"
    data = {"purpose": change.purpose.slug, "purpose_version": change.event.purpose_version}
    if change.link_ref is None:
        webhooks_enqueue_for_subject(
            subject=change.subject,
            event_type=event_type,
            data={**data, "scope": SCOPE_ALL_APPS},
            exclude_link_ids=consent_exception_link_refs(subject=change.subject, purpose=change.purpose),
        )
        return
    link = (
        Link.objects.filter(pk=change.link_ref, subject=change.subject, unlinked_at__isnull=True)
        .select_related("partner")
        .first()
    )
    if link is not None:
        scope = SCOPE_ALL_APPS if change.event.exception_removed else SCOPE_THIS_APP
        webhook_enqueue(link=link, event_type=event_type, data={**data, "scope": scope})


def restrictions_changed_notify_partners(change: RestrictionsChange) -> None:
    """Likeness restrictions: every linked partner gets `restrictions.changed` with the whole new set."""
    webhooks_enqueue_for_subject(
        subject=change.subject, event_type="restrictions.changed", data={"restrictions": list(change.restrictions)}
    )


def connected_apps_of_subject(subject: User) -> list[ConnectedApp]:
    """Every connection the subject has had, active ones first, newest first: for per-app exceptions."""
    links = Link.objects.filter(subject=subject).select_related("partner").order_by("unlinked_at", "-linked_at")
    return [
        ConnectedApp(
            link_ref=link.pk, link_id=str(link.pairwise_id), name=link.partner.name, active=link.unlinked_at is None
        )
        for link in links
    ]
