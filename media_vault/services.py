"""Writes for face uploads: the one ingestion gate (rule 1 and 4), erasure (rule 7), retention (rule 9)."""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from accounts.models import StaffAction, User
from accounts.services import staff_action_log
from consents.exceptions import ConsentRequired
from consents.models import Purpose
from consents.selectors import consent_granted_for_app_q, purposes_granted_for_app
from media_vault.crypto import current_master_key_id
from media_vault.exceptions import PurposesRequired, ReasonRequired, StorageUnavailable
from media_vault.hooks import upload_stored_announce
from media_vault.ingest import image_ingest
from media_vault.models import AccessEvent, FaceUpload, RevealGrant, SubjectKey
from media_vault.storage import (
    subject_data_key,
    subject_data_key_rewrap,
    vault_object_delete,
    vault_object_put,
    vault_objects_delete,
)
from partners.outbox import webhook_enqueue
from partners.selectors import link_active_of_holder, link_active_ref, link_latest_for_partner_and_subject

logger = logging.getLogger(__name__)

REVEAL_LIFETIME = timedelta(minutes=5)
SWEEP_LIMIT = 5000  # uploads one sweep erases; the next run takes the rest
SUBJECT_ERASE_BATCH = 500


def purposes_all_granted(*, subject: User, purpose_slugs: list[str], partner=None) -> list[Purpose]:
    """Rule 1's gate for anything collected with a subject's likeness (uploads, appearances): every purpose named,
    granted now for the app that collects it (its own exception, else the decision for all apps; the portal
    itself follows the decision for all apps); PurposesRequired for none, ConsentRequired naming the ones missing."""
    slugs = list(dict.fromkeys(purpose_slugs))
    if not slugs:
        raise PurposesRequired()
    link_ref = link_active_ref(subject=subject, partner=partner)
    granted = {p.slug: p for p in purposes_granted_for_app(subject=subject, purpose_slugs=slugs, link_ref=link_ref)}
    missing = [slug for slug in slugs if slug not in granted]
    if missing:
        raise ConsentRequired(f"Consent has not been granted for: {', '.join(missing)}.")
    return [granted[slug] for slug in slugs]


def _upload_number_next(*, subject: User) -> int:
    """The subject's next upload number. The UPDATE locks the subject's key row until the upload commits, so two
    uploads at once get different numbers; a number is never given again, not even after its upload is erased."""
    keys = SubjectKey.objects.filter(subject=subject)
    keys.update(uploads_numbered=F("uploads_numbered") + 1)
    return keys.values_list("uploads_numbered", flat=True).get()


def upload_ingest(
    *, subject: User, data: bytes, purpose_slugs: list[str], partner=None, now: datetime | None = None
) -> FaceUpload:
    """Rules 1 and 4: the one gate for every face upload, from the portal or from a partner.

    Every purpose named must be granted now, else ConsentRequired and nothing is stored. The image is
    decoded, checked and re-encoded without metadata, then stored encrypted; the row is written last,
    after a second consent check, and the objects are removed again if that fails.
    """
    purposes_all_granted(subject=subject, purpose_slugs=purpose_slugs, partner=partner)  # fail fast, before any work
    image = image_ingest(data=data, max_bytes=settings.FACE_UPLOAD_MAX_BYTES)
    data_key = subject_data_key(subject=subject)
    object_name = vault_object_put(data_key=data_key, plaintext=image.data)
    thumbnail_name = None
    try:
        thumbnail_name = vault_object_put(data_key=data_key, plaintext=image.thumbnail)
        with transaction.atomic():
            purposes = purposes_all_granted(subject=subject, purpose_slugs=purpose_slugs, partner=partner)
            created_at = now or timezone.now()
            upload = FaceUpload.objects.create(
                subject=subject,
                number=_upload_number_next(subject=subject),
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
            upload_stored_announce(upload=upload)
    except BaseException:
        for name in (object_name, thumbnail_name):
            if name:
                vault_object_delete(name=name)
        raise
    logger.info("face upload stored upload=%s source=%s faces=%s", upload.pk, upload.source, upload.faces_detected)
    return upload


def upload_keep_without_face(*, upload: FaceUpload, now: datetime | None = None) -> FaceUpload:
    """The subject keeps an upload in which no face was found: they are not asked about it again."""
    if upload.awaits_no_face_answer:
        upload.no_face_kept_at = now or timezone.now()
        FaceUpload.objects.filter(pk=upload.pk, no_face_kept_at__isnull=True).update(
            no_face_kept_at=upload.no_face_kept_at
        )
    return upload


def upload_erase(
    *,
    upload_id,
    notify_partner: bool = True,
    actor_kind: str = AccessEvent.ActorKind.SYSTEM,
    action: str = AccessEvent.Action.ERASE,
    staff: User | None = None,
    reason: str = "",
) -> bool:
    """Rule 7 for one upload: objects first, then the row and the partner's `upload.erased`, at once.

    Idempotent: the row is marked first and stays until every object is gone, so a crash or a storage
    outage leaves it to be retried and it is never reported erased while a copy remains. Marking it records
    the deletion for the subject's Activity page, once: who decided it (`actor_kind`, `staff`) and why (`action`,
    and a `reason` the subject reads).
    """
    upload = FaceUpload.objects.filter(pk=upload_id).first()
    if upload is None:
        return False
    _upload_erasure_begin(upload=upload, actor_kind=actor_kind, action=action, staff=staff, reason=reason)
    vault_object_delete(name=upload.object_name)
    vault_object_delete(name=upload.thumbnail_object_name)
    with transaction.atomic():
        locked = FaceUpload.objects.select_for_update().filter(pk=upload.pk).first()
        if locked is None:
            return False
        if notify_partner and locked.partner_id:
            link = link_latest_for_partner_and_subject(partner_id=locked.partner_id, subject_id=locked.subject_id)
            if link is not None:
                webhook_enqueue(link=link, event_type="upload.erased", data={"upload_id": str(locked.pk)})
        AccessEvent.objects.filter(upload=locked).update(upload=None, upload_ref=locked.pk)
        locked.delete()
    logger.info("face upload erased upload=%s", upload_id)
    return True


@transaction.atomic
def _upload_erasure_begin(
    *, upload: FaceUpload, actor_kind: str, action: str, staff: User | None = None, reason: str = ""
) -> None:
    """Hide the upload from every list (`erasing`); the first time only, record the deletion as an access event."""
    hidden = FaceUpload.objects.filter(pk=upload.pk, status=FaceUpload.Status.STORED).update(
        status=FaceUpload.Status.ERASING
    )
    if hidden:
        upload_access_record(  # the app that held it, if any
            upload=upload, actor_kind=actor_kind, action=action, partner=upload.partner, staff=staff, reason=reason
        )


def uploads_orphaned(*, subject_id: int | None = None):
    """Uploads none of whose purposes the subject still grants to the app holding them (rule 2, per app)."""
    still_granted = Purpose.objects.filter(uploads=OuterRef("pk")).filter(
        consent_granted_for_app_q(
            subject_ref=OuterRef(OuterRef("subject_id")),
            purpose_ref=OuterRef("pk"),
            link_ref=OuterRef(OuterRef("holder_link")),
        )
    )
    uploads = FaceUpload.objects.annotate(holder_link=link_active_of_holder()).exclude(Exists(still_granted))
    return uploads.filter(subject_id=subject_id) if subject_id is not None else uploads


def _uploads_erase_each(*, upload_ids: Iterable, action: str = AccessEvent.Action.ERASE) -> int:
    """The portal erases uploads one by one (each is its own idempotent unit), at most SWEEP_LIMIT per run."""
    return sum(
        upload_erase(upload_id=upload_id, actor_kind=AccessEvent.ActorKind.SYSTEM, action=action)
        for upload_id in list(upload_ids[:SWEEP_LIMIT])
    )


def uploads_erase_orphaned(*, subject_id: int | None = None) -> int:
    """Rule 2: erase every upload left with no granted purpose. Safe to run twice at once."""
    return _uploads_erase_each(
        upload_ids=uploads_orphaned(subject_id=subject_id).values_list("pk", flat=True),
        action=AccessEvent.Action.ORPHAN,
    )


def uploads_erase_expired(*, now: datetime | None = None) -> int:
    """Rule 9: erase every upload past its retention deadline. Safe to run twice at once."""
    expired = FaceUpload.objects.filter(retention_until__lte=now or timezone.now())
    return _uploads_erase_each(upload_ids=expired.values_list("pk", flat=True), action=AccessEvent.Action.EXPIRE)


def uploads_erase_interrupted() -> int:
    """Rule 7: finish every erasure an outage broke off (rows left `erasing`, which no list shows any more).

    Without this, an upload whose purposes are still granted and whose deadline is far off (a partner's
    DELETE that met a storage outage) would keep its objects for good. Safe to run twice at once.
    """
    interrupted = FaceUpload.objects.filter(status=FaceUpload.Status.ERASING)
    return _uploads_erase_each(upload_ids=interrupted.values_list("pk", flat=True))


def uploads_erase_for_subject(
    *, subject: User, on_batch: Callable[[dict[str, int], int, int], None] = lambda counts, done, total: None
) -> None:
    """Rule 7, for a subject's erasure: every upload, in batches, objects first and then the rows.

    `on_batch(counts, done, total)` runs inside each batch's transaction, so the caller's tally (a receipt)
    commits with the rows it counts. Partners are not told per upload: they get `subject.erased`.
    """
    total = FaceUpload.objects.filter(subject=subject).count()
    done = 0
    while batch := list(
        FaceUpload.objects.filter(subject=subject).values_list("pk", "object_name", "thumbnail_object_name")[
            :SUBJECT_ERASE_BATCH
        ]
    ):
        ids = [row[0] for row in batch]
        FaceUpload.objects.filter(pk__in=ids).update(status=FaceUpload.Status.ERASING)
        vault_objects_delete(names=[name for row in batch for name in row[1:]])  # batched: 1,000 keys a request
        done += len(batch)
        with transaction.atomic():
            access_events = AccessEvent.objects.filter(upload_id__in=ids).delete()[0]
            deleted = FaceUpload.objects.filter(pk__in=ids).delete()[1].get("media_vault.FaceUpload", 0)
            on_batch(
                {"face_uploads": deleted, "storage_objects": 2 * deleted, "access_events": access_events}, done, total
            )


@transaction.atomic
def access_events_erase_for_subject(*, subject: User) -> dict[str, int]:
    """Rule 7: the subject's access log (reads of exports and of uploads already erased). Idempotent."""
    return {"access_events": AccessEvent.objects.filter(subject=subject).delete()[0]}


@transaction.atomic
def data_key_erase_for_subject(*, subject: User) -> dict[str, int]:
    """Rule 7, after every object is gone: destroy the data key, so any copy anywhere becomes unreadable."""
    return {"data_keys": SubjectKey.objects.filter(subject=subject).delete()[0]}


def export_download_record(*, subject: User) -> AccessEvent:
    """Rule 5: the subject downloaded their export."""
    return AccessEvent.objects.create(
        subject=subject, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.EXPORT
    )


def upload_access_record(
    *, upload: FaceUpload, actor_kind: str, action: str, partner=None, staff: User | None = None, reason: str = ""
) -> AccessEvent:
    """Rule 5: record one read of a face image."""
    return AccessEvent.objects.create(
        subject_id=upload.subject_id,
        upload=upload,
        upload_ref=upload.pk,
        upload_created_at=upload.created_at,
        actor_kind=actor_kind,
        action=action,
        partner=partner,
        staff=staff,
        reason=reason,
    )


@transaction.atomic
def upload_reveal(*, upload: FaceUpload, staff: User, reason: str, now: datetime | None = None) -> RevealGrant:
    """Rule 4: a privacy officer sees an original for a few minutes, for a written reason the subject sees."""
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
    target = master_key_id or current_master_key_id()
    rewrapped = 0
    for key_id in SubjectKey.objects.exclude(master_key_id=target).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            key = SubjectKey.objects.select_for_update().select_related("subject").filter(pk=key_id).first()
            if key is not None and key.master_key_id != target:
                subject_data_key_rewrap(key=key, master_key_id=target)
                rewrapped += 1
    return rewrapped


def upload_erase_or_defer(*, upload_id) -> bool:
    """Rule 7 from the subject's page: erase now (True), or on a storage outage leave it hidden for the sweep to
    finish (False)."""
    try:
        upload_erase(upload_id=upload_id, actor_kind=AccessEvent.ActorKind.SUBJECT)
    except StorageUnavailable:
        # The row stays `erasing`, which no page lists, until every copy is gone; uploads_erase_interrupted
        # finishes it once storage answers again.
        logger.warning("face upload erase interrupted upload=%s", upload_id)
        return False
    return True
