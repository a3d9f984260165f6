"""Every write to purposes and consents. Rules 1-3 and 8 of DESIGN.md."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from consents.exceptions import PurposeNotFound
from consents.ledger import GENESIS_HASH, event_hash, hash_of_event
from consents.models import Channel, ConsentEvent, ConsentState, LedgerHead, Purpose, PurposeVersion
from partners.outbox import webhooks_enqueue_for_subject

logger = logging.getLogger(__name__)


def actor_label(*, subject: User, actor) -> str:
    """How the ledger names who made a decision: never an email, only a role and an id."""
    if actor is None:
        return "system"
    if hasattr(actor, "ledger_actor_label"):  # a partner
        return actor.ledger_actor_label
    if actor.pk == subject.pk:
        return "subject"
    return f"staff:{actor.pk}"


@transaction.atomic
def ledger_append(*, subject: User, purpose: Purpose, granted: bool, channel: str, actor) -> ConsentEvent:
    """Rule 8: append one hash-chained event and move the subject's state to it, in one transaction.

    The ledger head is locked first, then the purpose, then the state row: every append takes the locks
    in that order, so concurrent decisions serialize without deadlock and the state always equals the
    last event.
    """
    head, _ = LedgerHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    # Read the purpose's version under a lock, so a version published at the same moment is either
    # wholly before this event or wholly after it.
    purpose = Purpose.objects.select_for_update().get(pk=purpose.pk)
    now = timezone.now()
    seq = head.last_seq + 1
    fields = {
        "seq": seq,
        "subject_ref": str(subject.ledger_ref),
        "purpose_slug": purpose.slug,
        "purpose_version": purpose.version,
        "granted": granted,
        "channel": channel,
        "actor": actor_label(subject=subject, actor=actor),
        "created_at": now,
        "prev_hash": head.last_hash,
    }
    event = ConsentEvent.objects.create(subject=subject, purpose=purpose, hash=event_hash(**fields), **fields)
    head.last_seq, head.last_hash = seq, event.hash
    head.save(update_fields=["last_seq", "last_hash"])
    state = ConsentState.objects.select_for_update().filter(subject=subject, purpose=purpose).first()
    if state is None:
        state = ConsentState(subject=subject, purpose=purpose)
    state.granted = granted
    state.purpose_version = purpose.version
    state.changed_at = now
    state.last_event = event
    state.save()
    logger.info("consent event seq=%s purpose=%s granted=%s channel=%s", seq, purpose.slug, granted, channel)
    return event


def _active_purpose(*, purpose_slug: str) -> Purpose:
    purpose = Purpose.objects.filter(slug=purpose_slug, active=True).first()
    if purpose is None:
        raise PurposeNotFound()
    return purpose


@transaction.atomic
def consent_decide(
    *, subject: User, purpose_slug: str, granted: bool, channel: str = Channel.WEB, actor=None
) -> ConsentEvent:
    """Rules 1-2: record a grant or a withdrawal for an active purpose; the same effort either way.

    Every linked partner gets `consent.granted` or `consent.withdrawn` through the outbox, written in
    this same transaction and delivered after commit.
    """
    purpose = _active_purpose(purpose_slug=purpose_slug)
    event = ledger_append(subject=subject, purpose=purpose, granted=granted, channel=channel, actor=actor)
    webhooks_enqueue_for_subject(
        subject=subject,
        event_type="consent.granted" if granted else "consent.withdrawn",
        data={"purpose": purpose.slug, "purpose_version": event.purpose_version},
    )
    if not granted:
        transaction.on_commit(lambda: _orphaned_uploads_erase_enqueue(subject_id=subject.pk))
    return event


def _orphaned_uploads_erase_enqueue(*, subject_id: int) -> None:
    """Rule 2: uploads left with no granted purpose go in the background (the beat sweep backs this up)."""
    from media_vault.tasks import uploads_erase_orphaned as uploads_erase_orphaned_task

    try:
        uploads_erase_orphaned_task.delay(subject_id=subject_id)
    except Exception:  # the withdrawal is already committed; the sweep erases within minutes anyway
        logger.exception("could not enqueue orphaned-upload erasure subject=%s", subject_id)


def consent_grant(*, subject: User, purpose_slug: str, channel: str = Channel.WEB, actor=None) -> ConsentEvent:
    """Rule 1: opt in to one purpose at its current version."""
    return consent_decide(subject=subject, purpose_slug=purpose_slug, granted=True, channel=channel, actor=actor)


def consent_withdraw(*, subject: User, purpose_slug: str, channel: str = Channel.WEB, actor=None) -> ConsentEvent:
    """Rule 2: withdraw one purpose, effective for the next check."""
    return consent_decide(subject=subject, purpose_slug=purpose_slug, granted=False, channel=channel, actor=actor)


@transaction.atomic
def purpose_create(
    *,
    slug: str,
    title: str,
    description: str,
    retention_days: int,
    position: int = 0,
    active: bool = True,
    actor: User | None = None,
) -> Purpose:
    """Create a purpose and publish its first version."""
    purpose = Purpose.objects.create(
        slug=slug,
        title=title,
        description=description,
        retention_days=retention_days,
        position=position,
        active=active,
        version=1,
        min_valid_version=1,
    )
    PurposeVersion.objects.create(
        purpose=purpose,
        version=1,
        title=title,
        description=description,
        retention_days=retention_days,
        requires_reconsent=False,
        change_note="First version",
        published_by=actor,
    )
    return purpose


@transaction.atomic
def purpose_publish_version(
    *,
    purpose: Purpose,
    title: str,
    description: str,
    retention_days: int,
    requires_reconsent: bool,
    change_note: str = "",
    actor: User | None = None,
) -> PurposeVersion:
    """Rule 3: publish a new version; if it requires re-consent, earlier grants stop counting."""
    purpose = Purpose.objects.select_for_update().get(pk=purpose.pk)
    purpose.version += 1
    purpose.title, purpose.description, purpose.retention_days = title, description, retention_days
    if requires_reconsent:
        purpose.min_valid_version = purpose.version
    purpose.save(update_fields=["version", "title", "description", "retention_days", "min_valid_version"])
    return PurposeVersion.objects.create(
        purpose=purpose,
        version=purpose.version,
        title=title,
        description=description,
        retention_days=retention_days,
        requires_reconsent=requires_reconsent,
        change_note=change_note,
        published_by=actor,
    )


@dataclass(frozen=True)
class LedgerVerification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def ledger_verify() -> LedgerVerification:
    """Rule 8: walk the whole chain in order; report the first event whose link or hash is wrong."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in ConsentEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return LedgerVerification(False, checked, expected_seq, f"event #{expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return LedgerVerification(False, checked, event.seq, "its previous-hash does not match the event before")
        if hash_of_event(event) != event.hash:
            return LedgerVerification(False, checked, event.seq, "its content does not match its hash")
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = LedgerHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return LedgerVerification(False, checked, head.last_seq, "events at the end of the ledger are missing")
    return LedgerVerification(True, checked)
