"""Reads for the partner side. Partner-facing lookups answer 404 for unknown and unlinked ids alike."""

import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.activity import ActivityItem, ActivityKind, ActivityWindow
from accounts.models import User
from consents.models import SCOPE_ALL_APPS, SCOPE_THIS_APP, ConsentException, ConsentState, ConsentStateName, Purpose
from consents.selectors import ConsentRow, consent_state_name_of, purpose_titles_by_slug
from partners.exceptions import LinkNotFound, SubjectNotFound, UnknownPurposes
from partners.link_codes import link_code_unseal
from partners.models import SCOPE_MEANING_FOR_SUBJECT, Link, LinkCode, Partner, PartnerScope, WebhookEvent


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def link_get_for_partner(*, partner: Partner, subject_id) -> Link:
    """The partner's active link for a pairwise id; SubjectNotFound (404) for unknown and unlinked alike."""
    pairwise = _as_uuid(subject_id)
    link = (
        Link.objects.select_related("subject")
        .filter(partner=partner, pairwise_id=pairwise, unlinked_at__isnull=True, subject__is_active=True)
        .first()
        if pairwise
        else None
    )
    if link is None:
        raise SubjectNotFound()
    return link


def link_list_for_subject(*, subject: User) -> QuerySet[Link]:
    """The subject's connected apps, with the delivery state of the latest event each was sent."""
    latest = WebhookEvent.objects.filter(link=OuterRef("pk")).order_by("-id")
    return (
        Link.objects.filter(subject=subject, unlinked_at__isnull=True)
        .select_related("partner")
        .annotate(
            latest_event_type=Subquery(latest.values("event_type")[:1]),
            latest_event_status=Subquery(latest.values("status")[:1]),
            latest_event_created_at=Subquery(latest.values("created_at")[:1]),
            latest_event_delivered_at=Subquery(latest.values("delivered_at")[:1]),
        )
        .order_by("-linked_at")
    )


def link_scope_meanings_for_subject(*, partner: Partner) -> list[str]:
    """What a connected app may do, in the subject's words. Connecting with a code is done once it is
    connected, so that permission is not listed for it."""
    return [SCOPE_MEANING_FOR_SUBJECT[s] for s in partner.scopes if s != PartnerScope.LINKS_WRITE]


@dataclass(frozen=True)
class LiveLinkCode:
    code: str
    expires_at: datetime
    minutes_left: int  # rounded up: a code with 30 seconds left has 1 minute left


def link_code_live_for_subject(*, subject: User, now: datetime | None = None) -> LiveLinkCode | None:
    """The subject's current link code while it is unused and unexpired, to show again; None when there is none."""
    now = now or timezone.now()
    link_code = (
        LinkCode.objects.filter(subject=subject, used_at__isnull=True, expires_at__gt=now)
        .exclude(code_sealed=b"")
        .order_by("-created_at", "-id")
        .first()
    )
    if link_code is None:
        return None
    code = link_code_unseal(sealed=link_code.code_sealed, code_hash=link_code.code_hash)
    if not code:
        return None
    seconds_left = (link_code.expires_at - now).total_seconds()
    return LiveLinkCode(code=code, expires_at=link_code.expires_at, minutes_left=max(1, math.ceil(seconds_left / 60)))


def link_latest_for_partner_and_subject(*, partner_id: int, subject_id: int) -> Link | None:
    """The partner's newest link with the subject, current or ended: whom to tell about the subject's data."""
    return Link.objects.filter(partner_id=partner_id, subject_id=subject_id).order_by("-linked_at").first()


def link_active_of_holder(*, subject_ref=None, partner_ref=None) -> Subquery:
    """For rows that name a subject and the app holding them (uploads, appearances): the id of that app's active
    link with the subject, or null (the portal itself, or an ended connection). Refs default to the row's own
    `subject_id` and `partner_id`."""
    links = Link.objects.filter(
        subject_id=subject_ref if subject_ref is not None else OuterRef("subject_id"),
        partner_id=partner_ref if partner_ref is not None else OuterRef("partner_id"),
        unlinked_at__isnull=True,
    )
    return Subquery(links.values("pk")[:1])


def link_active_ref(*, subject: User, partner: Partner | None) -> int | None:
    """The id of the partner's active link with the subject; None for no partner (the portal) or none active."""
    return link_active_ref_of(subject_id=subject.pk, partner_id=partner.pk if partner is not None else None)


def link_active_ref_of(*, subject_id: int, partner_id: int | None) -> int | None:
    """The same, by ids."""
    if partner_id is None:
        return None
    return (
        Link.objects.filter(subject_id=subject_id, partner_id=partner_id, unlinked_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
    )


def partner_id_of_link(*, link_ref: int) -> int | None:
    """The partner of a link named by its id (as the consent core keeps it), current or ended."""
    return Link.objects.filter(pk=link_ref).values_list("partner_id", flat=True).first()


def link_get_for_subject(*, subject: User, link_id) -> Link:
    """One of the subject's own active links, by its id; 404 otherwise."""
    pairwise = _as_uuid(link_id)
    link = (
        Link.objects.filter(subject=subject, pairwise_id=pairwise, unlinked_at__isnull=True).first()
        if pairwise
        else None
    )
    if link is None:
        raise LinkNotFound()
    return link


def partner_list_for_subject(*, subject: User) -> QuerySet[Partner]:
    """Every app the subject has been connected to, now or before, by name."""
    return Partner.objects.filter(links__subject=subject).distinct().order_by("name")


def partner_names_by_id(*, ids: set[int]) -> dict[int, str]:
    """Names of the given apps, in one query."""
    return dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))


def _delivery_text(event: WebhookEvent, *, titles: dict[str, str]) -> str:
    values = {"app": event.partner.name, "purpose": titles.get(event.payload.get("data", {}).get("purpose", ""), "")}
    texts = {
        "consent.granted": _("%(app)s was told you granted “%(purpose)s”"),
        "consent.withdrawn": _("%(app)s was told you withdrew “%(purpose)s”"),
        "upload.erased": _("%(app)s was told to delete its copy of a photo"),
        "subject.unlinked": _("%(app)s was told you disconnected it"),
        "subject.erased": _("%(app)s was told to erase everything about you"),
        "restrictions.changed": _("%(app)s was told your rules for your likeness"),
    }
    return texts.get(event.event_type, _("%(app)s was sent a message about you")) % values


def _delivery_detail(event: WebhookEvent) -> str:
    return {
        WebhookEvent.Status.DELIVERED: _("Delivered."),
        WebhookEvent.Status.PENDING: _("Not delivered yet: we keep trying for at least a day."),
        WebhookEvent.Status.FAILED: _(
            "Not delivered: the app did not answer for a day. It can still read it from its event feed."
        ),
        WebhookEvent.Status.FEED_ONLY: _("The app reads this from its event feed."),
    }.get(event.status, "")


def delivery_activity_for_subject(*, subject: User, window: ActivityWindow) -> list[ActivityItem]:
    """What each connected app was told about the subject (webhook events and their delivery), for the Activity
    page; two queries whatever the page (the events, then the titles of the purposes they name)."""
    events = WebhookEvent.objects.filter(link__subject=subject)
    if window.partner_id is not None:
        events = events.filter(partner_id=window.partner_id)
    events = list(window.rows(events.select_related("partner"), source="delivery"))
    slugs = {event.payload.get("data", {}).get("purpose") for event in events} - {None}
    titles = purpose_titles_by_slug(slugs=slugs) if slugs else {}
    return [
        ActivityItem(
            at=event.created_at,
            kind=ActivityKind.DELIVERIES,
            text=_delivery_text(event, titles=titles),
            source="delivery",
            key=event.pk,
            partner_id=event.partner_id,
            app=event.partner.name,
            detail=_delivery_detail(event),
        )
        for event in events
    ]


UNKNOWN_SUBJECT = "unknown_subject"
# Per-app exceptions: a row is the decision for all apps, or the asking partner's own exception.
CONSENT_SCOPES = [SCOPE_ALL_APPS, SCOPE_THIS_APP]
# The bulk check's states: a consent state, or "that id is not one of your subjects".
CONSENT_CHECK_STATES = [*ConsentStateName.values, UNKNOWN_SUBJECT]


@dataclass(frozen=True)
class ConsentCheckRow:
    subject_id: str
    purpose: str
    state: str
    scope: str | None = SCOPE_ALL_APPS  # None for an unknown subject

    @property
    def granted(self) -> bool:
        return self.state == ConsentStateName.GRANTED


# The bulk check on PostgreSQL: each of the partner's links among the ids, with its state and this partner's own
# exception for each purpose asked, in one prepared query with the ids as array parameters (a 1,000-item IN list
# costs more to build, bind and plan than to run). Both join on their (subject, purpose) unique indexes.
_BULK_CHECK_SQL = """
    SELECT l.id, l.pairwise_id, p.id, s.granted, s.purpose_version, e.granted, e.purpose_version, s.expires_at
    FROM partners_link l
    JOIN accounts_user u ON u.id = l.subject_id AND u.is_active
    CROSS JOIN unnest(%s::bigint[]) AS p(id)
    LEFT JOIN consents_consentstate s ON s.subject_id = l.subject_id AND s.purpose_id = p.id
    LEFT JOIN consents_consentexception e ON e.subject_id = l.subject_id AND e.purpose_id = p.id AND e.link_ref = l.id
    WHERE l.partner_id = %s AND l.pairwise_id = ANY(%s) AND l.unlinked_at IS NULL
"""


def _links_and_states(
    *, partner: Partner, pairwise_ids: list[uuid.UUID], purpose_ids: list[int]
) -> list[tuple[int, uuid.UUID, int, bool | None, int | None, bool | None, int | None, datetime | None]]:
    """(link id, pairwise id, purpose id, granted, purpose version, own granted, own purpose version, expires at)
    for each of
    the partner's active links among `pairwise_ids` and each purpose of `purpose_ids`: the decision for all apps
    (None, None when undecided) and the partner's own exception (None, None when it has none). One query on
    PostgreSQL, three on SQLite, whatever the sizes."""
    if not pairwise_ids or not purpose_ids:
        return []
    if connection.vendor == "postgresql":
        return _fetch_prepared(_BULK_CHECK_SQL, [purpose_ids, partner.pk, pairwise_ids])
    links = Link.objects.filter(
        partner=partner, pairwise_id__in=pairwise_ids, unlinked_at__isnull=True, subject__is_active=True
    ).values_list("pk", "pairwise_id", "subject_id")
    subjects = {subject_pk: (link_pk, pairwise) for link_pk, pairwise, subject_pk in links}
    states = {
        (subject_pk, purpose_pk): (granted, version, expires_at)
        for subject_pk, purpose_pk, granted, version, expires_at in ConsentState.objects.filter(
            subject_id__in=subjects, purpose_id__in=purpose_ids
        ).values_list("subject_id", "purpose_id", "granted", "purpose_version", "expires_at")
    }
    own = {
        (link_pk, purpose_pk): (granted, version)
        for link_pk, purpose_pk, granted, version in ConsentException.objects.filter(
            subject_id__in=subjects, purpose_id__in=purpose_ids, link_ref__in=[pk for pk, _ in subjects.values()]
        ).values_list("link_ref", "purpose_id", "granted", "purpose_version")
    }
    return [
        (
            link_pk,
            pairwise,
            purpose_pk,
            *states.get((subject_pk, purpose_pk), (None, None, None))[:2],
            *own.get((link_pk, purpose_pk), (None, None)),
            states.get((subject_pk, purpose_pk), (None, None, None))[2],
        )
        for subject_pk, (link_pk, pairwise) in subjects.items()
        for purpose_pk in purpose_ids
    ]


def consent_check_bulk(
    *, partner: Partner, subject_ids: list[str], purpose_slugs: list[str]
) -> tuple[list[ConsentCheckRow], list[int]]:
    """Rule 1 at volume: every (subject, purpose) pair in a fixed number of queries whatever the sizes.

    Unknown and unlinked ids come back as `unknown_subject`. Returns the rows and the link ids read.
    """
    purposes = {p.slug: p for p in Purpose.objects.filter(slug__in=set(purpose_slugs), active=True)}
    missing = [slug for slug in dict.fromkeys(purpose_slugs) if slug not in purposes]
    if missing:
        raise UnknownPurposes(f"Unknown or inactive purposes: {', '.join(missing)}.")
    wanted = {sid: _as_uuid(sid) for sid in subject_ids}
    # Plain tuples and int keys, not model instances: this loop runs for up to 100,000 pairs per request.
    link_of: dict[uuid.UUID, int] = {}
    # Each pair's answer for this partner: its own exception when it has one, else the decision for all apps.
    answers: dict[tuple[int, int], tuple[bool, int, str, datetime | None]] = {}
    for link_pk, pairwise, purpose_pk, granted, version, own_granted, own_version, expires_at in _links_and_states(
        partner=partner,
        pairwise_ids=list({u for u in wanted.values() if u}),
        purpose_ids=[p.pk for p in purposes.values()],
    ):
        link_of[pairwise] = link_pk
        if own_granted is not None:
            answers[link_pk, purpose_pk] = (own_granted, own_version, SCOPE_THIS_APP, None)
        elif granted is not None:
            answers[link_pk, purpose_pk] = (granted, version, SCOPE_ALL_APPS, expires_at)
    now = timezone.now()
    asked = [(slug, purposes[slug].pk, purposes[slug].min_valid_version) for slug in dict.fromkeys(purpose_slugs)]
    rows = []
    for sid, pairwise in wanted.items():
        link_pk = link_of.get(pairwise)
        if link_pk is None:
            rows.extend(ConsentCheckRow(sid, slug, UNKNOWN_SUBJECT, None) for slug, _, _ in asked)
            continue
        for slug, purpose_pk, min_valid_version in asked:
            answer = answers.get((link_pk, purpose_pk))
            if answer is None:
                rows.append(ConsentCheckRow(sid, slug, ConsentStateName.NOT_ASKED.value, SCOPE_ALL_APPS))
                continue
            name = consent_state_name_of(
                granted=answer[0],
                purpose_version=answer[1],
                min_valid_version=min_valid_version,
                expires_at=_as_datetime(answer[3]),
                now=now,
            )
            rows.append(ConsentCheckRow(sid, slug, str(name), answer[2]))
    return rows, list(link_of.values())


def event_list_for_partner(*, partner: Partner, after: int | None, limit: int) -> list[WebhookEvent]:
    """The partner's event feed after a cursor, oldest first."""
    events = WebhookEvent.objects.filter(partner=partner)
    if after is not None:
        events = events.filter(pk__gt=after)
    return list(events.order_by("pk")[:limit])


# The single-subject check is the partner API's hottest path: one hand-written query (link, active
# purposes and the subject's states together) instead of three ORM queries, whose compilation costs
# more than the database work. The rule itself stays in consents.selectors.consent_state_name_of.
# The partner's own exceptions (per-app) join on the same unique index as the states and win over them.
_SUBJECT_CONSENTS_SQL = """
    SELECT l.id, l.subject_id, p.slug, p.min_valid_version, s.granted, s.purpose_version, s.changed_at, s.expires_at,
        e.granted, e.purpose_version, e.changed_at
    FROM partners_link l
    JOIN accounts_user u ON u.id = l.subject_id AND u.is_active
    LEFT JOIN consents_purpose p ON p.active
    LEFT JOIN consents_consentstate s ON s.subject_id = l.subject_id AND s.purpose_id = p.id
    LEFT JOIN consents_consentexception e ON e.subject_id = l.subject_id AND e.purpose_id = p.id AND e.link_ref = l.id
    WHERE l.partner_id = %s AND l.pairwise_id = %s AND l.unlinked_at IS NULL
    ORDER BY p.position, p.slug
"""


# The subject's likeness restrictions that are on the list now, in list order (as
# consents.selectors.restriction_slugs_for_subject reads them): the answer's one extra query.
_SUBJECT_RESTRICTIONS_SQL = """
    SELECT r.slug
    FROM consents_subjectrestriction c
    JOIN consents_likenessrestriction r ON r.id = c.restriction_id AND r.active
    WHERE c.subject_id = %s
    ORDER BY r.position, r.slug
"""


def _as_datetime(value) -> datetime | None:
    """A time from a raw query, aware: SQLite hands back UTC as naive text."""
    value = parse_datetime(value) if isinstance(value, str) else value
    return timezone.make_aware(value, UTC) if value is not None and timezone.is_naive(value) else value


def _fetch_prepared(sql: str, params: list) -> list[tuple]:
    """Run a hot query as a server-side prepared statement on PostgreSQL (planning it costs several times
    more than running it); it is planned once per connection, so it pays off with CONN_MAX_AGE > 0."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django turns preparing off; allow it for explicit prepare=True only
        raw.prepare_threshold = 2**31 - 1
    began = time.monotonic()
    with psycopg.Cursor(raw) as cursor:  # server-side binding (Django's cursors bind client-side, never prepared)
        cursor.execute(sql, params, prepare=True)
        rows = cursor.fetchall()
    if connection.queries_logged:  # counted like Django's own queries (DEBUG, CaptureQueriesContext)
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - began:.3f}"})
    return rows


def consent_rows_for_partner(*, partner: Partner, subject_id) -> tuple[int, list[ConsentRow], list[str]]:
    """Rule 1 for one subject, as the partner sees it: (link id, one row per active purpose, the subject's
    likeness restrictions), in two queries.

    SubjectNotFound (404) for unknown and unlinked ids alike.
    """
    pairwise = _as_uuid(subject_id)
    if pairwise is None:
        raise SubjectNotFound()
    found = _fetch_prepared(
        _SUBJECT_CONSENTS_SQL, [partner.pk, pairwise.hex if connection.vendor == "sqlite" else pairwise]
    )
    if not found:
        raise SubjectNotFound()
    rows = []
    for found_row in found:
        slug, min_valid_version = found_row[2], found_row[3]
        if slug is None:  # linked, but no active purpose exists
            continue
        granted, version, changed_at, expires_at = found_row[4:8]
        scope = SCOPE_ALL_APPS
        if found_row[8] is not None:  # this partner's own exception
            (granted, version, changed_at), expires_at, scope = found_row[8:11], None, SCOPE_THIS_APP
        if granted is None:
            state, version, changed_at = ConsentStateName.NOT_ASKED, None, None
        else:
            state = consent_state_name_of(
                granted=bool(granted),
                purpose_version=version,
                min_valid_version=min_valid_version,
                expires_at=_as_datetime(expires_at),
            )
        rows.append(
            ConsentRow(
                slug,
                str(state),
                version,
                _as_datetime(changed_at),
                expires_at=_as_datetime(expires_at) if state == ConsentStateName.GRANTED else None,
                scope=scope,
            )
        )
    restrictions = [slug for (slug,) in _fetch_prepared(_SUBJECT_RESTRICTIONS_SQL, [found[0][1]])]
    return found[0][0], rows, restrictions


@dataclass(frozen=True)
class EventPage:
    events: list[WebhookEvent]
    next_cursor: str | None
    has_more: bool


def event_page_for_partner(*, partner: Partner, after: int | None, limit: int) -> EventPage:
    """One page of the partner's event feed after a cursor, oldest first, with the cursor to go on from."""
    events = event_list_for_partner(partner=partner, after=after, limit=limit + 1)
    page = events[:limit]
    last = page[-1].pk if page else after  # an empty page keeps the cursor it was asked with
    return EventPage(events=page, next_cursor=None if last is None else str(last), has_more=len(events) > limit)
