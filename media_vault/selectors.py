"""Reads of face uploads and access events, scoped to who asks (rule 5; partners see only their own)."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, Max, Min, OuterRef, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from accounts.activity import ActivityItem, ActivityKind, ActivityWindow
from accounts.models import User
from consents.models import Purpose
from consents.selectors import consent_exception_q, consent_granted_for_app_q
from media_vault.exceptions import RevealGrantExpired, RevealGrantNotFound, UploadNotFound
from media_vault.models import AccessEvent, FaceUpload, RevealGrant
from media_vault.storage import subject_data_key_existing, vault_object_read
from partners.selectors import link_active_of_holder

ACCESS_PREVIEW = 5  # groups of reads ("You viewed it 7 times") shown per upload on the list page
REVEAL_PERMISSION = "media_vault.reveal_faceupload"


def upload_label(*, upload: FaceUpload) -> str:
    """The name a person knows an upload by, the same on every page: "Photo 3 · from Cameo Studio · 1 Dec 2026, 14:05".

    The number is the subject's own count of uploads (1, 2, 3…, never reused), so two photos of the same
    minute still differ. Needs `upload.partner` (select_related it for lists).
    """
    when = formats.date_format(timezone.localtime(upload.created_at), "j M Y, H:i")
    source = gettext("from %(app)s") % {"app": upload.partner.name} if upload.partner_id else gettext("uploaded by you")
    photo = gettext("Photo %(number)s") % {"number": upload.number} if upload.number else gettext("Photo")
    return f"{photo} · {source} · {when}"


def upload_list_for_subject(
    *, subject: User, source: str | None = None, purpose_slug: str | None = None
) -> QuerySet[FaceUpload]:
    """Every face upload tied to the subject, from every source, newest first, with its app and purposes.
    Pages add who opened each with `uploads_with_access_groups` (one query for a whole page)."""
    uploads = (
        FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED)
        .select_related("partner")
        .prefetch_related("purposes")
        .order_by("-created_at", "-number", "-id")
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
    stored = FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED).select_related("partner")
    upload = _by_id(stored, upload_id)
    if upload is None:
        raise UploadNotFound()
    return upload


def upload_list_for_partner(*, partner, subject: User) -> QuerySet[FaceUpload]:
    """The calling partner's own uploads for one subject."""
    return (
        FaceUpload.objects.filter(subject=subject, partner=partner, status=FaceUpload.Status.STORED)
        .prefetch_related("purposes")
        .order_by("-created_at", "-number", "-id")
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


@dataclass(frozen=True)
class NoFaceQuestions:
    """The uploads to ask about now ("keep it or delete it?") and how many there are in all."""

    uploads: list[FaceUpload]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.uploads)


def no_face_questions_for_subject(*, subject: User, limit: int) -> NoFaceQuestions:
    """The subject's stored uploads in which no face was found and that they have not chosen to keep, newest
    first, at most `limit` of them (FaceUpload.awaits_no_face_answer, as a query)."""
    unanswered = FaceUpload.objects.filter(
        subject=subject, status=FaceUpload.Status.STORED, faces_detected=0, no_face_kept_at__isnull=True
    )
    uploads = list(unanswered.select_related("partner").order_by("-created_at", "-number", "-id")[:limit])
    return NoFaceQuestions(uploads=uploads, total=unanswered.count())  # always two queries, however many


@dataclass(frozen=True)
class AccessGroup:
    """Repeated reads of one upload by the same someone, for the same thing and reason: "You viewed it 7 times"."""

    actor_kind: str
    partner_name: str | None  # None for an app no longer registered (and for anyone but an app)
    action: str
    reason: str
    times: int
    first_at: datetime
    last_at: datetime


def _access_groups(*, upload_ids: list) -> dict:
    rows = (
        AccessEvent.objects.filter(upload_id__in=upload_ids)
        .values("upload_id", "actor_kind", "partner__name", "action", "reason")
        .annotate(times=Count("pk"), first_at=Min("created_at"), last_at=Max("created_at"))
        .order_by("-last_at")
    )
    groups: dict = {upload_id: [] for upload_id in upload_ids}
    for row in rows:
        groups[row["upload_id"]].append(
            AccessGroup(
                actor_kind=row["actor_kind"],
                partner_name=row["partner__name"],
                action=row["action"],
                reason=row["reason"],
                times=row["times"],
                first_at=row["first_at"],
                last_at=row["last_at"],
            )
        )
    return groups


def access_groups_for_upload(*, upload: FaceUpload) -> list[AccessGroup]:
    """Rule 5 for one upload, repeats grouped: who opened it, for what, how often, first and last; latest first."""
    return _access_groups(upload_ids=[upload.pk])[upload.pk]


def uploads_with_access_groups(*, uploads) -> list[FaceUpload]:
    """The uploads (a page of them), each with `access_groups`, in one query however long the histories are."""
    uploads = list(uploads)
    groups = _access_groups(upload_ids=[upload.pk for upload in uploads])
    for upload in uploads:
        upload.access_groups = groups[upload.pk]
    return uploads


def access_event_list_for_subject(*, subject: User) -> QuerySet[AccessEvent]:
    """Every recorded read of the subject's images and exports, newest first."""
    return AccessEvent.objects.filter(subject=subject).select_related("partner").order_by("-created_at", "-id")


def upload_activity_label(*, created_at: datetime | None, upload_id=None) -> str:
    """How the Activity page names a photo, as the uploads page does: "photo of 3 May 2026, 10:00".

    A stand-in until media_vault has one label helper for uploads; swap it for that one.
    """
    if created_at is None:  # erased before uploads kept their date in the access log
        return _("photo %(ref)s") % {"ref": str(upload_id or "")[:8]}
    return _("photo of %(when)s") % {"when": formats.date_format(timezone.localtime(created_at), "j M Y, H:i")}


_ACTIVITY_KIND_OF_ACTION = {
    AccessEvent.Action.VIEW: ActivityKind.PHOTOS,
    AccessEvent.Action.CONTENT: ActivityKind.PHOTOS,
    AccessEvent.Action.REVEAL: ActivityKind.PHOTOS,
    AccessEvent.Action.EXPORT: ActivityKind.REQUESTS,
    AccessEvent.Action.ERASE: ActivityKind.DELETIONS,
    AccessEvent.Action.EXPIRE: ActivityKind.DELETIONS,
    AccessEvent.Action.ORPHAN: ActivityKind.DELETIONS,
}


def _access_who(event: AccessEvent) -> str:
    if event.actor_kind == AccessEvent.ActorKind.PARTNER:
        return event.partner.name if event.partner else _("An app that is no longer registered")
    return {
        AccessEvent.ActorKind.SUBJECT: _("You"),
        AccessEvent.ActorKind.STAFF: _("Privacy staff"),
    }.get(event.actor_kind, _("The portal"))


def _access_text(event: AccessEvent) -> str:
    values = {
        "who": _access_who(event),
        "photo": upload_activity_label(created_at=event.upload_created_at, upload_id=event.upload_ref),
    }
    texts = {
        AccessEvent.Action.VIEW: _("%(who)s viewed the %(photo)s"),
        AccessEvent.Action.CONTENT: _("%(who)s downloaded the %(photo)s"),
        AccessEvent.Action.REVEAL: _("%(who)s revealed the original of the %(photo)s"),
        AccessEvent.Action.EXPORT: _("%(who)s downloaded your export"),
        AccessEvent.Action.ERASE: _("%(who)s deleted the %(photo)s"),
        AccessEvent.Action.EXPIRE: _("The %(photo)s was deleted: the time it could be kept ran out"),
        AccessEvent.Action.ORPHAN: _("The %(photo)s was deleted: no purpose you grant covers it any more"),
    }
    return capfirst(texts.get(event.action, _("%(who)s opened the %(photo)s")) % values)


def access_activity_for_subject(*, subject: User, window: ActivityWindow, kinds: Collection[str]) -> list[ActivityItem]:
    """Rule 5 on the Activity page: reads of the subject's photos and export, and deletions of photos, of the
    `kinds` asked for (photos, deletions, requests). One query whatever the page."""
    actions = [action for action, kind in _ACTIVITY_KIND_OF_ACTION.items() if kind in kinds]
    if not actions:
        return []
    events = AccessEvent.objects.filter(subject=subject, action__in=actions)
    if window.partner_id is not None:
        events = events.filter(partner_id=window.partner_id)
    events = window.rows(events.select_related("partner").annotate(upload_status=F("upload__status")), source="access")
    return [
        ActivityItem(
            at=event.created_at,
            kind=_ACTIVITY_KIND_OF_ACTION[event.action],
            text=_access_text(event),
            source="access",
            key=event.pk,
            partner_id=event.partner_id,
            app=event.partner.name if event.partner else "",
            detail=_("Reason given: %(reason)s") % {"reason": event.reason} if event.reason else "",
            url=reverse("media_vault:upload_detail", args=[event.upload_id])
            if event.upload_status == FaceUpload.Status.STORED
            else "",
        )
        for event in events
    ]


def reveal_grant_get_valid(*, grant_id: int, staff: User, now: datetime | None = None) -> RevealGrant:
    """Rule 4: an original is shown only to the officer it was revealed to, for a few minutes, while they may reveal."""
    grant = RevealGrant.objects.select_related("upload", "upload__subject").filter(pk=grant_id, staff=staff).first()
    if grant is None:
        raise RevealGrantNotFound()
    if grant.expires_at <= (now or timezone.now()) or not staff.has_perm(REVEAL_PERMISSION):
        raise RevealGrantExpired()
    return grant


def uploads_left_without_purpose_by_app(
    *, subject: User, purpose, link_ref: int | None = None
) -> dict[str | None, int]:
    """Rule 2, asked ahead: the subject's stored uploads that hold `purpose` and no other purpose the subject
    grants now to the app holding them, counted by that app (None: uploaded by the subject in the portal).

    For a withdrawal for all apps (`link_ref` None), apps with their own exception for `purpose` keep theirs; for
    one app's, only that app's uploads count."""
    held = FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED, purposes=purpose)
    if not held.exists():  # often so, and the count below is costly to build (a third of a withdrawal's CPU)
        return {}
    other_granted = (
        Purpose.objects.filter(uploads=OuterRef("pk"))
        .exclude(pk=purpose.pk)
        .filter(
            consent_granted_for_app_q(
                subject_ref=subject.pk, purpose_ref=OuterRef("pk"), link_ref=OuterRef(OuterRef("holder_link"))
            )
        )
    )
    uploads = held.annotate(holder_link=link_active_of_holder())
    if link_ref is None:
        uploads = uploads.exclude(
            consent_exception_q(subject_ref=subject.pk, purpose_ref=purpose.pk, link_ref=OuterRef("holder_link"))
        )
    else:
        uploads = uploads.filter(holder_link=link_ref)
    rows = (
        uploads.exclude(Exists(other_granted))
        .values("partner__name")
        .annotate(uploads=Count("pk", distinct=True))
        .order_by("partner__name")
    )
    return {row["partner__name"]: row["uploads"] for row in rows}
