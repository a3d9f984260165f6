"""Proof: following the ledger's hash chains, for the full check (`verify_ledger`) and for each checkpoint's check
of what changed since the one before. Works on plain rows (`EVENT_FIELDS`), not model instances: a million
events must verify in seconds."""

from collections import namedtuple
from dataclasses import dataclass

from consents.ledger import GENESIS_HASH, event_hash

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


def row_hash(row: EventRow) -> str:
    """The hash an event's stored content gives."""
    fields = row._asdict()
    fields.pop("hash")
    return event_hash(**fields)


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
    links run across all subjects and are checked along that old chain (`legacy_walk`)."""

    def __init__(self, subject_ref, *, anchor: Anchor | None = None):
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


def legacy_walk(rows, *, head: tuple[int, str]) -> tuple[int, ChainBreak | None]:
    """Events of hash version 1, in `seq` order: one chain across all subjects, ending at the frozen head
    (last seq, last hash). Returns how many verified and the first break."""
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    for row in rows:
        if row.seq != expected_seq:
            return checked, ChainBreak(expected_seq, f"event #{expected_seq} is missing")
        if row.prev_hash != prev_hash:
            return checked, ChainBreak(row.seq, "its previous-hash does not match the event before")
        if row_hash(row) != row.hash:
            return checked, ChainBreak(row.seq, "its content does not match its hash")
        prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    if (checked, prev_hash) != tuple(head):
        return checked, ChainBreak(head[0], "events at the end of the ledger's old chain are missing")
    return checked, None
