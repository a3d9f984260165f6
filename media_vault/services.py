"""Writes for face uploads: the one ingestion gate (rule 1 and 4), erasure (rule 7), retention (rule 9)."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from consents.exceptions import ConsentRequired
from consents.models import Purpose
from consents.selectors import consent_states_granted
from media_vault.exceptions import PurposesRequired, ReasonRequired
from media_vault.ingest import image_ingest
from media_vault.models import AccessEvent, FaceUpload, RevealGrant
from media_vault.storage import subject_data_key, vault_object_delete, vault_object_put

logger = logging.getLogger(__name__)

REVEAL_LIFETIME = timedelta(minutes=5)


def _purposes_for_upload(*, subject: User, purpose_slugs: list[str]) -> list[Purpose]:
    slugs = list(dict.fromkeys(purpose_slugs))
    if not slugs:
        raise PurposesRequired()
    granted = {
        state.purpose.slug: state.purpose
        for state in consent_states_granted().filter(subject=subject, purpose__slug__in=slugs).select_related("purpose")
    }
    missing = [slug for slug in slugs if slug not in granted]
    if missing:
        raise ConsentRequired(f"Consent has not been granted for: {', '.join(missing)}.")
    return [granted[slug] for slug in slugs]


def upload_ingest(
    *, subject: User, data: bytes, purpose_slugs: list[str], partner=None, now: datetime | None = None
) -> FaceUpload:
    """Rules 1 and 4: the one gate for every face upload, from the portal or from a partner.

    Every purpose named must be granted now, else ConsentRequired and nothing is stored. The image is
    decoded, checked and re-encoded without metadata, then stored encrypted; the row is written last,
    after a second consent check, and the objects are removed again if that fails.
    """
    _purposes_for_upload(subject=subject, purpose_slugs=purpose_slugs)  # fail fast, before any work
    image = image_ingest(data=data, max_bytes=settings.FACE_UPLOAD_MAX_BYTES)
    data_key = subject_data_key(subject=subject)
    object_name = vault_object_put(data_key=data_key, plaintext=image.data)
    thumbnail_name = None
    try:
        thumbnail_name = vault_object_put(data_key=data_key, plaintext=image.thumbnail)
        with transaction.atomic():
            purposes = _purposes_for_upload(subject=subject, purpose_slugs=purpose_slugs)
            created_at = now or timezone.now()
            upload = FaceUpload.objects.create(
                subject=subject,
                source=FaceUpload.Source.PARTNER if partner else FaceUpload.Source.PORTAL,
                partner=partner,
                width=image.width,
                height=image.height,
                format=image.format,
                size_bytes=len(image.data),
                sha256=image.sha256,
                faces_detected=len(image.face_boxes),
                face_boxes=image.face_boxes,
                object_name=object_name,
                thumbnail_object_name=thumbnail_name,
                created_at=created_at,
                retention_until=created_at + timedelta(days=max(p.retention_days for p in purposes)),
            )
            upload.purposes.set(purposes)
    except BaseException:
        for name in (object_name, thumbnail_name):
            if name:
                vault_object_delete(name=name)
        raise
    logger.info("face upload stored upload=%s source=%s faces=%s", upload.pk, upload.source, upload.faces_detected)
    return upload


def upload_erase(*, upload_id, notify_partner: bool = True) -> bool:
    """Rule 7 for one upload: objects first, then the row and the partner's `upload.erased`, at once.

    Idempotent: the row is marked first and stays until every object is gone, so a crash or a storage
    outage leaves it to be retried and it is never reported erased while a copy remains.
    """
    from partners.models import Link
    from partners.outbox import webhook_enqueue

    upload = FaceUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        return False
    FaceUpload.objects.filter(pk=upload.pk).update(status=FaceUpload.Status.ERASING)
    vault_object_delete(name=upload.object_name)
    vault_object_delete(name=upload.thumbnail_object_name)
    with transaction.atomic():
        locked = FaceUpload.objects.select_for_update().filter(pk=upload.pk).first()
        if locked is None:
            return False
        if notify_partner and locked.partner_id:
            link = (
                Link.objects.filter(partner_id=locked.partner_id, subject_id=locked.subject_id)
                .order_by("-linked_at")
                .first()
            )
            if link is not None:
                webhook_enqueue(link=link, event_type="upload.erased", data={"upload_id": str(locked.pk)})
        AccessEvent.objects.filter(upload=locked).update(upload=None, upload_ref=locked.pk)
        locked.delete()
    logger.info("face upload erased upload=%s", upload_id)
    return True


def uploads_orphaned(*, subject_id: int | None = None):
    """Uploads none of whose purposes the subject still grants (rule 2)."""
    still_granted = consent_states_granted().filter(subject_id=OuterRef("subject_id"), purpose__uploads=OuterRef("pk"))
    uploads = FaceUpload.objects.exclude(Exists(still_granted))
    return uploads.filter(subject_id=subject_id) if subject_id is not None else uploads


def uploads_erase_orphaned(*, subject_id: int | None = None) -> int:
    """Rule 2: erase every upload left with no granted purpose. Safe to run twice at once."""
    erased = 0
    for upload_id in list(uploads_orphaned(subject_id=subject_id).values_list("pk", flat=True)[:5000]):
        erased += upload_erase(upload_id=upload_id)
    return erased


def uploads_erase_expired(*, now: datetime | None = None) -> int:
    """Rule 9: erase every upload past its retention deadline. Safe to run twice at once."""
    now = now or timezone.now()
    erased = 0
    for upload_id in list(FaceUpload.objects.filter(retention_until__lte=now).values_list("pk", flat=True)[:5000]):
        erased += upload_erase(upload_id=upload_id)
    return erased


def uploads_erase_interrupted() -> int:
    """Rule 7: finish every erasure an outage broke off (rows left `erasing`, which no list shows any more).

    Without this, an upload whose purposes are still granted and whose deadline is far off (a partner's
    DELETE that met a storage outage) would keep its objects for good. Safe to run twice at once.
    """
    erased = 0
    interrupted = FaceUpload.objects.filter(status=FaceUpload.Status.ERASING).values_list("pk", flat=True)[:5000]
    for upload_id in list(interrupted):
        erased += upload_erase(upload_id=upload_id)
    return erased


def upload_access_record(
    *, upload: FaceUpload, actor_kind: str, action: str, partner=None, staff: User | None = None, reason: str = ""
) -> AccessEvent:
    """Rule 5: record one read of a face image."""
    return AccessEvent.objects.create(
        subject_id=upload.subject_id,
        upload=upload,
        upload_ref=upload.pk,
        actor_kind=actor_kind,
        action=action,
        partner=partner,
        staff=staff,
        reason=reason,
    )


@transaction.atomic
def upload_reveal(*, upload: FaceUpload, staff: User, reason: str, now: datetime | None = None) -> RevealGrant:
    """Rule 4: a privacy officer sees an original for a few minutes, for a written reason the subject sees."""
    from accounts.models import StaffAction
    from accounts.services import staff_action_log

    reason = reason.strip()
    if len(reason) < 10:
        raise ReasonRequired()
    now = now or timezone.now()
    grant = RevealGrant.objects.create(
        upload=upload, staff=staff, reason=reason, created_at=now, expires_at=now + REVEAL_LIFETIME
    )
    upload_access_record(
        upload=upload,
        actor_kind=AccessEvent.ActorKind.STAFF,
        action=AccessEvent.Action.REVEAL,
        staff=staff,
        reason=reason,
    )
    staff_action_log(
        actor=staff,
        kind=StaffAction.Kind.REVEAL,
        subject=upload.subject,
        target=f"media_vault.FaceUpload:{upload.pk}",
        reason=reason,
    )
    return grant


def data_keys_rewrap(*, master_key_id: str | None = None) -> int:
    """Rotation: wrap every subject's data key under the current master key. Objects stay as they are."""
    from media_vault.crypto import current_master_key_id
    from media_vault.models import SubjectKey
    from media_vault.storage import subject_data_key_rewrap

    target = master_key_id or current_master_key_id()
    rewrapped = 0
    for key_id in SubjectKey.objects.exclude(master_key_id=target).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            key = SubjectKey.objects.select_for_update().select_related("subject").filter(pk=key_id).first()
            if key is not None and key.master_key_id != target:
                subject_data_key_rewrap(key=key, master_key_id=target)
                rewrapped += 1
    return rewrapped
