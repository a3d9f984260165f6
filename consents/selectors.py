"""Every read that encodes a consent rule. Pages, both APIs, admin and tasks call these."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.activity import ActivityItem, ActivityKind, ActivityWindow
from accounts.models import User
from consents.exceptions import AppNotFound, PurposeNotFound
from consents.hooks import ConnectedApp, WithdrawalImpact, connected_apps_for, withdrawal_impact_for
from consents.models import (
    SCOPE_ALL_APPS,
    SCOPE_THIS_APP,
    Channel,
    ConsentEvent,
    ConsentException,
    ConsentState,
    ConsentStateName,
    LikenessRestriction,
    Purpose,
    SubjectRestriction,
)


def consent_state_name(*, state: ConsentState | None, purpose: Purpose) -> str:
    """Rules 1 and 3: no row is not_asked; a grant of a version older than the purpose's
    re-consent threshold is reconsent_required; only `granted` counts as yes."""
    if state is None:
        return ConsentStateName.NOT_ASKED
    return consent_state_name_of(
        granted=state.granted,
        purpose_version=state.purpose_version,
        min_valid_version=purpose.min_valid_version,
        expires_at=state.expires_at,
    )


def consent_state_name_of(
    *, granted: bool, purpose_version: int, min_valid_version: int, expires_at: datetime | None = None, now=None
) -> str:
    """The same rule on plain values (the purpose's re-consent threshold), for reads of thousands of rows.

    A grant whose expiry has passed is withdrawn from that moment, even before `consents_expire` records it
    (within 30 s with beat, a few minutes on the embedded default): no app is ever told yes after the end."""
    if not granted or (expires_at is not None and expires_at <= (now or timezone.now())):
        return ConsentStateName.WITHDRAWN
    if purpose_version < min_valid_version:
        return ConsentStateName.RECONSENT_REQUIRED
    return ConsentStateName.GRANTED


@dataclass(frozen=True, slots=True)
class ConsentRow:
    """One subject's decision on one purpose, as every reader sees it: pages, both APIs, admin, the export.

    `purpose` is set where the reader shows the purpose's text (pages, the subject's API); the partner API's
    hot path builds rows from plain values and leaves it out.
    """

    purpose_slug: str
    state: str
    purpose_version: int | None = None
    changed_at: datetime | None = None
    purpose: Purpose | None = None
    expires_at: datetime | None = None  # expiring grants: when a grant ends (None when open-ended or withdrawn)
    scope: str = SCOPE_ALL_APPS  # per-app exceptions: `this_app` when the row is the asking app's own exception

    @property
    def granted(self) -> bool:
        return self.state == ConsentStateName.GRANTED

    @property
    def title(self) -> str:
        return self.purpose.title if self.purpose else self.purpose_slug

    @property
    def state_label(self) -> str:
        return ConsentStateName(self.state).label


def purpose_list_active() -> QuerySet[Purpose]:
    """Active purposes in page order."""
    return Purpose.objects.filter(active=True).order_by("position", "slug")


def purpose_titles_by_slug(*, slugs: Collection[str] | None = None) -> dict[str, str]:
    """Current titles by slug, retired purposes too, for readers that hold only slugs (the export, Activity);
    every purpose, or only the named ones, in one query."""
    purposes = Purpose.objects.all() if slugs is None else Purpose.objects.filter(slug__in=slugs)
    return dict(purposes.values_list("slug", "title"))


def consent_status_for(*, state: ConsentState | None, purpose: Purpose) -> ConsentRow:
    """The row of one subject and purpose, from its state row (or its absence)."""
    return ConsentRow(
        purpose_slug=purpose.slug,
        state=consent_state_name(state=state, purpose=purpose),
        purpose_version=state.purpose_version if state else None,
        changed_at=state.changed_at if state else None,
        purpose=purpose,
        expires_at=state.expires_at if state else None,
    )


def consent_states_for_subject(*, subject: User) -> list[ConsentRow]:
    """One status per active purpose for a subject, in one query whatever the number of purposes."""
    purposes = (
        purpose_list_active()
        .annotate(own=FilteredRelation("states", condition=Q(states__subject=subject)))
        .annotate(
            own_id=F("own__id"),
            own_granted=F("own__granted"),
            own_version=F("own__purpose_version"),
            own_changed_at=F("own__changed_at"),
            own_expires_at=F("own__expires_at"),
        )
    )
    return [
        consent_status_for(
            state=ConsentState(
                pk=p.own_id,
                granted=p.own_granted,
                purpose_version=p.own_version,
                changed_at=p.own_changed_at,
                expires_at=p.own_expires_at,
            )
            if p.own_id
            else None,
            purpose=p,
        )
        for p in purposes
    ]


def consent_status_get(*, subject: User, purpose: Purpose) -> ConsentRow:
    """The status of one purpose for one subject: one indexed lookup."""
    state = ConsentState.objects.filter(subject=subject, purpose=purpose).first()
    return consent_status_for(state=state, purpose=purpose)


def consent_history_for_subject(*, subject: User) -> QuerySet[ConsentEvent]:
    """The subject's ledger events, newest first."""
    return ConsentEvent.objects.filter(subject=subject).select_related("purpose").order_by("-seq")


def _consent_activity_text(event: ConsentEvent) -> str:
    values = {"purpose": event.purpose.title}
    kind = event.actor.split(":", 1)[0]
    if kind == "subject":
        text = _("You granted “%(purpose)s”") if event.granted else _("You withdrew “%(purpose)s”")
    elif kind == "staff":
        text = (
            _("Privacy staff recorded that you granted “%(purpose)s”")
            if event.granted
            else _("Privacy staff recorded that you withdrew “%(purpose)s”")
        )
    elif kind == "partner":
        text = (
            _("An app recorded that you granted “%(purpose)s”")
            if event.granted
            else _("An app recorded that you withdrew “%(purpose)s”")
        )
    else:
        text = _("“%(purpose)s” was granted") if event.granted else _("“%(purpose)s” was withdrawn")
    return text % values


def _partner_id_of(actor: str) -> int | None:
    kind, _sep, ref = actor.partition(":")
    return int(ref) if kind == "partner" and ref.isdigit() else None


def consent_activity_for_subject(*, subject: User, window: ActivityWindow) -> list[ActivityItem]:
    """The subject's consent decisions (ledger events) for the Activity page, newest first, in one query. Filtered
    to one app, only the decisions that app recorded."""
    events = ConsentEvent.objects.filter(subject=subject)
    if window.partner_id is not None:
        events = events.filter(actor=f"partner:{window.partner_id}")
    return [
        ActivityItem(
            at=event.created_at,
            kind=ActivityKind.CONSENTS,
            text=_consent_activity_text(event),
            source="consent",
            key=event.pk,
            partner_id=_partner_id_of(event.actor),
            detail=_("Version %(version)s of the purpose") % {"version": event.purpose_version},
        )
        for event in window.rows(events.select_related("purpose"), source="consent")
    ]


def purposes_granted_for_subject(*, subject: User) -> set[str]:
    """Slugs of the active purposes the subject has granted now (rule 1's gate)."""
    return {s.purpose_slug for s in consent_states_for_subject(subject=subject) if s.granted}


def consent_states_granted() -> QuerySet[ConsentState]:
    """The state rows that count as yes, for queries across many subjects (same rule as consent_state_name)."""
    return ConsentState.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=Now()),
        granted=True,
        purpose__active=True,
        purpose_version__gte=F("purpose__min_valid_version"),
    )


def consent_exceptions_of(*, subject_ref, purpose_ref, link_ref) -> QuerySet[ConsentException]:
    """The exception (at most one) of one app for one subject and purpose; each argument may be an OuterRef."""
    return ConsentException.objects.filter(subject_id=subject_ref, purpose_id=purpose_ref, link_ref=link_ref)


def consent_granted_for_app_q(*, subject_ref, purpose_ref, link_ref) -> Q:
    """Per-app exceptions, the one rule as a filter: the app's own exception when it has one, else the decision for
    all apps (rules 1 and 3 either way). Each argument may be an OuterRef, so uploads and appearances can ask it of
    the app that holds each of them; a null `link_ref` (no app, or an ended connection) has no exception."""
    exception = consent_exceptions_of(subject_ref=subject_ref, purpose_ref=purpose_ref, link_ref=link_ref)
    return Q(
        Exists(
            exception.filter(granted=True, purpose__active=True, purpose_version__gte=F("purpose__min_valid_version"))
        )
    ) | (
        ~Q(Exists(exception))
        & Q(Exists(consent_states_granted().filter(subject_id=subject_ref, purpose_id=purpose_ref)))
    )


def consent_exception_q(*, subject_ref, purpose_ref, link_ref) -> Q:
    """True where that app has an exception for that subject and purpose (it does not follow the decision for all)."""
    return Q(Exists(consent_exceptions_of(subject_ref=subject_ref, purpose_ref=purpose_ref, link_ref=link_ref)))


def purposes_granted_for_app(*, subject: User, purpose_slugs: Collection[str], link_ref: int | None) -> list[Purpose]:
    """Of the named active purposes, those granted now for one app (its exception, else the decision for all apps);
    `link_ref` None asks for the portal itself (the decision for all apps). One query."""
    return list(
        Purpose.objects.filter(slug__in=set(purpose_slugs), active=True).filter(
            consent_granted_for_app_q(subject_ref=subject.pk, purpose_ref=OuterRef("pk"), link_ref=link_ref)
        )
    )


def connected_app_get(*, subject: User, link_id) -> ConnectedApp:
    """One of the subject's active connections by the id the subject sees; AppNotFound (404) otherwise."""
    for app in connected_apps_for(subject=subject):
        if app.active and app.link_id == str(link_id):
            return app
    raise AppNotFound()


@dataclass(frozen=True, slots=True)
class AppAnswer:
    """One connected app's answer for one purpose, as the subject sees it on the consent and Connected apps pages."""

    app: ConnectedApp
    purpose_slug: str
    granted: bool
    own: bool  # True: the app's own exception; False: it follows the decision for all apps
    changed_at: datetime | None = None

    @property
    def scope(self) -> str:
        return SCOPE_THIS_APP if self.own else SCOPE_ALL_APPS


def consent_answers_by_app(
    *, subject: User, rows: list[ConsentRow] | None = None, apps: list[ConnectedApp] | None = None
) -> dict[str, list[AppAnswer]]:
    """Per purpose slug, each active connected app's answer: its exception, or the decision for all apps. Two
    queries (the rows, when not given, and the exceptions), plus the apps when not given."""
    rows = rows if rows is not None else consent_states_for_subject(subject=subject)
    if apps is None:
        apps = [app for app in connected_apps_for(subject=subject) if app.active]
    if not apps:
        return {row.purpose_slug: [] for row in rows}
    exceptions = {
        (e.purpose.slug, e.link_ref): e
        for e in ConsentException.objects.filter(
            subject=subject, link_ref__in=[a.link_ref for a in apps]
        ).select_related("purpose")
    }
    answers: dict[str, list[AppAnswer]] = {}
    for row in rows:
        answers[row.purpose_slug] = []
        for app in apps:
            own = exceptions.get((row.purpose_slug, app.link_ref))
            if own is None:
                answers[row.purpose_slug].append(AppAnswer(app, row.purpose_slug, row.granted, False))
                continue
            granted = (
                consent_state_name_of(
                    granted=own.granted,
                    purpose_version=own.purpose_version,
                    min_valid_version=own.purpose.min_valid_version,
                )
                == ConsentStateName.GRANTED
            )
            answers[row.purpose_slug].append(AppAnswer(app, row.purpose_slug, granted, True, own.changed_at))
    return answers


def consent_answer_for_app(*, subject: User, purpose: Purpose, app: ConnectedApp) -> AppAnswer:
    """One app's answer for one purpose: its exception, or the decision for all apps."""
    row = consent_status_get(subject=subject, purpose=purpose)
    return consent_answers_by_app(subject=subject, rows=[row], apps=[app])[purpose.slug][0]


def consent_exception_link_refs(*, subject: User, purpose: Purpose) -> list[int]:
    """The apps (link ids) with their own exception for this subject and purpose."""
    return list(ConsentException.objects.filter(subject=subject, purpose=purpose).values_list("link_ref", flat=True))


def consent_exceptions_for_subject(*, subject: User) -> QuerySet[ConsentException]:
    """Every per-app exception the subject holds (the export)."""
    return (
        ConsentException.objects.filter(subject=subject)
        .select_related("purpose")
        .order_by("purpose__position", "link_ref")
    )


def purpose_get_active(*, purpose_slug: str) -> Purpose:
    """An active purpose by its slug; 404 (PurposeNotFound) for unknown and inactive alike."""
    purpose = Purpose.objects.filter(slug=purpose_slug, active=True).first()
    if purpose is None:
        raise PurposeNotFound()
    return purpose


def consent_withdrawal_impact(*, subject: User, purpose_slug: str, link_ref: int | None = None) -> WithdrawalImpact:
    """Nothing erased by surprise: what withdrawing this purpose now would erase or take down, from every app (or,
    with `link_ref`, from that one app)."""
    return withdrawal_impact_for(
        subject=subject, purpose=purpose_get_active(purpose_slug=purpose_slug), link_ref=link_ref
    )


def restriction_list_active() -> QuerySet[LikenessRestriction]:
    """The likeness restrictions a subject can choose now, in list order."""
    return LikenessRestriction.objects.filter(active=True).order_by("position", "slug")


def restriction_slugs_for_subject(*, subject: User) -> list[str]:
    """The subject's chosen restrictions that are on the list now, in list order: what partners are told."""
    return list(
        SubjectRestriction.objects.filter(subject=subject, restriction__active=True)
        .order_by("restriction__position", "restriction__slug")
        .values_list("restriction__slug", flat=True)
    )


def restrictions_chosen_for_subject(*, subject: User) -> QuerySet[SubjectRestriction]:
    """Every restriction row the subject holds, retired ones too (the export shows all it keeps)."""
    return (
        SubjectRestriction.objects.filter(subject=subject)
        .select_related("restriction")
        .order_by("restriction__position", "restriction__slug")
    )


def purposes_withdrawn_by_gpc_for_subject(*, subject: User) -> list[Purpose]:
    """Global Privacy Control: the active purposes whose current decision is still the withdrawal the signal made."""
    return list(
        purpose_list_active().filter(
            states__subject=subject, states__granted=False, states__last_event__channel=Channel.GPC
        )
    )


def purposes_sale_or_sharing_active() -> QuerySet[Purpose]:
    """The active purposes that staff mark as sale or sharing: what a Global Privacy Control signal opts out of."""
    return purpose_list_active().filter(sale_or_sharing=True)


def consent_granted_locking(*, subject_id: int, purpose_slug: str) -> bool:
    """Whether the subject grants the purpose now (for all apps), with their decision's row locked until the caller's
    transaction ends: a write that must not outlive the consent (find-me's templates and sightings) checks and
    writes under this lock, and the withdrawal, which takes the same row, waits for it or is seen by it.
    Call inside a transaction."""
    state = (
        ConsentState.objects.select_for_update(of=("self",))
        .select_related("purpose")
        .filter(subject_id=subject_id, purpose__slug=purpose_slug, purpose__active=True)
        .first()
    )
    return state is not None and consent_state_name(state=state, purpose=state.purpose) == ConsentStateName.GRANTED


def subjects_granting(*, purpose_slug: str) -> QuerySet[ConsentState]:
    """The subject ids that grant the purpose now, for all apps (a subquery for queries across many subjects)."""
    return consent_states_granted().filter(purpose__slug=purpose_slug).values("subject_id")
