"""Reads of appearances, with their rules: what each side may see, and when a takedown is overdue."""

import uuid
from datetime import datetime

from django.db.models import OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from appearances.exceptions import AppearanceNotFound
from appearances.models import Appearance
from consents.models import Purpose
from consents.selectors import consent_exception_q
from media_vault.storage import subject_data_key_existing, vault_object_read
from partners.selectors import link_active_of_holder

OVERDUE = "overdue"


def appearance_status_shown(*, appearance: Appearance, now: datetime | None = None) -> str:
    """The status a person (or staff) sees: a requested takedown past its deadline reads `overdue`."""
    if (
        appearance.status == Appearance.Status.TAKEDOWN_REQUESTED
        and appearance.takedown_due_at is not None
        and appearance.takedown_due_at <= (now or timezone.now())
    ):
        return OVERDUE
    return appearance.status


def appearances_overdue(*, now: datetime | None = None) -> QuerySet[Appearance]:
    """Every requested takedown past its deadline (the staff queue)."""
    return Appearance.objects.filter(
        status=Appearance.Status.TAKEDOWN_REQUESTED, takedown_due_at__lte=now or timezone.now()
    )


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def appearance_list_for_partner(*, partner, subject: User) -> QuerySet[Appearance]:
    """The partner's own appearances of one subject: never another app's."""
    return Appearance.objects.filter(partner=partner, subject=subject).prefetch_related("purposes")


def appearance_get_for_partner(*, partner, subject: User, appearance_id) -> Appearance:
    """One of the partner's own appearances of the subject; 404 for unknown and another app's alike."""
    pk = _as_uuid(appearance_id)
    appearance = appearance_list_for_partner(partner=partner, subject=subject).filter(pk=pk).first() if pk else None
    if appearance is None:
        raise AppearanceNotFound()
    return appearance


def appearance_list_for_subject(
    *, subject: User, partner_id: int | None = None, status: str = "", now: datetime | None = None
) -> list[Appearance]:
    """Every appearance of the subject from every app, newest first; filtered by app and shown status."""
    appearances = Appearance.objects.filter(subject=subject).select_related("partner").prefetch_related("purposes")
    if partner_id:
        appearances = appearances.filter(partner_id=partner_id)
    now = now or timezone.now()
    if status == OVERDUE:
        appearances = appearances.filter(status=Appearance.Status.TAKEDOWN_REQUESTED, takedown_due_at__lte=now)
    elif status == Appearance.Status.TAKEDOWN_REQUESTED:
        appearances = appearances.filter(status=status, takedown_due_at__gt=now)
    elif status:
        appearances = appearances.filter(status=status)
    return list(appearances)


def appearance_get_for_subject(*, subject: User, appearance_id) -> Appearance:
    """One of the subject's own appearances; 404 for unknown and another person's alike."""
    pk = _as_uuid(appearance_id)
    appearance = Appearance.objects.filter(subject=subject, pk=pk).select_related("partner").first() if pk else None
    if appearance is None:
        raise AppearanceNotFound()
    return appearance


def appearances_live_under_purpose(
    *, subject: User, purpose: Purpose, link_ref: int | None = None
) -> QuerySet[Appearance]:
    """The live appearances that withdrawing `purpose` would ask to take down: for all apps (`link_ref` None), those
    of every app without its own exception for the purpose; for one app's link, that app's."""
    live = Appearance.objects.filter(subject=subject, purposes=purpose, status=Appearance.Status.LIVE)
    if not live.exists():  # often so, and the query below is costly to build
        return Appearance.objects.none()
    live = live.annotate(holder_link=link_active_of_holder())
    if link_ref is None:
        live = live.exclude(
            consent_exception_q(subject_ref=subject.pk, purpose_ref=purpose.pk, link_ref=OuterRef("holder_link"))
        )
    else:
        live = live.filter(holder_link=link_ref)
    return live.distinct()


def appearance_partners_for_subject(*, subject: User) -> list[tuple[int, str]]:
    """The apps that reported appearances of the subject, for the page's filter."""
    return list(
        Appearance.objects.filter(subject=subject)
        .values_list("partner_id", "partner__name")
        .distinct()
        .order_by("partner__name")
    )


def appearance_thumbnail_bytes(*, appearance: Appearance) -> bytes:
    """The decrypted thumbnail (JPEG)."""
    return vault_object_read(
        data_key=subject_data_key_existing(subject=appearance.subject), name=appearance.thumbnail_object_name
    )


def appearance_thumbnail_path(*, appearance_id) -> str:
    """Where an appearance's thumbnail lies in the export archive (always a JPEG: ingestion re-encodes it)."""
    return f"appearances/{appearance_id}.jpg"


def appearances_export_for_subject(*, subject: User) -> list[dict]:
    """The subject's appearances for the export archive (appearances.json); `thumbnail` names the file beside it."""
    return [
        {
            "id": str(a.pk),
            "app": a.partner.name,
            "kind": a.kind,
            "made_by": a.made_by,
            "title": a.title,
            "purposes": sorted(p.slug for p in a.purposes.all()),
            "created_at": a.created_at,
            "reported_at": a.reported_at,
            "content_sha256": a.content_sha256,
            "c2pa_manifest_id": a.c2pa_manifest_id or None,
            "source_upload_ids": a.source_upload_ids,
            "has_thumbnail": bool(a.thumbnail_object_name),
            "thumbnail": appearance_thumbnail_path(appearance_id=a.pk) if a.thumbnail_object_name else None,
            "status": a.status,
            "takedown_requested_at": a.takedown_requested_at,
            "takedown_due_at": a.takedown_due_at,
            "taken_down_at": a.taken_down_at,
            "takedown_reason": a.takedown_reason or None,
        }
        for a in Appearance.objects.filter(subject=subject)
        .select_related("partner")
        .prefetch_related("purposes")
        .order_by("created_at")
    ]


def appearance_thumbnail_files_for_export(*, subject: User) -> list[tuple[str, str]]:
    """(appearance id, stored object name) of every appearance of the subject with a thumbnail, oldest first."""
    return [
        (str(pk), name)
        for pk, name in Appearance.objects.filter(subject=subject, thumbnail_object_name__isnull=False)
        .order_by("created_at", "id")
        .values_list("pk", "thumbnail_object_name")
    ]
