"""Reads of face uploads and access events, scoped to who asks (rule 5; partners see only their own)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from consents.selectors import consent_states_granted
from media_vault.exceptions import RevealGrantExpired, RevealGrantNotFound, UploadNotFound
from media_vault.models import AccessEvent, FaceUpload, RevealGrant
from media_vault.storage import subject_data_key_existing, vault_object_read

ACCESS_PREVIEW = 5  # access events shown per upload on the list page
REVEAL_PERMISSION = "media_vault.reveal_faceupload"


def upload_list_for_subject(
    *, subject: User, source: str | None = None, purpose_slug: str | None = None
) -> QuerySet[FaceUpload]:
    """Every face upload tied to the subject, from every source, newest first, with what a page shows:
    its purposes, its newest ACCESS_PREVIEW access events (`access_history`) and how many there are in
    all (`access_count`), so a page loads a bounded number of rows however long the histories grow."""
    access_count = (
        AccessEvent.objects.filter(upload=OuterRef("pk"))
        .order_by()
        .values("upload")
        .annotate(count=Count("pk"))
        .values("count")
    )
    uploads = (
        FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED)
        .select_related("partner")
        .annotate(access_count=Coalesce(Subquery(access_count), 0))
        .prefetch_related(
            "purposes",
            Prefetch(
                "access_events",
                queryset=AccessEvent.objects.select_related("partner").order_by("-created_at", "-id")[:ACCESS_PREVIEW],
                to_attr="access_history",
            ),
        )
        .order_by("-created_at", "-id")
    )
    if source:
        uploads = uploads.filter(source=source)
    if purpose_slug:
        uploads = uploads.filter(purposes__slug=purpose_slug)
    return uploads


def upload_count_for_subject(*, subject: User) -> int:
    """Every upload row of the subject, stored or being erased."""
    return FaceUpload.objects.filter(subject=subject).count()


@dataclass(frozen=True)
class UploadTotals:
    stored: int
    next_deletion_at: datetime | None


def upload_totals_for_subject(*, subject: User) -> UploadTotals:
    """Rule 5 in brief: how many face uploads are held about the subject, and when the next one is deleted."""
    totals = FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED).aggregate(
        stored=Count("pk"), next_deletion_at=Min("retention_until")
    )
    return UploadTotals(**totals)


def upload_files_for_export(*, subject: User) -> list[tuple[str, str, str]]:
    """(upload id, object name, file extension) of every stored upload, oldest first, for the export archive."""
    uploads = FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED).order_by("created_at")
    return [(str(upload.pk), upload.object_name, upload.extension) for upload in uploads.only("object_name", "format")]


def upload_get_for_subject(*, subject: User, upload_id) -> FaceUpload:
    """One of the subject's own uploads; 404 for anyone else's and for unknown ids alike."""
    upload = _by_id(FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED), upload_id)
    if upload is None:
        raise UploadNotFound()
    return upload


def upload_list_for_partner(*, partner, subject: User) -> QuerySet[FaceUpload]:
    """The calling partner's own uploads for one subject."""
    return (
        FaceUpload.objects.filter(subject=subject, partner=partner, status=FaceUpload.Status.STORED)
        .prefetch_related("purposes")
        .order_by("-created_at", "-id")
    )


def upload_get_for_partner(*, partner, subject: User, upload_id) -> FaceUpload:
    """One upload of this partner for this subject; 404 for every other upload."""
    upload = _by_id(upload_list_for_partner(partner=partner, subject=subject), upload_id)
    if upload is None:
        raise UploadNotFound()
    return upload


def _by_id(uploads: QuerySet[FaceUpload], upload_id) -> FaceUpload | None:
    try:
        return uploads.filter(pk=uuid.UUID(str(upload_id))).first()
    except ValueError:
        return None


def upload_image_bytes(*, upload: FaceUpload, thumbnail: bool = False) -> bytes:
    """The decrypted stored image (or its thumbnail). Callers record the access."""
    name = upload.thumbnail_object_name if thumbnail else upload.object_name
    return vault_object_read(data_key=subject_data_key_existing(subject=upload.subject), name=name)


def access_event_list_for_subject(*, subject: User) -> QuerySet[AccessEvent]:
    """Every recorded read of the subject's images and exports, newest first."""
    return AccessEvent.objects.filter(subject=subject).select_related("partner").order_by("-created_at", "-id")


def reveal_grant_get_valid(*, grant_id: int, staff: User, now: datetime | None = None) -> RevealGrant:
    """Rule 4: an original is shown only to the officer it was revealed to, for a few minutes, while they may reveal."""
    grant = RevealGrant.objects.select_related("upload", "upload__subject").filter(pk=grant_id, staff=staff).first()
    if grant is None:
        raise RevealGrantNotFound()
    if grant.expires_at <= (now or timezone.now()) or not staff.has_perm(REVEAL_PERMISSION):
        raise RevealGrantExpired()
    return grant


def uploads_left_without_purpose_by_app(*, subject: User, purpose) -> dict[str | None, int]:
    """Rule 2, asked ahead: the subject's stored uploads that hold `purpose` and no other purpose the subject
    grants now, counted by the app that holds them (None: uploaded by the subject in the portal)."""
    other_granted = (
        consent_states_granted().filter(subject=subject, purpose__uploads=OuterRef("pk")).exclude(purpose=purpose)
    )
    rows = (
        FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED, purposes=purpose)
        .exclude(Exists(other_granted))
        .values("partner__name")
        .annotate(uploads=Count("pk", distinct=True))
        .order_by("partner__name")
    )
    return {row["partner__name"]: row["uploads"] for row in rows}
