"""Proof (rule 8): `verify_ledger` walks every chain in full and checks it against the newest checkpoint."""

from dataclasses import dataclass

from consents.chain_walk import ChainBreak, ChainWalk, LegacyWalk, event_rows
from consents.checkpoints import Checkpoint, checkpoint_latest, legacy_head
from consents.models import LedgerChain


@dataclass(frozen=True)
class LedgerVerification:
    ok: bool
    checked: int  # events that verified
    broken_seq: int | None = None
    reason: str = ""
    checkpoint: Checkpoint | None = None  # the checkpoint the ledger was checked against, if any


def ledger_verify(*, against_checkpoint: bool = True) -> LedgerVerification:
    """One pass over every event in `seq` order: the old chain across all subjects and every subject's chain, each
    checked against the newest checkpoint as well; reports the first broken event (the lowest number among the
    breaks).

    Without a checkpoint, an event edited, deleted or swapped is caught, but a dropped tail or a chain rewritten
    with recomputed hashes and head rows is not: the checkpoint is what vouches for those.
    """
    checkpoint = checkpoint_latest() if against_checkpoint else None
    breaks: list[ChainBreak] = []
    head = legacy_head()
    if checkpoint is not None and checkpoint.legacy != head:
        breaks.append(ChainBreak(head[0], f"the old chain's head differs from the checkpoint of {checkpoint.time}"))
    anchors = checkpoint.anchors() if checkpoint else {}

    legacy = LegacyWalk(head)
    walks: dict[str, ChainWalk] = {}
    for row in event_rows():
        if row.hash_version < 2:
            legacy.step(row)
        walk = walks.get(row.subject_ref)
        if walk is None:
            walk = walks[row.subject_ref] = ChainWalk(row.subject_ref, anchor=anchors.pop(row.subject_ref, None))
        walk.step(row)
    legacy.finish()
    if legacy.broken:
        breaks.append(legacy.broken)

    stored_heads = {
        str(ref): (length, head_hash)
        for ref, length, head_hash in LedgerChain.objects.values_list("subject_ref", "length", "head_hash")
    }
    checked = 0  # every event, old shape too, is counted once: in its subject's chain
    for ref, walk in walks.items():
        walk.finish(stored_heads.pop(ref, None))
        checked += walk.checked
        if walk.broken:
            breaks.append(walk.broken)
    for ref, (length, _) in stored_heads.items():
        if length:
            breaks.append(ChainBreak(None, f"the chain of subject reference {ref} has a head row but no events"))
    for ref in anchors:
        breaks.append(
            ChainBreak(None, f"the chain of subject reference {ref}, in the checkpoint of {checkpoint.time}, is gone")
        )

    if breaks:
        first = min(breaks, key=lambda b: (b.seq is None, b.seq or 0))
        return LedgerVerification(False, checked, first.seq, first.reason, checkpoint)
    return LedgerVerification(True, checked, checkpoint=checkpoint)
