"""Proof: following the ledger's hash chains, for the full check (`verify_ledger`) and for each checkpoint's check
of what changed since the one before.

Events are read in `seq` order, which is each subject's chain order too (a number is drawn only once the
subject's chain is locked), so one sequential pass follows every chain at once. On PostgreSQL the rows come as
plain text and numbers straight from SQL (times already in the ISO form the hash covers): a million events
verify in seconds.
"""

from collections import namedtuple
from dataclasses import dataclass

from django.db import connection

from consents.ledger import GENESIS_HASH, event_hash
from consents.models import ConsentEvent

EVENT_FIELDS = (
    "seq",
    "subject_ref",
    "chain_seq",
    "hash_version",
    "purpose_slug",
    "purpose_version",
    "granted",
    "channel",
    "actor",
    "created_at",
    "expires_at",
    "prev_hash",
    "link_ref",
    "exception_removed",
    "hash",
)
EventRow = namedtuple("EventRow", EVENT_FIELDS)

_CHUNK = 5000
# Python's isoformat(timespec="microseconds") of a UTC time, as PostgreSQL writes it.
_PG_ISO = """to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""
_PG_SELECT = ", ".join(
    "subject_ref::text"
    if field == "subject_ref"
    else _PG_ISO.format(column=field)
    if field in ("created_at", "expires_at")
    else field
    for field in EVENT_FIELDS
)


def event_rows(*, subject_refs: list[str] | None = None):
    """Every event (or those of the given subjects) in `seq` order, as EventRow."""
    if connection.vendor == "postgresql":
        table = ConsentEvent._meta.db_table
        where, params = (
            ("WHERE subject_ref = ANY(%s::uuid[])", [subject_refs]) if subject_refs is not None else ("", [])
        )
        with connection.chunked_cursor() as cursor:  # a server-side cursor: rows arrive a chunk at a time
            cursor.execute(f"SELECT {_PG_SELECT} FROM {table} {where} ORDER BY seq", params)  # noqa: S608
            while chunk := cursor.fetchmany(_CHUNK):
                yield from map(EventRow._make, chunk)
        return
    events = ConsentEvent.objects.order_by("seq")
    if subject_refs is not None:
        events = events.filter(subject_ref__in=subject_refs)
    for values in events.values_list(*EVENT_FIELDS).iterator(chunk_size=_CHUNK):
        yield EventRow(values[0], str(values[1]), *values[2:])


def row_hash(row: EventRow) -> str:
    """The hash an event's stored content gives."""
    return event_hash(
        seq=row.seq,
        subject_ref=row.subject_ref,
        purpose_slug=row.purpose_slug,
        purpose_version=row.purpose_version,
        granted=row.granted,
        channel=row.channel,
        actor=row.actor,
        created_at=row.created_at,
        prev_hash=row.prev_hash,
        link_ref=row.link_ref,
        exception_removed=row.exception_removed,
        hash_version=row.hash_version,
        chain_seq=row.chain_seq,
        expires_at=row.expires_at,
    )


@dataclass(frozen=True)
class Anchor:
    """What a checkpoint vouches for about one chain: its length and head hash then."""

    length: int
    head: str
    label: str  # the checkpoint's time, for messages


@dataclass(frozen=True)
class ChainBreak:
    seq: int | None  # the event to name; None when no event is left to name
    reason: str


class ChainWalk:
    """One subject's chain, event by event in chain order. Events of hash version 1 are only counted here: their
    links run across all subjects and are checked along that old chain (LegacyWalk)."""

    __slots__ = ("anchor", "broken", "checked", "head", "last_seq", "position", "seen_subject_chain", "subject_ref")

    def __init__(self, subject_ref: str, *, anchor: Anchor | None = None):
        self.subject_ref = subject_ref
        self.anchor = anchor
        self.position = 0
        self.head = GENESIS_HASH
        self.last_seq: int | None = None
        self.seen_subject_chain = False
        self.checked = 0
        self.broken: ChainBreak | None = None

    def mark_broken(self, seq: int | None, reason: str) -> None:
        self.broken = ChainBreak(seq, reason)

    def resume_at_anchor(self, row: EventRow) -> None:
        """Start from the event the anchor names (a checkpoint's check reads only what came after it)."""
        anchor = self.anchor
        if row.chain_seq != anchor.length or row.hash != anchor.head:
            self.mark_broken(row.seq, f"it is not the event that the checkpoint of {anchor.label} vouches for")
            return
        if row.hash_version >= 2 and row_hash(row) != row.hash:
            self.mark_broken(row.seq, "its content does not match its hash")
            return
        self.position, self.head, self.last_seq = row.chain_seq, row.hash, row.seq
        self.seen_subject_chain = row.hash_version >= 2

    def step(self, row: EventRow) -> None:
        if self.broken:
            return
        expected = self.position + 1
        if row.chain_seq != expected:
            self.mark_broken(row.seq, f"the event before it in its subject's chain (position {expected}) is missing")
            return
        if row.hash_version < 2:
            if self.seen_subject_chain:
                self.mark_broken(row.seq, "an event of the old shape follows newer events in its subject's chain")
                return
        else:
            self.seen_subject_chain = True
            if row.prev_hash != self.head:
                self.mark_broken(row.seq, "its previous-hash does not match the event before it in its subject's chain")
                return
            if row_hash(row) != row.hash:
                self.mark_broken(row.seq, "its content does not match its hash")
                return
        anchor = self.anchor
        if anchor is not None and row.chain_seq == anchor.length and row.hash != anchor.head:
            self.mark_broken(row.seq, f"it is not the event that the checkpoint of {anchor.label} vouches for")
            return
        self.position, self.head, self.last_seq = row.chain_seq, row.hash, row.seq
        self.checked += 1

    def finish(self, stored_head: tuple[int, str] | None) -> None:
        """The chain has no more events: check its end against the anchor and against its head row."""
        if self.broken:
            return
        anchor = self.anchor
        if anchor is not None and self.position < anchor.length:
            self.mark_broken(
                self.last_seq,
                f"events after it that the checkpoint of {anchor.label} vouches for are missing "
                f"(its subject's chain had {anchor.length}, now {self.position})",
            )
        elif stored_head is None:
            self.mark_broken(self.last_seq, "its subject's chain has no head row")
        elif tuple(stored_head) != (self.position, self.head):
            self.mark_broken(self.last_seq, "its subject's chain head row does not match the chain's last event")


class LegacyWalk:
    """Events of hash version 1, in `seq` order: one chain across all subjects, ending at the frozen head."""

    def __init__(self, head: tuple[int, str]):
        self.head = tuple(head)
        self.prev_hash, self.expected_seq = GENESIS_HASH, 1
        self.broken: ChainBreak | None = None

    def step(self, row: EventRow) -> None:
        if self.broken:
            return
        if row.seq != self.expected_seq:
            self.broken = ChainBreak(self.expected_seq, f"event #{self.expected_seq} is missing")
        elif row.prev_hash != self.prev_hash:
            self.broken = ChainBreak(row.seq, "its previous-hash does not match the event before")
        elif row_hash(row) != row.hash:
            self.broken = ChainBreak(row.seq, "its content does not match its hash")
        else:
            self.prev_hash, self.expected_seq = row.hash, self.expected_seq + 1

    def finish(self) -> None:
        if not self.broken and (self.expected_seq - 1, self.prev_hash) != self.head:
            self.broken = ChainBreak(self.head[0], "events at the end of the ledger's old chain are missing")
