"""Writes of find-me: enrolment while `find-me` is granted, comparison of every new upload, the person's answers,
and forgetting everything when the consent goes (DESIGN "Find me").

Privacy rules kept here:
- a template or a sighting is only ever written under the lock of its subject's `find-me` decision
  (`consent_granted_locking`), so a withdrawal either sees it and destroys it, or it is never written;
- the faces of an upload are embedded in memory, compared, and dropped: only the matches are written, and only for
  subjects who opted in; nothing about the faces is logged;
- the uploader is never told who matched.
"""

import io
import logging
from datetime import datetime, timedelta

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from PIL import Image

from accounts.models import StaffAction, User
from accounts.services import staff_action_log
from consents.models import Purpose
from consents.selectors import consent_granted_for_app_q, consent_granted_locking, subjects_granting
from find_me.exceptions import RemovalNotForStaff, SightingRemoved
from find_me.matching import EnrolledTemplates, Match, template_decrypt, template_encrypt
from find_me.models import FaceTemplate, Sighting, UploadScan
from media_vault.faces import face_embeddings
from media_vault.models import AccessEvent, FaceUpload
from media_vault.selectors import upload_image_bytes
from media_vault.services import upload_erase
from media_vault.storage import subject_data_keys_existing
from partners.outbox import webhook_enqueue
from partners.selectors import link_active_ref_of, link_latest_for_partner_and_subject, partner_id_of_link

logger = logging.getLogger(__name__)

FIND_ME = "find-me"  # the purpose (DESIGN); without it granted, nothing of a person is enrolled or matched
SCAN_WINDOW = timedelta(days=2)  # uploads older than this are never compared (no back-scan; lost jobs are re-run)
SCAN_BATCH = 100  # uploads one batch compares against one decryption of the templates
CLAIM_TIMEOUT = timedelta(minutes=15)  # a batch that died holding an upload frees it after this
REMOVAL_WINDOW = timedelta(hours=48)


def _upload_faces(upload: FaceUpload) -> np.ndarray:
    """The embeddings of the faces found in an upload, computed in memory from its decrypted image."""
    with Image.open(io.BytesIO(upload_image_bytes(upload=upload))) as image:
        image.load()
        return face_embeddings(image, upload.face_boxes)


def _template_store(*, upload: FaceUpload, vector: np.ndarray, now: datetime) -> bool:
    """One template from the subject's own one-face upload, if `find-me` is still granted (checked under its lock)."""
    keys = subject_data_keys_existing(subject_ids=[upload.subject_id])
    if upload.subject_id not in keys:
        return False
    with transaction.atomic():
        if not consent_granted_locking(subject_id=upload.subject_id, purpose_slug=FIND_ME):
            return False
        if FaceTemplate.objects.filter(source_upload_id=upload.pk).exists():
            return False
        template = FaceTemplate(subject_id=upload.subject_id, source_upload_id=upload.pk, created_at=now)
        template.vector_encrypted = template_encrypt(
            data_key=keys[upload.subject_id], name=template.object_name, vector=vector
        )
        try:
            with transaction.atomic():
                template.save(force_insert=True)
        except IntegrityError:  # the same upload enrolled a moment ago by another job
            return False
    return True


def _enrollable_uploads(*, subject_id: int):
    """The subject's own stored uploads that hold exactly one face and have no template yet."""
    return FaceUpload.objects.filter(subject_id=subject_id, status=FaceUpload.Status.STORED, faces_detected=1).exclude(
        Exists(FaceTemplate.objects.filter(source_upload=OuterRef("pk")))
    )


def subject_enrol(*, subject_id: int, now: datetime | None = None) -> int:
    """While `find-me` is granted: a template from every one-face upload of the subject's own that has none yet.
    Returns how many were made. Safe to run twice at once."""
    if not subjects_granting(purpose_slug=FIND_ME).filter(subject_id=subject_id).exists():
        return 0
    made = 0
    for upload in _enrollable_uploads(subject_id=subject_id).select_related("subject").order_by("created_at"):
        vectors = _upload_faces(upload)
        if len(vectors) == 1 and _template_store(upload=upload, vector=vectors[0], now=now or timezone.now()):
            made += 1
    if made:
        logger.info("find-me templates made subject=%s count=%s", subject_id, made)
    return made


def enrolled_templates_load() -> EnrolledTemplates:
    """Every template of every subject who grants `find-me` now, decrypted into one matrix for one batch."""
    enrolled = FaceTemplate.objects.filter(subject_id__in=subjects_granting(purpose_slug=FIND_ME)).order_by()
    rows = list(enrolled.values_list("id", "subject_id", "created_at", "vector_encrypted"))
    # The keys of the same subjects, selected by a subquery: an IN list of 100,000 ids took most of the load.
    keys = subject_data_keys_existing(subject_ids=enrolled.values("subject_id"))
    subject_ids, made_at, vectors = [], [], []
    for template_id, subject_id, created_at, blob in rows:
        if subject_id in keys:
            subject_ids.append(subject_id)
            made_at.append(created_at.timestamp())
            vectors.append(template_decrypt(data_key=keys[subject_id], name=f"face-template:{template_id}", blob=blob))
    return EnrolledTemplates(subject_ids=subject_ids, made_at=made_at, vectors=np.array(vectors, dtype=np.float32))


def _uploads_claim(*, now: datetime, limit: int) -> list[FaceUpload]:
    """Take up to `limit` recent uploads with faces that nobody has compared (or whose batch died): one batch's
    work. Claiming is an insert (or a compare-and-set on a stale claim), so two batches never take the same one."""
    stale = now - CLAIM_TIMEOUT
    candidates = (
        FaceUpload.objects.filter(
            status=FaceUpload.Status.STORED, created_at__gte=now - SCAN_WINDOW, faces_detected__gt=0
        )
        .exclude(
            Exists(
                UploadScan.objects.filter(upload=OuterRef("pk")).filter(
                    Q(scanned_at__isnull=False) | Q(claimed_at__gt=stale)
                )
            )
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    claimed = []
    for upload_id in candidates:
        try:
            with transaction.atomic():
                UploadScan.objects.create(upload_id=upload_id, claimed_at=now)
            claimed.append(upload_id)
        except IntegrityError:
            if UploadScan.objects.filter(upload_id=upload_id, scanned_at__isnull=True, claimed_at__lte=stale).update(
                claimed_at=now
            ):
                claimed.append(upload_id)
    return list(FaceUpload.objects.filter(pk__in=claimed).select_related("subject").order_by("created_at"))


def uploads_scan_pending(*, now: datetime | None = None, limit: int = SCAN_BATCH) -> int:
    """Compare the faces of new uploads with every enrolled template, a batch at a time; returns uploads compared.

    Each upload's faces are embedded once, in memory: the uploader's own one-face photo becomes a template if they
    opted in, and each other opted-in subject whose template was made before the upload and lies within the match
    line gets one sighting. The faces are then dropped. Safe to run twice at once."""
    now = now or timezone.now()
    compared = 0
    while uploads := _uploads_claim(now=now, limit=limit):
        templates = enrolled_templates_load()
        for upload in uploads:
            _upload_scan(upload=upload, templates=templates, now=now)
            compared += 1
        del templates
        if len(uploads) < limit:
            break
    return compared


def _upload_scan(*, upload: FaceUpload, templates: EnrolledTemplates, now: datetime) -> None:
    uploader_enrolls = upload.faces_detected == 1 and (
        subjects_granting(purpose_slug=FIND_ME).filter(subject_id=upload.subject_id).exists()
    )
    others = int(np.count_nonzero(templates.subject_ids != upload.subject_id)) if len(templates) else 0
    faces = _upload_faces(upload) if (others or uploader_enrolls) else np.zeros((0, 0), dtype=np.float32)
    if uploader_enrolls and len(faces) == 1:
        _template_store(upload=upload, vector=faces[0], now=now)
    matches = (
        templates.matches(faces=faces, uploader_id=upload.subject_id, uploaded_at=upload.created_at) if others else []
    )
    for match in matches:
        _sighting_record(upload=upload, match=match, now=now)
    UploadScan.objects.filter(upload_id=upload.pk).update(scanned_at=timezone.now(), faces_compared=len(faces))
    del faces


def _refused_for_app(*, subject_id: int, partner_id: int | None) -> bool:
    """Whether the person said no to `find-me` for the app that holds the upload (their own exception for it)."""
    if partner_id is None:
        return False
    link_ref = link_active_ref_of(subject_id=subject_id, partner_id=partner_id)
    if link_ref is None:
        return False
    granted_for_app = consent_granted_for_app_q(subject_ref=subject_id, purpose_ref=OuterRef("pk"), link_ref=link_ref)
    return not Purpose.objects.filter(slug=FIND_ME).filter(granted_for_app).exists()


def _sighting_record(*, upload: FaceUpload, match: Match, now: datetime) -> None:
    """One sighting of an opted-in subject in someone else's upload, if they still grant `find-me` (and have not
    said no to it for the app that holds the upload); once."""
    with transaction.atomic():
        if not consent_granted_locking(subject_id=match.subject_id, purpose_slug=FIND_ME):
            return
        if _refused_for_app(subject_id=match.subject_id, partner_id=upload.partner_id):
            return
        _, created = Sighting.objects.get_or_create(
            subject_id=match.subject_id,
            upload_ref=upload.pk,
            defaults={
                "upload": upload,
                "partner_id": upload.partner_id,
                "face_box": upload.face_boxes[match.face_index],
                "distance": round(match.distance, 4),
                "found_at": now,
            },
        )
    if created:
        logger.info("find-me sighting recorded upload=%s", upload.pk)  # never who matched


def find_me_forget_for_subject(*, subject: User) -> dict[str, int]:
    """Every template and sighting of the subject, destroyed in the caller's transaction (withdrawal, erasure)."""
    templates = FaceTemplate.objects.filter(subject=subject).delete()[0]
    sightings = Sighting.objects.filter(subject=subject).delete()[0]
    return {"face_templates": templates, "sightings": sightings}


def sightings_forget_for_app(*, subject: User, link_ref: int) -> int:
    """The subject said no to `find-me` for one app: the sightings in that app's uploads are forgotten, in the
    decision's transaction. Returns how many."""
    partner_id = partner_id_of_link(link_ref=link_ref)
    if partner_id is None:
        return 0
    return Sighting.objects.filter(subject=subject, partner_id=partner_id).delete()[0]


def find_me_forget_ungranted() -> int:
    """Templates and sightings of anyone whose `find-me` no longer counts as yes without a recorded withdrawal (a
    new version that asks again, a grant past its end not yet recorded): destroyed. Returns subjects forgotten."""
    granting = subjects_granting(purpose_slug=FIND_ME)
    subject_ids = set(FaceTemplate.objects.exclude(subject_id__in=granting).values_list("subject_id", flat=True))
    subject_ids |= set(Sighting.objects.exclude(subject_id__in=granting).values_list("subject_id", flat=True))
    forgotten = 0
    for subject_id in subject_ids:
        with transaction.atomic():
            if consent_granted_locking(subject_id=subject_id, purpose_slug=FIND_ME):
                continue
            FaceTemplate.objects.filter(subject_id=subject_id).delete()
            Sighting.objects.filter(subject_id=subject_id).delete()
            forgotten += 1
    return forgotten


@transaction.atomic
def sighting_dismiss(*, sighting: Sighting, now: datetime | None = None) -> Sighting:
    """ "Not me": the sighting is dismissed and that upload is not matched with this person again."""
    locked = Sighting.objects.select_for_update().get(pk=sighting.pk)
    if locked.upload_id is None:
        raise SightingRemoved()
    if locked.status == Sighting.Status.FOUND:
        locked.status = Sighting.Status.NOT_ME
        locked.answered_at = now or timezone.now()
        locked.save(update_fields=["status", "answered_at"])
    return locked


@transaction.atomic
def sighting_removal_request(*, sighting: Sighting, now: datetime | None = None) -> Sighting:
    """ "Remove me": the app that holds the upload is told at once (`sighting.removal_requested`, its own ids only)
    and has 48 hours; it confirms by deleting the upload. Asking again changes nothing."""
    # Lock the sighting's row only: PostgreSQL refuses FOR UPDATE on the nullable side of the join to the upload.
    locked = Sighting.objects.select_for_update(of=("self",)).select_related("upload").get(pk=sighting.pk)
    if locked.upload is None:
        raise SightingRemoved()
    if locked.status == Sighting.Status.REMOVAL_REQUESTED:
        return locked
    now = now or timezone.now()
    locked.status = Sighting.Status.REMOVAL_REQUESTED
    locked.answered_at = now
    locked.removal_due_at = now + REMOVAL_WINDOW
    locked.save(update_fields=["status", "answered_at", "removal_due_at"])
    upload = locked.upload
    if upload.partner_id:
        link = link_latest_for_partner_and_subject(partner_id=upload.partner_id, subject_id=upload.subject_id)
        if link is not None:
            webhook_enqueue(
                link=link,
                event_type="sighting.removal_requested",
                data={
                    "upload_id": str(upload.pk),
                    "due_at": locked.removal_due_at.isoformat().replace("+00:00", "Z"),
                },
            )
    return locked


STAFF_REMOVAL_REASON = "A person in this photo asked to be removed from it."


def sighting_photo_remove_by_staff(*, sighting: Sighting, staff: User) -> bool:
    """The privacy team acts on "remove me" for a photo uploaded in the portal itself (no app holds it to delete):
    the photo is erased as any upload is. Its uploader reads in their Activity that privacy staff deleted it
    because a person in it asked, never who; the staff log records it without naming the person found.
    Returns False when the photo was already gone."""
    locked = Sighting.objects.select_related("upload").get(pk=sighting.pk)
    if locked.upload is None:
        return False
    if locked.partner_id is not None or locked.status != Sighting.Status.REMOVAL_REQUESTED:
        raise RemovalNotForStaff()
    staff_action_log(
        actor=staff,
        kind=StaffAction.Kind.CHANGE,
        subject=locked.upload.subject,  # the uploader, whose photo it was
        target=f"media_vault.FaceUpload:{locked.upload_id}",
        reason=f"Removal asked in sighting {locked.pk}",
    )
    return upload_erase(
        upload_id=locked.upload_id,
        actor_kind=AccessEvent.ActorKind.STAFF,
        action=AccessEvent.Action.ERASE,
        staff=staff,
        reason=STAFF_REMOVAL_REASON,
    )
