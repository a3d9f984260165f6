"""Proof (rule 8): `verify_ledger` walks every chain in full and checks it against the newest checkpoint."""

from dataclasses import dataclass

from consents.chain_walk import EVENT_FIELDS, ChainBreak, ChainWalk, EventRow, legacy_walk
from consents.checkpoints import Checkpoint, checkpoint_latest
from consents.ledger import GENESIS_HASH
from consents.models import ConsentEvent, LedgerChain, LedgerHead

_CHUNK = 5000


@dataclass(frozen=True)
class LedgerVerification:
    ok: bool
    checked: int  # events that verified
    broken_seq: int | None = None
    reason: str = ""
    checkpoint: Checkpoint | None = None  # the checkpoint the ledger was checked against, if any


def _rows(queryset):
    return (EventRow(*values) for values in queryset.values_list(*EVENT_FIELDS).iterator(chunk_size=_CHUNK))


def ledger_verify(*, against_checkpoint: bool = True) -> LedgerVerification:
    """Walk the old chain across all subjects and every subject's chain; report the first broken event (the
    lowest sequence number among the breaks), checking each chain against the newest checkpoint as well.

    Without a checkpoint, an event edited, deleted or swapped is caught, but a dropped tail or a chain rewritten
    with recomputed hashes and head rows is not: the checkpoint is what vouches for those.
    """
    checkpoint = checkpoint_latest() if against_checkpoint else None
    breaks: list[ChainBreak] = []

    head = LedgerHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first() or (0, GENESIS_HASH)
    if checkpoint is not None:
        vouched = checkpoint.payload["legacy"]
        if (vouched["seq"], vouched["hash"]) != tuple(head):
            breaks.append(ChainBreak(head[0], f"the old chain's head differs from the checkpoint of {checkpoint.time}"))
    legacy = ConsentEvent.objects.filter(hash_version__lt=ConsentEvent.HASH_VERSION_SUBJECT_CHAIN).order_by("seq")
    _, legacy_break = legacy_walk(_rows(legacy), head=head)
    if legacy_break:
        breaks.append(legacy_break)

    stored_heads = {
        str(ref): (length, head_hash)
        for ref, length, head_hash in LedgerChain.objects.values_list("subject_ref", "length", "head_hash")
    }
    anchors = checkpoint.anchors() if checkpoint else {}
    checked = 0  # counted in the subject chains' walk, where every event (old shape too) appears once
    walk: ChainWalk | None = None

    def finish(walk: ChainWalk) -> None:
        nonlocal checked
        walk.finish(stored_heads.pop(walk.subject_ref, None))
        checked += walk.checked
        if walk.broken:
            breaks.append(walk.broken)

    for row in _rows(ConsentEvent.objects.order_by("subject_ref", "chain_seq")):
        ref = str(row.subject_ref)
        if walk is None or walk.subject_ref != ref:
            if walk is not None:
                finish(walk)
            walk = ChainWalk(ref, anchor=anchors.pop(ref, None))
        walk.step(row)
    if walk is not None:
        finish(walk)
    for ref, (length, _) in stored_heads.items():
        if length:
            breaks.append(ChainBreak(None, f"the chain of subject reference {ref} has a head row but no events"))
    for ref in anchors:
        breaks.append(
            ChainBreak(
                None, f"the chain of subject reference {ref}, in the checkpoint of {checkpoint.time}, has no events"
            )
        )

    if breaks:
        first = min(breaks, key=lambda b: (b.seq is None, b.seq or 0))
        return LedgerVerification(False, checked, first.seq, first.reason, checkpoint)
    return LedgerVerification(True, checked, checkpoint=checkpoint)
