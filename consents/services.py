"""Every write to purposes and consents. Rules 1-3 and 8 of DESIGN.md."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import StaffAction, User
from accounts.services import staff_action_log
from consents.exceptions import InvalidExpiry, UnknownRestriction
from consents.hooks import ConsentChange, RestrictionsChange, consent_changed_announce, restrictions_changed_announce
from consents.ledger import GENESIS_HASH, event_hash, event_seqs_next
from consents.models import (
    Channel,
    ConsentEvent,
    ConsentException,
    ConsentState,
    LedgerChain,
    LikenessRestriction,
    Purpose,
    PurposeVersion,
    SubjectRestriction,
)
from consents.selectors import (
    consent_status_get,
    purpose_get_active,
    purposes_sale_or_sharing_active,
    restriction_list_active,
)

logger = logging.getLogger(__name__)


def actor_label(*, subject: User, actor) -> str:
    """How the ledger names who made a decision: never an email, only a role and an id."""
    if actor is None:
        return "system"
    if hasattr(actor, "ledger_actor_label"):  # a partner
        return actor.ledger_actor_label
    if actor.pk == subject.pk:
        return "subject"
    return f"staff:{actor.pk}"


def _chain_lock(*, subject_ref) -> LedgerChain:
    """Lock the head of one subject's chain (creating it with the subject's first event). Every write of a
    subject's decisions takes this lock first, so they serialize per subject and only per subject."""
    chain, _ = LedgerChain.objects.select_for_update().get_or_create(
        subject_ref=subject_ref, defaults={"length": 0, "head_hash": GENESIS_HASH}
    )
    return chain


def _purpose_read_locked(*, purpose_id: int) -> Purpose:
    """The purpose as it stands, read so that publishing a version at the same moment is wholly before or after.

    On PostgreSQL a shared lock: decisions on one purpose do not wait on each other, only on a publication (which
    locks the row for update). SQLite's writers already take turns.
    """
    if connection.vendor == "postgresql":
        table = Purpose._meta.db_table
        return Purpose.objects.raw(f"SELECT * FROM {table} WHERE id = %s FOR SHARE", [purpose_id])[0]  # noqa: S608
    return Purpose.objects.get(pk=purpose_id)


@transaction.atomic(savepoint=False)  # part of its caller's transaction: nothing to roll back to within it
def ledger_append(
    *,
    subject: User,
    purpose: Purpose,
    granted: bool,
    channel: str,
    actor,
    expires_at: datetime | None = None,
    link_ref: int | None = None,
    exception_removed: bool = False,
) -> ConsentEvent:
    """Rule 8: append one hash-chained event to the subject's chain and move the subject's state to it, in one
    transaction.

    `expires_at` (a grant's end, or None) goes on the event (its hash covers it) and the state row. With
    `link_ref` the event is a per-app exception: it moves that app's exception row instead (and removes it when
    `exception_removed`), and the hash covers the scope.

    Locks, always in this order: the subject's chain head, then the purpose (shared). Decisions of one subject
    serialize on their chain, so the state always equals the last event; different subjects proceed in parallel.
    """
    chain = _chain_lock(subject_ref=subject.ledger_ref)
    purpose = _purpose_read_locked(purpose_id=purpose.pk)
    now = timezone.now()
    event = _event_next(
        chain=chain,
        seq=event_seqs_next(1)[0],
        subject=subject,
        purpose=purpose,
        granted=granted,
        channel=channel,
        actor=actor_label(subject=subject, actor=actor),
        created_at=now,
        expires_at=expires_at if granted and link_ref is None else None,
        link_ref=link_ref,
        exception_removed=exception_removed,
    )
    event.save(force_insert=True)
    chain.save(update_fields=["length", "head_hash", "updated_at"])
    if link_ref is not None:
        _exception_move(event=event, exception_removed=exception_removed)
        logger.info(
            "consent event seq=%s purpose=%s granted=%s channel=%s scope=link",
            event.seq,
            purpose.slug,
            granted,
            channel,
        )
        return event
    _states_move_to(events=[event])
    logger.info("consent event seq=%s purpose=%s granted=%s channel=%s", event.seq, purpose.slug, granted, channel)
    return event


def _event_next(*, chain: LedgerChain, seq: int, subject: User, purpose: Purpose, **content) -> ConsentEvent:
    """The next event of a locked chain (unsaved, its hash computed), and the chain moved on to it in memory."""
    fields = {
        "seq": seq,
        "chain_seq": chain.length + 1,
        "hash_version": ConsentEvent.HASH_VERSION_SUBJECT_CHAIN,
        "subject_ref": str(subject.ledger_ref),
        "purpose_slug": purpose.slug,
        "purpose_version": purpose.version,
        "prev_hash": chain.head_hash,
        **content,
    }
    event = ConsentEvent(subject=subject, purpose=purpose, hash=event_hash(**fields), **fields)
    chain.length, chain.head_hash, chain.updated_at = event.chain_seq, event.hash, event.created_at
    return event


def _states_move_to(*, events: list[ConsentEvent]) -> None:
    """Each (subject, purpose) state row equals its last event among `events` (for all apps), written as one
    upsert per batch. The subjects' chains are locked, so nothing else writes these rows meanwhile."""
    last = {(event.subject_id, event.purpose_id): event for event in events}
    ConsentState.objects.bulk_create(
        [
            ConsentState(
                subject_id=event.subject_id,
                purpose_id=event.purpose_id,
                granted=event.granted,
                purpose_version=event.purpose_version,
                changed_at=event.created_at,
                last_event=event,
                expires_at=event.expires_at,
            )
            for event in last.values()
        ],
        update_conflicts=True,
        unique_fields=["subject", "purpose"],
        update_fields=["granted", "purpose_version", "changed_at", "last_event", "expires_at"],
        batch_size=2000,
    )


@dataclass(frozen=True)
class LoadedDecision:
    """One decision recorded elsewhere, for `ledger_load`."""

    subject: User
    purpose: Purpose
    granted: bool
    channel: str = Channel.WEB
    actor: str = "subject"  # a ledger actor label: subject, staff:<id>, partner:<id> or system
    expires_at: datetime | None = None


LOAD_BATCH_MAX = 10_000


@transaction.atomic
def ledger_load(*, decisions: list[LoadedDecision]) -> int:
    """Bulk-load decisions made elsewhere (a move from another consent platform; benchmarks) into the ledger: the
    same chains, hashes and state rows as `ledger_append`, written in a few statements. Returns how many.

    Nothing is announced (no webhooks, no erasure of uploads): load before partners are connected. At most
    LOAD_BATCH_MAX decisions per call, in the order given; the chains of their subjects are locked for the call.
    """
    if len(decisions) > LOAD_BATCH_MAX:
        raise ValueError(f"at most {LOAD_BATCH_MAX} decisions per call")
    if not decisions:
        return 0
    refs = sorted({str(d.subject.ledger_ref) for d in decisions})
    LedgerChain.objects.bulk_create(
        [LedgerChain(subject_ref=ref, length=0, head_hash=GENESIS_HASH) for ref in refs], ignore_conflicts=True
    )
    chains = {
        str(chain.subject_ref): chain
        for chain in LedgerChain.objects.select_for_update().filter(subject_ref__in=refs).order_by("subject_ref")
    }
    purposes = {p.pk: p for p in Purpose.objects.filter(pk__in={d.purpose.pk for d in decisions})}
    now = timezone.now()
    events = [
        _event_next(
            chain=chains[str(decision.subject.ledger_ref)],
            seq=seq,
            subject=decision.subject,
            purpose=purposes[decision.purpose.pk],
            granted=decision.granted,
            channel=decision.channel,
            actor=decision.actor,
            created_at=now,
            expires_at=decision.expires_at if decision.granted else None,
            link_ref=None,
            exception_removed=False,
        )
        for decision, seq in zip(decisions, event_seqs_next(len(decisions)), strict=True)
    ]
    ConsentEvent.objects.bulk_create(events, batch_size=2000)
    LedgerChain.objects.bulk_create(
        chains.values(),
        update_conflicts=True,
        unique_fields=["subject_ref"],
        update_fields=["length", "head_hash", "updated_at"],
        batch_size=2000,
    )
    _states_move_to(events=events)
    logger.info("consent events loaded count=%s subjects=%s", len(events), len(refs))
    return len(events)


def _exception_move(*, event: ConsentEvent, exception_removed: bool) -> None:
    """Move (or remove) the app's exception row to a per-app event, in the event's transaction."""
    rows = ConsentException.objects.filter(subject=event.subject, purpose=event.purpose, link_ref=event.link_ref)
    if exception_removed:
        rows.delete()
        return
    ConsentException.objects.update_or_create(
        subject=event.subject,
        purpose=event.purpose,
        link_ref=event.link_ref,
        defaults={
            "granted": event.granted,
            "purpose_version": event.purpose_version,
            "changed_at": event.created_at,
            "last_event": event,
        },
    )


EXPIRY_MAX_YEARS = 3


def expiry_latest(*, now: datetime) -> datetime:
    """The latest expiry a grant may carry: the same moment three years ahead (28 February for a 29th)."""
    try:
        return now.replace(year=now.year + EXPIRY_MAX_YEARS)
    except ValueError:
        return now.replace(year=now.year + EXPIRY_MAX_YEARS, day=28)


def expiry_validate(*, granted: bool, expires_at: datetime | None, now: datetime | None = None) -> None:
    """Expiring grants: only a grant carries an expiry, in the future and at most three years ahead."""
    if expires_at is None:
        return
    now = now or timezone.now()
    if not granted:
        raise InvalidExpiry("Only a grant can carry an expiry.")
    if timezone.is_naive(expires_at):
        raise InvalidExpiry("The expiry needs a time zone.")
    if expires_at <= now:
        raise InvalidExpiry("The expiry must lie in the future.")
    if expires_at > expiry_latest(now=now):
        raise InvalidExpiry("The expiry can be at most three years ahead.")


@transaction.atomic
def consent_decide(
    *,
    subject: User,
    purpose_slug: str,
    granted: bool,
    channel: str = Channel.WEB,
    actor=None,
    expires_at: datetime | None = None,
) -> ConsentEvent:
    """Rules 1-2: record a grant or a withdrawal for an active purpose; the same effort either way.

    A grant may carry `expires_at` (stored on the state row in this transaction; a grant without it, or a
    withdrawal, clears it); an invalid one raises InvalidExpiry before anything changes.

    The decision is announced in this same transaction (consents.hooks): partners write their outbox rows
    (`consent.granted` / `consent.withdrawn`), media_vault queues the erasure of uploads left with no purpose.
    """
    expiry_validate(granted=granted, expires_at=expires_at)
    purpose = purpose_get_active(purpose_slug=purpose_slug)
    event = ledger_append(
        subject=subject, purpose=purpose, granted=granted, channel=channel, actor=actor, expires_at=expires_at
    )
    consent_changed_announce(change=ConsentChange(subject=subject, purpose=purpose, event=event))
    return event


def consents_expire(*, now: datetime | None = None) -> int:
    """Expiring grants: every grant whose expiry has passed ends as a withdrawal does (channel `expiry`, ledger
    event, `consent.withdrawn` webhooks, orphaned uploads erased). Returns how many ended.

    Safe to run twice at once: each state is re-checked under its subject's chain lock, which every append takes
    first, so a grant ends exactly once and a decision made meanwhile (a new grant, a withdrawal) wins.
    """
    now = now or timezone.now()
    due = list(
        ConsentState.objects.filter(granted=True, expires_at__lte=now, purpose__active=True)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)
    )
    return sum(1 for state_id in due if _consent_expire_one(state_id=state_id, now=now))


@transaction.atomic
def _consent_expire_one(*, state_id: int, now: datetime) -> bool:
    subject_ref = ConsentState.objects.filter(pk=state_id).values_list("subject__ledger_ref", flat=True).first()
    if subject_ref is None:
        return False
    _chain_lock(subject_ref=subject_ref)
    state = (
        ConsentState.objects.select_for_update(of=("self",))  # not the subject's or purpose's rows
        .filter(pk=state_id, granted=True, expires_at__lte=now)
        .select_related("subject", "purpose")
        .first()
    )
    if state is None or not state.purpose.active:
        return False
    consent_decide(
        subject=state.subject, purpose_slug=state.purpose.slug, granted=False, channel=Channel.EXPIRY, actor=None
    )
    logger.info("consent expired state=%s purpose=%s", state.pk, state.purpose.slug)
    return True


@transaction.atomic
def consent_exception_set(
    *, subject: User, purpose_slug: str, link_ref: int, granted: bool, channel: str = Channel.WEB, actor=None
) -> ConsentEvent:
    """Per-app exceptions: one connected app gets its own answer for a purpose, whatever the decision for all apps.

    The caller has checked that `link_ref` is one of the subject's connected apps (consents.selectors
    .connected_app_get). Recorded in the ledger with its scope and announced like any decision: only that app is
    told, and what it holds under a withdrawn purpose is erased or taken down.
    """
    purpose = purpose_get_active(purpose_slug=purpose_slug)
    event = ledger_append(
        subject=subject, purpose=purpose, granted=granted, channel=channel, actor=actor, link_ref=link_ref
    )
    consent_changed_announce(change=ConsentChange(subject=subject, purpose=purpose, event=event))
    return event


@transaction.atomic
def consent_exception_remove(
    *, subject: User, purpose_slug: str, link_ref: int, channel: str = Channel.WEB, actor=None
) -> ConsentEvent | None:
    """Per-app exceptions: the app follows the decision for all apps again. Recorded in the ledger (its `granted`
    is that decision as it stands) and announced to that app; None, and nothing recorded, when it had none."""
    purpose = purpose_get_active(purpose_slug=purpose_slug)
    # The subject's chain first, as every append: a concurrent change of this exception is wholly before or after.
    _chain_lock(subject_ref=subject.ledger_ref)
    if not ConsentException.objects.filter(subject=subject, purpose=purpose, link_ref=link_ref).exists():
        return None
    all_apps = consent_status_get(subject=subject, purpose=purpose)
    event = ledger_append(
        subject=subject,
        purpose=purpose,
        granted=all_apps.granted,
        channel=channel,
        actor=actor,
        link_ref=link_ref,
        exception_removed=True,
    )
    consent_changed_announce(change=ConsentChange(subject=subject, purpose=purpose, event=event))
    return event


def consent_exceptions_drop_for_link(*, link_ref: int) -> int:
    """A connection that ends takes its exceptions with it (a new connection starts from the decisions for all
    apps). Called by partners in the unlink's transaction; the ledger keeps every decision made."""
    return ConsentException.objects.filter(link_ref=link_ref).delete()[0]


def consent_grant(*, subject: User, purpose_slug: str, channel: str = Channel.WEB, actor=None) -> ConsentEvent:
    """Rule 1: opt in to one purpose at its current version."""
    return consent_decide(subject=subject, purpose_slug=purpose_slug, granted=True, channel=channel, actor=actor)


def consent_withdraw(*, subject: User, purpose_slug: str, channel: str = Channel.WEB, actor=None) -> ConsentEvent:
    """Rule 2: withdraw one purpose, effective for the next check."""
    return consent_decide(subject=subject, purpose_slug=purpose_slug, granted=False, channel=channel, actor=actor)


@transaction.atomic
def purpose_create(
    *,
    slug: str,
    title: str,
    description: str,
    retention_days: int,
    position: int = 0,
    active: bool = True,
    sale_or_sharing: bool = False,
    actor: User | None = None,
) -> Purpose:
    """Create a purpose and publish its first version; one created by staff is audited (rule 8)."""
    purpose = Purpose.objects.create(
        slug=slug,
        title=title,
        description=description,
        retention_days=retention_days,
        position=position,
        active=active,
        sale_or_sharing=sale_or_sharing,
        version=1,
        min_valid_version=1,
    )
    PurposeVersion.objects.create(
        purpose=purpose,
        version=1,
        title=title,
        description=description,
        retention_days=retention_days,
        requires_reconsent=False,
        change_note="First version",
        published_by=actor,
    )
    if actor is not None:
        staff_action_log(
            actor=actor, kind=StaffAction.Kind.CHANGE, target=f"{Purpose._meta.label}:{purpose.pk}", reason="created"
        )
    return purpose


@transaction.atomic
def purpose_publish_version(
    *,
    purpose: Purpose,
    title: str,
    description: str,
    retention_days: int,
    requires_reconsent: bool,
    change_note: str = "",
    actor: User | None = None,
) -> PurposeVersion:
    """Rule 3: publish a new version; if it requires re-consent, earlier grants stop counting."""
    purpose = Purpose.objects.select_for_update().get(pk=purpose.pk)
    purpose.version += 1
    purpose.title, purpose.description, purpose.retention_days = title, description, retention_days
    if requires_reconsent:
        purpose.min_valid_version = purpose.version
    purpose.save(update_fields=["version", "title", "description", "retention_days", "min_valid_version"])
    return PurposeVersion.objects.create(
        purpose=purpose,
        version=purpose.version,
        title=title,
        description=description,
        retention_days=retention_days,
        requires_reconsent=requires_reconsent,
        change_note=change_note,
        published_by=actor,
    )


@transaction.atomic
def purpose_update(
    *,
    purpose: Purpose,
    actor: User | None,
    title: str,
    description: str,
    retention_days: int,
    position: int,
    active: bool,
    sale_or_sharing: bool | None = None,
    requires_reconsent: bool = False,
    change_note: str = "",
) -> PurposeVersion | None:
    """Rule 3: new text or retention (or a call for re-consent) publishes a version; order, activity and the
    sale-or-sharing flag do not (None leaves the flag as it is).

    Audited (rule 8) with the staff member as actor; None is a command (the demo reset).
    """
    stored = Purpose.objects.select_for_update().get(pk=purpose.pk)
    plain = {
        field: value
        for field, value in {"position": position, "active": active, "sale_or_sharing": sale_or_sharing}.items()
        if value is not None and getattr(stored, field) != value
    }
    if plain:
        Purpose.objects.filter(pk=stored.pk).update(**plain)
    changes = list(plain)
    version = None
    text_changed = (stored.title, stored.description, stored.retention_days) != (title, description, retention_days)
    if text_changed or requires_reconsent:  # re-consent may be asked for an unchanged text, too
        version = purpose_publish_version(
            purpose=stored,
            title=title,
            description=description,
            retention_days=retention_days,
            requires_reconsent=requires_reconsent,
            change_note=change_note,
            actor=actor,
        )
        changes.append(f"published version {version.version}")
    if changes:
        staff_action_log(
            actor=actor,
            kind=StaffAction.Kind.CHANGE,
            target=f"{Purpose._meta.label}:{stored.pk}",
            reason=", ".join(changes),
        )
    return version


@transaction.atomic
def consent_records_anonymise_for_subject(*, subject: User) -> dict[str, int]:
    """Rule 7 with rule 8: current decisions go; ledger events stay as tombstones, so the chain still verifies
    (each hash covers a random ledger reference, never the account). Idempotent."""
    return {
        "consent_states": ConsentState.objects.filter(subject=subject).delete()[0],
        "consent_exceptions": ConsentException.objects.filter(subject=subject).delete()[0],
        "restrictions": SubjectRestriction.objects.filter(subject=subject).delete()[0],
        "consent_events_anonymised": ConsentEvent.objects.filter(subject=subject).update(subject=None),
    }


@transaction.atomic
def consent_gpc_honour(*, subject: User) -> list[ConsentEvent]:
    """Global Privacy Control: record every active sale-or-sharing purpose as withdrawn, with channel `gpc`."""
    return [
        consent_decide(subject=subject, purpose_slug=purpose.slug, granted=False, channel=Channel.GPC, actor=subject)
        for purpose in purposes_sale_or_sharing_active()
    ]


@transaction.atomic
def restrictions_set(*, subject: User, slugs: list[str], actor) -> list[str]:
    """Likeness restrictions: replace the subject's set with slugs from the active list only; partners are told
    (`restrictions.changed`, through consents.hooks) when the set changes, and only then. Returns the new set."""
    listed = {r.slug: r for r in restriction_list_active()}
    unknown = [slug for slug in dict.fromkeys(slugs) if slug not in listed]
    if unknown:
        raise UnknownRestriction(f"Unknown or retired restrictions: {', '.join(unknown)}.")
    # Lock the subject's row so two concurrent changes of the same set serialize.
    list(User.objects.select_for_update().filter(pk=subject.pk).values_list("pk", flat=True))
    chosen = SubjectRestriction.objects.filter(subject=subject).select_related("restriction")
    current = {row.restriction.slug for row in chosen}
    wanted = set(slugs)
    ordered = [slug for slug in listed if slug in wanted]
    if current == wanted:
        return ordered
    SubjectRestriction.objects.filter(subject=subject).exclude(restriction__slug__in=wanted).delete()
    SubjectRestriction.objects.bulk_create(
        [SubjectRestriction(subject=subject, restriction=listed[slug]) for slug in ordered if slug not in current]
    )
    if actor is not None and actor.pk != subject.pk:
        staff_action_log(
            actor=actor,
            kind=StaffAction.Kind.CHANGE,
            subject=subject,
            target=f"{SubjectRestriction._meta.label}:{subject.pk}",
            reason="restrictions set",
        )
    logger.info("restrictions set subject=%s count=%s", subject.pk, len(ordered))
    restrictions_changed_announce(change=RestrictionsChange(subject=subject, restrictions=tuple(ordered)))
    return ordered


# The standard list DESIGN.md names (its migration 0004 holds the same list as it stood then).
STANDARD_RESTRICTIONS = [
    (
        "no-political",
        "Never in political content",
        "No campaign material, political ads or content that takes a side on a political question.",
    ),
    (
        "no-sexual",
        "Never in sexual content",
        "No nudity, sexual or suggestive content of any kind.",
    ),
    (
        "no-violence",
        "Never in violent content",
        "No content that shows me hurting anyone, being hurt, or holding a weapon.",
    ),
    (
        "no-advertising",
        "Never in advertising",
        "No ads, sponsored posts or anything that sells a product or a service.",
    ),
    (
        "no-voice",
        "Never with my voice",
        "No cloned or imitated voice: media made with my likeness stays silent or uses another voice.",
    ),
    (
        "no-minors-in-scene",
        "Never with children in the scene",
        "No media that puts me in the same scene as anyone who looks under 18.",
    ),
]


@transaction.atomic
def restrictions_standard_ensure() -> int:
    """Create any standard likeness restriction that is missing (a fresh or flushed database); returns how many."""
    created = 0
    for position, (slug, title, description) in enumerate(STANDARD_RESTRICTIONS):
        if not LikenessRestriction.objects.filter(slug=slug).exists():
            restriction_save(
                restriction=LikenessRestriction(slug=slug),
                actor=None,
                title=title,
                description=description,
                active=True,
                position=position,
            )
            created += 1
    return created


@transaction.atomic
def restriction_save(
    *,
    restriction: LikenessRestriction,
    actor: User | None,
    title: str,
    description: str,
    active: bool,
    position: int,
) -> LikenessRestriction:
    """Likeness restrictions: staff edit the list; a new title or description is a new version. Audited (rule 8)."""
    creating = restriction.pk is None
    if not creating:
        stored = LikenessRestriction.objects.select_for_update().get(pk=restriction.pk)
        if (stored.title, stored.description) != (title, description):
            restriction.version = stored.version + 1
    restriction.title, restriction.description = title, description
    restriction.active, restriction.position = active, position
    restriction.save()
    if actor is not None:
        staff_action_log(
            actor=actor,
            kind=StaffAction.Kind.CHANGE,
            target=f"{LikenessRestriction._meta.label}:{restriction.pk}",
            reason="created" if creating else f"saved version {restriction.version}",
        )
    return restriction
