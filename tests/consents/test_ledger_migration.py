"""Proof: moving an existing ledger (one chain across all subjects) into subject chains keeps every event and
hash, verifies after, and each subject's next decision links to their last event from before."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import User
from consents.checkpoints import ledger_checkpoint_write
from consents.ledger import GENESIS_HASH, event_hash
from consents.models import ConsentEvent, LedgerChain, LedgerHead
from consents.services import consent_withdraw
from consents.verification import ledger_verify

BEFORE = [("consents", "0007_staff_see_exceptions")]
AFTER = [("consents", "0008_subject_chains")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_ledger(transactional_db):
    """Seven events made the old way: one chain across three subjects, the head row locked by every append."""
    old = _migrate(BEFORE)
    OldUser, Purpose = old.get_model("accounts", "User"), old.get_model("consents", "Purpose")
    OldEvent, OldHead = old.get_model("consents", "ConsentEvent"), old.get_model("consents", "LedgerHead")
    purpose = Purpose.objects.create(slug="avatar", title="Avatars", description="d", retention_days=30)
    people = [OldUser.objects.create(email=f"p{i}@example.com", ledger_ref=uuid.uuid4()) for i in range(3)]
    prev_hash, start = GENESIS_HASH, timezone.now() - timedelta(days=3)
    for seq, who in enumerate([0, 1, 0, 2, 0, 1, 0], start=1):
        fields = {
            "seq": seq,
            "subject_ref": str(people[who].ledger_ref),
            "purpose_slug": "avatar",
            "purpose_version": 1,
            "granted": seq % 2 == 1,
            "channel": "web",
            "actor": "subject",
            "created_at": start + timedelta(minutes=seq),
            "prev_hash": prev_hash,
        }
        digest = event_hash(**fields, hash_version=1)
        OldEvent.objects.create(subject_id=people[who].pk, purpose=purpose, hash=digest, **fields)
        prev_hash = digest
    OldHead.objects.update_or_create(pk=1, defaults={"last_seq": 7, "last_hash": prev_hash})
    before = list(OldEvent.objects.order_by("seq").values_list("pk", "seq", "subject_ref", "prev_hash", "hash"))
    yield [person.pk for person in people], before
    _migrate(executor_latest())


def executor_latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def test_migrating_keeps_every_event_and_hash_and_verifies_after(old_ledger):
    _people, before = old_ledger

    _migrate(AFTER)

    after = list(ConsentEvent.objects.order_by("seq").values_list("pk", "seq", "subject_ref", "prev_hash", "hash"))
    assert after == before
    assert set(ConsentEvent.objects.values_list("hash_version", flat=True)) == {1}
    positions = list(ConsentEvent.objects.order_by("seq").values_list("chain_seq", flat=True))
    assert positions == [1, 1, 2, 1, 3, 2, 4]
    assert LedgerChain.objects.count() == 3
    result = ledger_verify()
    assert (result.ok, result.checked) == (True, 7)


def test_after_migrating_a_decision_links_to_the_subjects_last_event_from_before(old_ledger):
    people, _before = old_ledger
    _migrate(AFTER)
    person = User.objects.get(pk=people[1])
    last_before = ConsentEvent.objects.filter(subject=person).order_by("-seq").first()

    event = consent_withdraw(subject=person, purpose_slug="avatar", actor=person)

    assert (event.hash_version, event.chain_seq, event.prev_hash) == (2, 3, last_before.hash)
    assert event.seq > 7
    assert ledger_verify().ok
    assert LedgerHead.objects.get(pk=1).last_seq == 7  # frozen


def test_after_migrating_the_old_chain_is_still_checked_and_anchored(old_ledger):
    _migrate(AFTER)
    ledger_checkpoint_write()

    ConsentEvent.objects.filter(seq=7).delete()  # the old chain's tail, with its head row rewritten to match
    LedgerHead.objects.filter(pk=1).update(last_seq=6, last_hash=ConsentEvent.objects.get(seq=6).hash)
    chain = LedgerChain.objects.get(subject_ref=ConsentEvent.objects.get(seq=5).subject_ref)
    LedgerChain.objects.filter(pk=chain.pk).update(length=3, head_hash=ConsentEvent.objects.get(seq=5).hash)

    result = ledger_verify()
    assert result.ok is False
    assert "checkpoint" in result.reason
    assert ledger_verify(against_checkpoint=False).ok  # the chains alone cannot tell
