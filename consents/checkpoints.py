"""Proof: signed checkpoints of the ledger, kept outside the database (media storage: S3 in production, local files
on the embedded default), so that whoever can write the database still cannot rewrite history unseen.

A checkpoint signs (JWS, the receipts' Ed25519 key) the number of events and chains, a Merkle root over every
subject chain's head (subject reference, length, head hash; sorted by reference) and the frozen head of the old
chain across all subjects. The list of heads is stored beside it, named by its root, and written only when the
root changes. Before signing, everything that changed since the previous checkpoint is checked: a chain that no
longer extends what that one vouched for gets no new checkpoint.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from joserfc import jws
from joserfc.errors import JoseError

from consents.chain_walk import Anchor, ChainBreak, ChainWalk, event_rows
from consents.ledger import GENESIS_HASH, chain_leaf, merkle_root
from consents.models import LedgerChain, LedgerHead
from consents.receipt_keys import RECEIPT_ALG, receipt_public_keys, receipt_signing_key

logger = logging.getLogger(__name__)

CHECKPOINT_DIR = "ledger-checkpoints"
HEADS_DIR = f"{CHECKPOINT_DIR}/heads"
CHECKPOINT_TYP = "ledger-checkpoint+jws"
PUBLIC_CACHE_KEY = "consents:ledger-checkpoint-public"
PUBLIC_CACHE_SECONDS = 60
_CHANGED_CHAINS_BATCH = 500


@dataclass(frozen=True)
class Checkpoint:
    name: str
    jws: str
    payload: dict
    heads: dict[str, tuple[int, str]]  # subject_ref -> (length, head hash)

    @property
    def time(self) -> str:
        return self.payload["time"]

    @property
    def legacy(self) -> tuple[int, str]:
        """The old chain's head it vouches for: last seq and hash."""
        vouched = self.payload["legacy"]
        return vouched["seq"], vouched["hash"]

    def anchors(self) -> dict[str, Anchor]:
        return {ref: Anchor(length, head, self.time) for ref, (length, head) in self.heads.items()}

    def public(self) -> dict:
        """What /.well-known/ledger-checkpoint.json serves: the signed statement and what it says."""
        return {"checkpoint": self.jws, **self.payload, "keys": "/.well-known/jwks.json"}


class CheckpointRefused(Exception):
    """The ledger no longer extends what the previous checkpoint vouched for: nothing new is signed."""

    def __init__(self, brk: ChainBreak, previous: Checkpoint):
        self.brk, self.previous = brk, previous
        where = f"event #{brk.seq}" if brk.seq is not None else "the ledger"
        super().__init__(f"{where}: {brk.reason} (checked against the checkpoint of {previous.time})")


def _storage():
    return storages["default"]


def legacy_head() -> tuple[int, str]:
    """The frozen head of the old chain across all subjects (0 and the genesis hash when there was none)."""
    head = LedgerHead.objects.filter(pk=1).values_list("last_seq", "last_hash").first()
    return tuple(head) if head else (0, GENESIS_HASH)


def _current_heads() -> dict[str, tuple[int, str]]:
    return {
        str(ref): (length, head)
        for ref, length, head in LedgerChain.objects.filter(length__gt=0).values_list(
            "subject_ref", "length", "head_hash"
        )
    }


def _root(heads: dict[str, tuple[int, str]]) -> str:
    return merkle_root([chain_leaf(ref, length, head) for ref, (length, head) in sorted(heads.items())])


def _sign(payload: dict) -> str:
    key = receipt_signing_key()
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    header = {"alg": RECEIPT_ALG, "kid": key.kid, "typ": CHECKPOINT_TYP, "cty": "json"}
    return jws.serialize_compact(header, body, key, algorithms=[RECEIPT_ALG])


def _changes_since(previous: Checkpoint, heads: dict[str, tuple[int, str]], legacy: tuple[int, str]):
    """The first break in what changed since `previous`, or None: every chain it vouched for still starts with
    the event it named, and everything after that links and hashes correctly up to today's head row."""
    if previous.legacy != legacy:
        return ChainBreak(legacy[0], "the old chain's head differs from the one the last checkpoint vouches for")
    for ref in previous.heads.keys() - heads.keys():
        return ChainBreak(None, f"the chain of subject reference {ref} is gone")
    changed = [ref for ref, head in heads.items() if previous.heads.get(ref) != head]
    anchors = previous.anchors()
    for start in range(0, len(changed), _CHANGED_CHAINS_BATCH):
        batch = changed[start : start + _CHANGED_CHAINS_BATCH]
        walks = {ref: ChainWalk(ref, anchor=anchors.get(ref)) for ref in batch}
        for row in event_rows(subject_refs=batch):
            walk = walks[row.subject_ref]
            if walk.anchor is None:
                walk.step(row)  # a chain new since the previous checkpoint: all of it
            elif row.chain_seq == walk.anchor.length or (walk.last_seq is None and row.chain_seq > walk.anchor.length):
                walk.resume_at_anchor(row)  # the event it vouched for (if that is gone, this names the break)
            elif row.chain_seq > walk.anchor.length:
                walk.step(row)
        for ref, walk in walks.items():
            if walk.anchor is not None and walk.last_seq is None and not walk.broken:
                walk.mark_broken(
                    None, f"the chain of subject reference {ref} lost the events the checkpoint vouches for"
                )
            walk.finish(heads.get(ref))
            if walk.broken:
                return walk.broken
    return None


def ledger_checkpoint_write(*, now: datetime | None = None) -> Checkpoint:
    """Sign the ledger as it stands and store it; CheckpointRefused (and nothing written) when what changed since
    the previous checkpoint does not verify. Run by beat every few minutes and after every `verify_ledger`."""
    now = now or timezone.now()
    previous = checkpoint_latest()
    heads, legacy = _current_heads(), legacy_head()
    if previous is not None:
        brk = _changes_since(previous, heads, legacy)
        if brk is not None:
            logger.error("ledger checkpoint refused: event %s: %s", brk.seq, brk.reason)
            raise CheckpointRefused(brk, previous)
    root = _root(heads)
    moment = now.astimezone(UTC)
    payload = {
        "typ": "ledger-checkpoint",
        "iss": settings.SITE_URL,
        "time": moment.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "events": sum(length for length, _ in heads.values()),
        "chains": len(heads),
        "root": root,
        "legacy": {"seq": legacy[0], "hash": legacy[1]},
    }
    signed = _sign(payload)
    storage = _storage()
    heads_name = f"{HEADS_DIR}/{root}.json"
    if not storage.exists(heads_name):
        listed = [[ref, length, head] for ref, (length, head) in sorted(heads.items())]
        storage.save(heads_name, ContentFile(json.dumps(listed, separators=(",", ":")).encode()))
    name = f"{CHECKPOINT_DIR}/{moment:%Y-%m-%d}/{moment:%Y%m%dT%H%M%S.%fZ}.json"
    name = storage.save(name, ContentFile(json.dumps({"jws": signed, "heads": heads_name}).encode()))
    checkpoint = Checkpoint(name=name, jws=signed, payload=payload, heads=heads)
    cache.set(PUBLIC_CACHE_KEY, checkpoint.public(), PUBLIC_CACHE_SECONDS)
    logger.info("ledger checkpoint %s events=%s chains=%s", name, payload["events"], payload["chains"])
    return checkpoint


def checkpoint_read(name: str) -> Checkpoint | None:
    """One stored checkpoint, or None when it cannot be read or its signature or heads do not hold."""
    storage = _storage()
    try:
        with storage.open(name) as handle:
            stored = json.loads(handle.read())
        token = jws.deserialize_compact(stored["jws"], receipt_public_keys(), algorithms=[RECEIPT_ALG])
        if token.headers().get("typ") != CHECKPOINT_TYP:
            raise ValueError("not a ledger checkpoint")
        payload = json.loads(token.payload)
        with storage.open(stored["heads"]) as handle:
            heads = {ref: (length, head) for ref, length, head in json.loads(handle.read())}
    except (OSError, ValueError, KeyError, TypeError, JoseError) as error:
        logger.warning("ledger checkpoint %s unreadable: %s", name, error)
        return None
    if _root(heads) != payload.get("root"):
        logger.warning("ledger checkpoint %s: its list of heads does not give its signed root", name)
        return None
    return Checkpoint(name=name, jws=stored["jws"], payload=payload, heads=heads)


def checkpoint_latest() -> Checkpoint | None:
    """The newest checkpoint that can be read and whose signature holds; None before the first."""
    storage = _storage()
    try:
        days, _ = storage.listdir(CHECKPOINT_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return None
    for day in sorted((d for d in days if d != "heads"), reverse=True):
        _, files = storage.listdir(f"{CHECKPOINT_DIR}/{day}")
        for filename in sorted(files, reverse=True):
            checkpoint = checkpoint_read(f"{CHECKPOINT_DIR}/{day}/{filename}")
            if checkpoint is not None:
                return checkpoint
    return None


def checkpoint_public() -> dict | None:
    """The newest checkpoint's public part, cached a minute: anyone may fetch it often, storage is not hit."""
    public = cache.get(PUBLIC_CACHE_KEY)
    if public is None:
        latest = checkpoint_latest()
        if latest is None:
            return None
        public = latest.public()
        cache.set(PUBLIC_CACHE_KEY, public, PUBLIC_CACHE_SECONDS)
    return public
