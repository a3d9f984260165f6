"""Reads for data requests and for what an export holds (rule 5: everything held about the subject)."""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.activity import ActivityCursor, ActivityItem, ActivityKind, ActivityWindow
from accounts.devices import device_label
from accounts.models import SignIn, User
from accounts.selectors import sign_in_activity_for_subject
from appearances.selectors import appearances_export_for_subject
from consents.hooks import connected_apps_for
from consents.models import ConsentEvent, ConsentStateName
from consents.receipts import receipts_for_subject
from consents.selectors import (
    ConsentRow,
    consent_activity_for_subject,
    consent_exceptions_for_subject,
    consent_states_for_subject,
    restrictions_chosen_for_subject,
)
from data_rights.exceptions import ExportNotAvailable
from data_rights.models import DataRequest
from find_me.selectors import find_me_export_for_subject
from media_vault.models import AccessEvent, FaceUpload
from media_vault.selectors import access_activity_for_subject, access_event_list_for_subject, upload_totals_for_subject
from partners.models import Link
from partners.selectors import delivery_activity_for_subject, link_list_for_subject, partner_names_by_id

HOME_RECENT_ACCESS = 3  # access events the home page shows; the Activity page has them all


def data_request_list_for_subject(*, subject: User) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(subject=subject).order_by("-created_at")


def export_get_for_download(*, subject: User, request_id) -> DataRequest:
    """A ready, unexpired export of this subject; 404 for anything else, including other people's."""
    try:
        pk = uuid.UUID(str(request_id))
    except ValueError as error:
        raise ExportNotAvailable() from error
    export = DataRequest.objects.filter(
        pk=pk,
        subject=subject,
        kind=DataRequest.Kind.EXPORT,
        status=DataRequest.Status.READY,
        expires_at__gt=timezone.now(),
    ).first()
    if export is None:
        raise ExportNotAvailable()
    return export


def export_is_ready(*, export: DataRequest) -> bool:
    """Rule 6: whether the export can be downloaded now (a worker may have built it since `export` was read)."""
    return DataRequest.objects.filter(
        pk=export.pk, status=DataRequest.Status.READY, expires_at__gt=timezone.now()
    ).exists()


def export_sections_for_subject(*, subject: User) -> dict:
    """The JSON files of the export archive, keyed by their names in DESIGN.md."""
    profile = {
        "email": subject.email,
        "display_name": subject.display_name,
        "subject_ref": str(subject.ledger_ref),
        "date_joined": subject.date_joined,
        "last_login": subject.last_login,
        "email_addresses": [
            {"email": a.email, "verified": a.verified, "primary": a.primary}
            for a in EmailAddress.objects.filter(user=subject)
        ],
        "two_factor": sorted(Authenticator.objects.filter(user=subject).values_list("type", flat=True)),
        "sign_ins": [
            {"at": sign_in.created_at, "device": sign_in.device, "new_device": sign_in.new_device}
            for sign_in in SignIn.objects.filter(subject=subject).order_by("created_at")
        ],
        "sessions": [
            {
                "started_at": session.created_at,
                "last_seen_at": session.last_seen_at,
                "ip": session.ip,
                "device": device_label(session.user_agent),
            }
            for session in UserSession.objects.filter(user=subject).order_by("created_at")
        ],
    }
    app_names = {app.link_ref: app.name for app in connected_apps_for(subject=subject)}
    consents = {
        "current": [
            {
                "purpose": s.purpose_slug,
                "title": s.title,
                "state": s.state,
                "granted": s.granted,
                "purpose_version": s.purpose_version,
                "changed_at": s.changed_at,
                "expires_at": s.expires_at,
            }
            for s in consent_states_for_subject(subject=subject)
        ],
        # Per-app exceptions: decisions for one app that override the decision for all apps.
        "exceptions": [
            {
                "purpose": e.purpose.slug,
                "title": e.purpose.title,
                "app": app_names.get(e.link_ref, ""),
                "granted": e.granted,
                "purpose_version": e.purpose_version,
                "changed_at": e.changed_at,
            }
            for e in consent_exceptions_for_subject(subject=subject)
        ],
        "events": [
            {
                "seq": e.seq,
                "purpose": e.purpose_slug,
                "purpose_version": e.purpose_version,
                "granted": e.granted,
                "scope": e.scope,
                "app": app_names.get(e.link_ref) if e.link_ref is not None else None,
                "exception_removed": e.exception_removed,
                "channel": e.channel,
                "actor": e.actor,
                "created_at": e.created_at,
                "subject_ref": str(e.subject_ref),
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in ConsentEvent.objects.filter(subject=subject).order_by("seq")
        ],
        "restrictions": [
            {
                "restriction": r.restriction.slug,
                "title": r.restriction.title,
                "version": r.restriction.version,
                "active": r.restriction.active,
                "chosen_at": r.chosen_at,
            }
            for r in restrictions_chosen_for_subject(subject=subject)
        ],
    }
    uploads = [
        {
            "id": str(u.pk),
            "file": f"uploads/{u.pk}.{u.extension}",
            "source": u.source,
            "partner": u.partner.name if u.partner else None,
            "purposes": sorted(p.slug for p in u.purposes.all()),
            "width": u.width,
            "height": u.height,
            "format": u.format,
            "size_bytes": u.size_bytes,
            "sha256": u.sha256,
            "faces_detected": u.faces_detected,
            "face_boxes": u.face_boxes,
            "created_at": u.created_at,
            "retention_until": u.retention_until,
        }
        # Only stored uploads: one being erased may have lost its image already, and the archive holds its images.
        for u in FaceUpload.objects.filter(subject=subject, status=FaceUpload.Status.STORED)
        .select_related("partner")
        .prefetch_related("purposes")
        .order_by("created_at")
        .iterator(chunk_size=500)
    ]
    access_log = [
        {
            "when": a.created_at,
            "who": a.actor_kind,
            "partner": a.partner.name if a.partner else None,
            "what": a.action,
            "why": a.reason,
            "upload_id": str(a.upload_ref) if a.upload_ref else None,
        }
        for a in AccessEvent.objects.filter(subject=subject)
        .select_related("partner")
        .order_by("created_at")
        .iterator(chunk_size=1000)
    ]
    partners = [
        {
            "partner": link.partner.name,
            "subject_id": str(link.pairwise_id),
            "linked_at": link.linked_at,
            "unlinked_at": link.unlinked_at,
            "last_consent_read_at": link.last_consent_read_at,
            "scopes": link.partner.scopes,
        }
        for link in Link.objects.filter(subject=subject).select_related("partner").order_by("linked_at")
    ]
    requests = [
        {
            "id": str(r.pk),
            "kind": r.kind,
            "status": r.status,
            "created_at": r.created_at,
            "deadline": r.deadline,
            "finished_at": r.finished_at,
            "expires_at": r.expires_at,
        }
        for r in DataRequest.objects.filter(subject=subject).order_by("created_at")
    ]
    return {
        "profile.json": profile,
        "consents.json": consents,
        "uploads.json": uploads,
        "access_log.json": access_log,
        "partners.json": partners,
        "requests.json": requests,
        "appearances.json": appearances_export_for_subject(subject=subject),
        # That face templates exist and when they were made, never their values; sightings without the photo.
        "find_me.json": find_me_export_for_subject(subject=subject),
        # Proof: every decision's signed receipt (compact JWS), verifiable offline against /.well-known/jwks.json.
        "receipts.json": [
            {"event_id": r.event_id, "purpose": r.event.purpose_slug, "decision": r.decision, "jws": r.jws}
            for r in sorted(receipts_for_subject(subject=subject), key=lambda r: r.event_id)
        ],
    }


def export_status_shown(*, export: DataRequest, now: datetime) -> str:
    """Rule 6: the status a person sees; a ready export past its expiry is expired, even before the sweep deletes it."""
    if export.status == DataRequest.Status.READY and (export.expires_at is None or export.expires_at <= now):
        return DataRequest.Status.EXPIRED
    return export.status


def _data_request_detail(request: DataRequest, *, now: datetime) -> str:
    status = export_status_shown(export=request, now=now)
    if status in DataRequest.ACTIVE:
        return _("Being built.") if request.kind == DataRequest.Kind.EXPORT else _("Under way.")
    if status == DataRequest.Status.READY:
        until = formats.date_format(timezone.localtime(request.expires_at), "j M Y, H:i")
        return _("Ready to download until %(until)s.") % {"until": until}
    return {
        DataRequest.Status.EXPIRED: _("Expired: an export can be downloaded for 7 days."),
        DataRequest.Status.DONE: _("Done."),
        DataRequest.Status.FAILED: _("It could not be finished. Privacy staff have been told."),
    }.get(status, "")


def data_request_activity_for_subject(*, subject: User, window: ActivityWindow) -> list[ActivityItem]:
    """Rules 6 and 7 on the Activity page: the subject's export and erasure requests with where each stands;
    none when the page shows one app."""
    if window.partner_id is not None:
        return []
    now = timezone.now()
    requests = window.rows(DataRequest.objects.filter(subject=subject), source="request")
    return [
        ActivityItem(
            at=request.created_at,
            kind=ActivityKind.REQUESTS,
            text=_("You asked for an export of your data")
            if request.kind == DataRequest.Kind.EXPORT
            else _("You asked us to erase everything about you"),
            source="request",
            key=request.pk,
            detail=_data_request_detail(request, now=now),
            url=reverse("data_rights:your_data")
            if export_status_shown(export=request, now=now) == DataRequest.Status.READY
            else "",
        )
        for request in requests
    ]


@dataclass(frozen=True)
class ActivityPage:
    items: list[ActivityItem]
    next_cursor: ActivityCursor | None


def activity_page_for_subject(
    *,
    subject: User,
    limit: int,
    kind: str | None = None,
    partner_id: int | None = None,
    cursor: ActivityCursor | None = None,
) -> ActivityPage:
    """Everything that happened with the subject's data, from every app, newest first: photos opened and deleted,
    consent changes, what apps were told, sign-ins, exports and erasure. One kind or one app if asked.

    Each app reads its own rows (at most `limit` + 1, older than the cursor), so a page costs the same few
    queries however long the history is.
    """
    kinds = {kind} if kind else set(ActivityKind.ALL)
    window = ActivityWindow(limit=limit + 1, cursor=cursor, partner_id=partner_id)
    items: list[ActivityItem] = []
    if ActivityKind.SIGN_INS in kinds:
        items += sign_in_activity_for_subject(subject=subject, window=window)
    if ActivityKind.CONSENTS in kinds:
        items += consent_activity_for_subject(subject=subject, window=window)
    if ActivityKind.DELIVERIES in kinds:
        items += delivery_activity_for_subject(subject=subject, window=window)
    if kinds & {ActivityKind.PHOTOS, ActivityKind.DELETIONS, ActivityKind.REQUESTS}:
        items += access_activity_for_subject(subject=subject, window=window, kinds=kinds)
    if ActivityKind.REQUESTS in kinds:
        items += data_request_activity_for_subject(subject=subject, window=window)
    items.sort(key=ActivityItem.sort_key, reverse=True)
    page = items[:limit]
    unnamed = {item.partner_id for item in page if item.partner_id is not None and not item.app}
    if unnamed:
        names = partner_names_by_id(ids=unnamed)
        page = [replace(item, app=names.get(item.partner_id, "")) if not item.app else item for item in page]
    return ActivityPage(items=page, next_cursor=page[-1].cursor if len(items) > limit else None)


@dataclass(frozen=True)
class HomeSummary:
    """What the home page sums up for one subject, read from every app through its selectors."""

    consents: list[ConsentRow]
    apps: list[Link]  # annotated with the delivery state of the latest event each was sent
    photos: int
    next_deletion_at: datetime | None
    recent_access: list[AccessEvent]
    last_export: DataRequest | None
    last_export_status: str | None

    @property
    def granted(self) -> list[ConsentRow]:
        return [row for row in self.consents if row.granted]

    @property
    def needs_decision(self) -> list[ConsentRow]:
        """Grants of terms that changed since: they no longer count as yes until decided again (rule 3)."""
        return [row for row in self.consents if row.state == ConsentStateName.RECONSENT_REQUIRED]

    @property
    def undecided(self) -> list[ConsentRow]:
        return [row for row in self.consents if row.state == ConsentStateName.NOT_ASKED]

    @property
    def is_new(self) -> bool:
        """A new account: no decision on any purpose yet, so the page welcomes instead of summing up."""
        return all(row.state == ConsentStateName.NOT_ASKED for row in self.consents)


def home_summary_for_subject(*, subject: User, now: datetime) -> HomeSummary:
    """Rules 1 to 7 at a glance: what the subject allows, which apps know it, what is held, who read it, exports."""
    photos = upload_totals_for_subject(subject=subject)
    last_export = data_request_list_for_subject(subject=subject).filter(kind=DataRequest.Kind.EXPORT).first()
    return HomeSummary(
        consents=consent_states_for_subject(subject=subject),
        apps=list(link_list_for_subject(subject=subject)),
        photos=photos.stored,
        next_deletion_at=photos.next_deletion_at,
        recent_access=list(access_event_list_for_subject(subject=subject)[:HOME_RECENT_ACCESS]),
        last_export=last_export,
        last_export_status=export_status_shown(export=last_export, now=now) if last_export else None,
    )
