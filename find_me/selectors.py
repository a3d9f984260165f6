"""Reads of find-me, scoped to the person they are about: their sightings, their templates (as counts and dates,
never the values), the blurred preview of a matched face, and what the export and erasure list."""

import io
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFilter

from accounts.models import User
from find_me.exceptions import SightingNotFound
from find_me.models import FaceTemplate, Sighting
from find_me.similarity import VERY_LIKELY, similarity_of
from media_vault.selectors import upload_image_bytes
from partners.selectors import partner_id_of_link

PREVIEW_SIDE = 96  # px: enough to recognise oneself, blurred, and nothing of the rest of the photo
PREVIEW_BLUR = 2.5
PREVIEW_MARGIN = 0.15  # around the face box, so the face is not cut at the chin

REMOVED = "removed"  # shown when the upload is gone (the app deleted it, or its owner did)
OVERDUE = "overdue"  # removal requested and its 48 hours have passed

SIMILARITY_WORDS = {VERY_LIKELY: _("very likely you"), "likely": _("likely you")}
STATUS_WORDS = {
    Sighting.Status.FOUND: _("new"),
    Sighting.Status.NOT_ME: _("you said it is not you"),
    Sighting.Status.REMOVAL_REQUESTED: _("removal requested"),
    OVERDUE: _("removal overdue"),
    REMOVED: _("removed"),
}


def sighting_status_shown(*, sighting: Sighting, now: datetime | None = None) -> str:
    """`found`, `not_me`, `removal_requested`, `overdue` (requested, past its deadline) or `removed` (gone)."""
    if sighting.upload_id is None:
        return REMOVED
    if sighting.status == Sighting.Status.REMOVAL_REQUESTED and sighting.removal_due_at <= (now or timezone.now()):
        return OVERDUE
    return sighting.status


def sighting_similarity(*, sighting: Sighting) -> str:
    return similarity_of(sighting.distance)


def sighting_list_for_subject(*, subject: User) -> QuerySet[Sighting]:
    return Sighting.objects.filter(subject=subject).select_related("partner").order_by("-found_at", "-id")


def sightings_overdue(*, now: datetime | None = None) -> QuerySet[Sighting]:
    """Every removal asked for, past its 48 hours, whose photo is still there: the staff queue (status `overdue`)."""
    return Sighting.objects.filter(
        status=Sighting.Status.REMOVAL_REQUESTED, removal_due_at__lte=now or timezone.now(), upload__isnull=False
    )


def sighting_get_for_subject(*, subject: User, sighting_id) -> Sighting:
    """The subject's own sighting, or SightingNotFound (the same for another person's and for none)."""
    try:
        key = uuid.UUID(str(sighting_id))
    except ValueError:
        raise SightingNotFound() from None
    sighting = sighting_list_for_subject(subject=subject).filter(pk=key).first()
    if sighting is None:
        raise SightingNotFound()
    return sighting


def sighting_preview_jpeg(*, sighting: Sighting) -> bytes:
    """The matched face only, cut from the other person's photo, scaled down and blurred; SightingNotFound once the
    photo is gone. Nothing else of that photo ever leaves the vault."""
    upload = sighting.upload
    if upload is None:
        raise SightingNotFound()
    x, y, w, h = sighting.face_box
    margin = round(max(w, h) * PREVIEW_MARGIN)
    with Image.open(io.BytesIO(upload_image_bytes(upload=upload))) as image:
        face = image.convert("RGB").crop(
            (
                max(0, x - margin),
                max(0, y - margin),
                min(image.width, x + w + margin),
                min(image.height, y + h + margin),
            )
        )
    face.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    out = io.BytesIO()
    face.filter(ImageFilter.GaussianBlur(PREVIEW_BLUR)).save(out, "JPEG", quality=80)
    return out.getvalue()


@dataclass(frozen=True)
class TemplateSummary:
    """What the person is told of their templates: how many, and when they were made."""

    count: int
    first_made: datetime | None
    last_made: datetime | None


def template_summary_for_subject(*, subject: User) -> TemplateSummary:
    row = FaceTemplate.objects.filter(subject=subject).aggregate(
        count=Count("pk"), first_made=Min("created_at"), last_made=Max("created_at")
    )
    return TemplateSummary(**row)


def find_me_records_count(*, subject: User) -> tuple[int, int]:
    """(templates, sightings) of the subject: what withdrawing `find-me` or erasure destroys."""
    return FaceTemplate.objects.filter(subject=subject).count(), Sighting.objects.filter(subject=subject).count()


def sightings_count_for_app(*, subject: User, link_ref: int) -> int:
    """The subject's sightings in the uploads of one app (named by the link, as the consent core keeps it)."""
    partner_id = partner_id_of_link(link_ref=link_ref)
    return 0 if partner_id is None else Sighting.objects.filter(subject=subject, partner_id=partner_id).count()


def find_me_export_for_subject(*, subject: User) -> dict:
    """For the export: that templates exist and when they were made (never their values), and every sighting
    (never the other person's photo)."""
    now = timezone.now()
    return {
        "face_templates": [
            {"id": str(t.pk), "made_at": t.created_at.isoformat(), "from_upload_id": str(t.source_upload_id)}
            for t in FaceTemplate.objects.filter(subject=subject).order_by("created_at", "id")
        ],
        "sightings": [
            {
                "id": str(s.pk),
                "app": s.partner.name if s.partner else None,
                "found_at": s.found_at.isoformat(),
                "similarity": sighting_similarity(sighting=s),
                "status": sighting_status_shown(sighting=s, now=now),
                "removal_due_at": s.removal_due_at.isoformat() if s.removal_due_at else None,
            }
            for s in sighting_list_for_subject(subject=subject)
        ],
    }
