"""Writes for appearances: a partner's report and confirmation, the subject's takedown request, erasure."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from appearances.exceptions import InvalidSourceUploads, TakedownNotPossible
from appearances.models import Appearance
from appearances.selectors import appearances_live_under_purpose
from consents.models import Purpose
from media_vault.ingest import image_ingest
from media_vault.selectors import upload_list_for_partner
from media_vault.services import purposes_all_granted
from media_vault.storage import subject_data_key, vault_object_delete, vault_object_put, vault_objects_delete
from partners.outbox import webhook_enqueue
from partners.selectors import link_latest_for_partner_and_subject

logger = logging.getLogger(__name__)

TAKEDOWN_WINDOW = timedelta(hours=48)


def _source_uploads_check(*, partner, subject: User, upload_ids: list[str]) -> list[str]:
    ids = list(dict.fromkeys(str(upload_id) for upload_id in upload_ids))
    if not ids:
        return []
    found = {
        str(pk)
        for pk in upload_list_for_partner(partner=partner, subject=subject)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    }
    if len(found) != len(ids):
        raise InvalidSourceUploads()
    return ids


def appearance_report(
    *,
    subject: User,
    partner,
    kind: str,
    made_by: str,
    purpose_slugs: list[str],
    created_at: datetime,
    content_sha256: str,
    title: str = "",
    source_upload_ids: list[str] | None = None,
    c2pa_manifest_id: str = "",
    thumbnail: bytes | None = None,
    now: datetime | None = None,
) -> Appearance:
    """A partner reports media made with the subject's likeness. Every purpose named must be granted now, else
    ConsentRequired and nothing is stored. A thumbnail is ingested like a face upload (re-encoded without
    metadata) and stored encrypted; the row is written last, after a second consent check, and the object is
    removed again if that fails."""
    purposes_all_granted(subject=subject, purpose_slugs=purpose_slugs, partner=partner)  # fail fast, before any work
    upload_ids = _source_uploads_check(partner=partner, subject=subject, upload_ids=source_upload_ids or [])
    thumbnail_name = None
    if thumbnail is not None:
        image = image_ingest(data=thumbnail, max_bytes=settings.FACE_UPLOAD_MAX_BYTES)
        thumbnail_name = vault_object_put(data_key=subject_data_key(subject=subject), plaintext=image.thumbnail)
    try:
        with transaction.atomic():
            purposes = purposes_all_granted(subject=subject, purpose_slugs=purpose_slugs, partner=partner)
            appearance = Appearance.objects.create(
                subject=subject,
                partner=partner,
                kind=kind,
                made_by=made_by,
                title=title,
                created_at=created_at,
                reported_at=now or timezone.now(),
                content_sha256=content_sha256.lower(),
                c2pa_manifest_id=c2pa_manifest_id,
                source_upload_ids=upload_ids,
                thumbnail_object_name=thumbnail_name,
            )
            appearance.purposes.set(purposes)
    except BaseException:
        if thumbnail_name:
            vault_object_delete(name=thumbnail_name)
        raise
    logger.info("appearance reported appearance=%s partner=%s", appearance.pk, partner.pk)
    return appearance


def _takedown_request(*, appearance: Appearance, reason: str, now: datetime) -> Appearance:
    """Mark one live appearance (locked by the caller) and tell its app, in the caller's transaction."""
    appearance.status = Appearance.Status.TAKEDOWN_REQUESTED
    appearance.takedown_requested_at = now
    appearance.takedown_due_at = now + TAKEDOWN_WINDOW
    appearance.takedown_reason = reason
    appearance.save(update_fields=["status", "takedown_requested_at", "takedown_due_at", "takedown_reason"])
    link = link_latest_for_partner_and_subject(partner_id=appearance.partner_id, subject_id=appearance.subject_id)
    if link is not None:
        webhook_enqueue(
            link=link,
            event_type="appearance.takedown_requested",
            data={
                "appearance_id": str(appearance.pk),
                "due_at": appearance.takedown_due_at.isoformat().replace("+00:00", "Z"),
            },
        )
    return appearance


@transaction.atomic
def appearance_takedown_request(*, appearance: Appearance, reason: str = "", now: datetime | None = None) -> Appearance:
    """The subject asks the app to take an appearance down within 48 hours; the app is told in the same
    transaction. Asking again for one already requested changes nothing; one taken down cannot be asked."""
    if reason and reason not in Appearance.TakedownReason.values:
        reason = Appearance.TakedownReason.OTHER
    locked = Appearance.objects.select_for_update().get(pk=appearance.pk)
    if locked.status == Appearance.Status.TAKEN_DOWN:
        raise TakedownNotPossible()
    if locked.status == Appearance.Status.TAKEDOWN_REQUESTED:
        return locked
    return _takedown_request(appearance=locked, reason=reason, now=now or timezone.now())


@transaction.atomic
def appearances_takedown_for_withdrawal(
    *, subject: User, purpose: Purpose, link_ref: int | None = None, now: datetime | None = None
) -> int:
    """A withdrawal asks for the takedown of every live appearance made under that purpose by the apps it applies
    to (all apps without their own exception, or the one app of `link_ref`), in the caller's transaction."""
    now = now or timezone.now()
    under_purpose = appearances_live_under_purpose(subject=subject, purpose=purpose, link_ref=link_ref)
    # Lock by id (a subquery): PostgreSQL refuses FOR UPDATE on the DISTINCT that the M2M join would need.
    live = Appearance.objects.select_for_update().filter(pk__in=under_purpose.values("pk")).order_by("pk")
    count = 0
    for appearance in live:
        _takedown_request(appearance=appearance, reason=Appearance.TakedownReason.CONSENT_WITHDRAWN, now=now)
        count += 1
    return count


@transaction.atomic
def appearance_taken_down(*, appearance: Appearance, now: datetime | None = None) -> Appearance:
    """The app confirms it took the appearance down (whether or not it was asked). Idempotent."""
    locked = Appearance.objects.select_for_update().get(pk=appearance.pk)
    if locked.status != Appearance.Status.TAKEN_DOWN:
        locked.status = Appearance.Status.TAKEN_DOWN
        locked.taken_down_at = now or timezone.now()
        locked.save(update_fields=["status", "taken_down_at"])
    return locked


def appearances_erase_for_subject(
    *, subject: User, on_erased: Callable[[dict[str, int]], None] = lambda counts: None
) -> dict[str, int]:
    """Rule 7: every appearance of the subject, thumbnail objects first (outside any transaction), then the rows.

    `on_erased(counts)` runs inside the rows' transaction, so the caller's tally (a receipt) commits with them.
    Idempotent: a retry deletes objects already gone without complaint. Partners get `subject.erased`."""
    names = list(
        Appearance.objects.filter(subject=subject, thumbnail_object_name__isnull=False).values_list(
            "thumbnail_object_name", flat=True
        )
    )
    vault_objects_delete(names=names)
    with transaction.atomic():
        deleted = Appearance.objects.filter(subject=subject).delete()[1].get("appearances.Appearance", 0)
        counts = {"appearances": deleted}
        on_erased(counts)
    return counts
