"""Bulk-loading decisions made elsewhere: the same chains, hashes and state rows as one decision at a time."""

import pytest

from consents.models import ConsentEvent, ConsentState, LedgerChain
from consents.services import LOAD_BATCH_MAX, LoadedDecision, consent_withdraw, ledger_load
from consents.verification import ledger_verify
from partners.models import WebhookEvent
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db


def test_loaded_decisions_chain_per_subject_and_leave_the_state_equal_to_the_last(subject, other_subject):
    first, second = PurposeFactory(), PurposeFactory()
    consent_withdraw(subject=subject, purpose_slug=first.slug, actor=subject)  # an existing chain continues

    loaded = ledger_load(
        decisions=[
            LoadedDecision(subject=subject, purpose=first, granted=True),
            LoadedDecision(subject=other_subject, purpose=first, granted=False),
            LoadedDecision(subject=subject, purpose=second, granted=True),
            LoadedDecision(subject=subject, purpose=first, granted=False, channel="api"),
        ]
    )

    assert loaded == 4
    chain = list(ConsentEvent.objects.filter(subject=subject).order_by("chain_seq"))
    assert [e.chain_seq for e in chain] == [1, 2, 3, 4]
    assert [e.prev_hash for e in chain[1:]] == [e.hash for e in chain[:-1]]
    assert LedgerChain.objects.get(subject_ref=subject.ledger_ref).head_hash == chain[-1].hash
    state = ConsentState.objects.get(subject=subject, purpose=first)
    assert (state.granted, state.last_event_id) == (False, chain[-1].pk)
    assert ConsentState.objects.get(subject=other_subject, purpose=first).granted is False
    assert ledger_verify().ok


def test_a_decision_after_a_load_continues_the_chain(subject):
    purpose = PurposeFactory()
    ledger_load(decisions=[LoadedDecision(subject=subject, purpose=purpose, granted=True)])

    event = consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    assert event.chain_seq == 2
    assert ledger_verify().ok


def test_a_load_announces_nothing(subject):
    purpose = PurposeFactory()

    ledger_load(decisions=[LoadedDecision(subject=subject, purpose=purpose, granted=False)])

    assert not WebhookEvent.objects.exists()


def test_a_load_of_more_than_the_batch_limit_is_refused_whole(subject):
    purpose = PurposeFactory()
    decisions = [LoadedDecision(subject=subject, purpose=purpose, granted=True)] * (LOAD_BATCH_MAX + 1)

    with pytest.raises(ValueError, match="at most"):
        ledger_load(decisions=decisions)

    assert not ConsentEvent.objects.exists()


def test_loading_many_subjects_at_once_verifies(db):
    purposes = [PurposeFactory() for _ in range(3)]
    people = [UserFactory() for _ in range(40)]

    ledger_load(
        decisions=[
            LoadedDecision(subject=person, purpose=purpose, granted=(i + j) % 2 == 0)
            for i, person in enumerate(people)
            for j, purpose in enumerate(purposes)
        ]
    )

    assert ConsentEvent.objects.count() == ConsentState.objects.count() == 120
    assert LedgerChain.objects.count() == 40
    assert ledger_verify().ok
