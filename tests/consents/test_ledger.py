"""Rule 8: the consent ledger is hash-chained and `verify_ledger` finds the first broken event."""

from datetime import timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.utils import timezone

from consents.ledger import GENESIS_HASH, hash_of_event
from consents.models import ConsentEvent, ConsentState, LedgerChain, LedgerHead
from consents.services import consent_decide, consent_withdraw
from consents.verification import ledger_verify
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db


def _verify_ledger() -> str:
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def _chain(ledger, subject):
    return [event for event in ledger if event.subject_ref == subject.ledger_ref]


def test_events_are_numbered_in_order_and_each_subject_has_its_own_chain(ledger, subject, other_subject):
    seqs = [event.seq for event in ledger]
    assert seqs == sorted(set(seqs))
    assert [event.chain_seq for event in _chain(ledger, subject)] == [1, 2, 3, 4]
    assert [event.chain_seq for event in _chain(ledger, other_subject)] == [1]
    assert {event.hash_version for event in ledger} == {ConsentEvent.HASH_VERSION_SUBJECT_CHAIN}


def test_each_subject_chain_starts_at_the_genesis_hash(ledger, subject, other_subject):
    assert _chain(ledger, subject)[0].prev_hash == GENESIS_HASH == "0" * 64
    assert _chain(ledger, other_subject)[0].prev_hash == GENESIS_HASH


def test_each_event_links_to_the_hash_of_the_subjects_event_before(ledger, subject):
    for previous, event in pairwise(_chain(ledger, subject)):
        assert event.prev_hash == previous.hash


def test_each_stored_hash_matches_the_event_content(ledger):
    for event in ledger:
        assert len(event.hash) == 64
        assert hash_of_event(event) == event.hash


def test_each_chain_head_points_at_its_subjects_last_event(ledger, subject, other_subject):
    heads = {str(c.subject_ref): (c.length, c.head_hash) for c in LedgerChain.objects.all()}

    assert heads == {
        str(subject.ledger_ref): (4, ledger[4].hash),
        str(other_subject.ledger_ref): (1, ledger[1].hash),
    }


def test_the_old_global_head_is_no_longer_written(ledger):
    head = LedgerHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (0, GENESIS_HASH)


def test_a_decision_moves_only_its_own_subjects_chain(ledger, subject, other_subject):
    before = LedgerChain.objects.get(subject_ref=other_subject.ledger_ref)

    consent_withdraw(subject=subject, purpose_slug=ledger[0].purpose_slug, actor=subject)

    after = LedgerChain.objects.get(subject_ref=other_subject.ledger_ref)
    assert (after.length, after.head_hash, after.updated_at) == (before.length, before.head_hash, before.updated_at)
    assert LedgerChain.objects.get(subject_ref=subject.ledger_ref).length == 5


def test_a_grants_expiry_is_on_its_event_and_covered_by_the_hash(subject):
    purpose = PurposeFactory()
    ends = timezone.now() + timedelta(days=30)
    event = consent_decide(subject=subject, purpose_slug=purpose.slug, granted=True, expires_at=ends, actor=subject)

    assert event.expires_at == ends
    ConsentEvent.objects.filter(pk=event.pk).update(expires_at=ends + timedelta(days=365))
    result = ledger_verify()
    assert (result.ok, result.broken_seq) == (False, event.seq)


def test_verify_ledger_passes_on_an_intact_ledger_and_prints_the_count(ledger):
    output = _verify_ledger()

    assert "Ledger intact" in output
    assert "5 events" in output


def test_verify_ledger_passes_on_an_empty_ledger(db):
    assert "0 events" in _verify_ledger()


def test_ledger_verify_reports_an_intact_ledger(ledger):
    result = ledger_verify()

    assert result.ok is True
    assert result.checked == 5
    assert result.broken_seq is None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda event: {"granted": not event.granted}, id="granted"),
        pytest.param(lambda event: {"purpose_version": event.purpose_version + 1}, id="purpose_version"),
        pytest.param(lambda event: {"created_at": event.created_at - timedelta(days=1)}, id="created_at"),
        pytest.param(lambda event: {"actor": "system"}, id="actor"),
        pytest.param(lambda event: {"channel": "admin"}, id="channel"),
    ],
)
def test_verify_ledger_fails_naming_an_edited_event(ledger, change):
    edited = ledger[2]
    ConsentEvent.objects.filter(pk=edited.pk).update(**change(edited))

    with pytest.raises(CommandError, match=rf"#{edited.seq}\b") as excinfo:
        _verify_ledger()

    assert excinfo.value.returncode == 1


def test_verify_ledger_exits_with_status_one_when_broken(ledger):
    ConsentEvent.objects.filter(pk=ledger[1].pk).update(granted=False)

    with pytest.raises(SystemExit) as excinfo:
        ManagementUtility(["manage.py", "verify_ledger"]).execute()

    assert excinfo.value.code == 1


def test_rehashing_an_edited_event_breaks_the_link_from_the_next_one_in_its_chain(ledger):
    # given: an attacker edits event #3 and recomputes its own hash
    edited = ledger[2]
    edited.granted = not edited.granted
    ConsentEvent.objects.filter(pk=edited.pk).update(granted=edited.granted, hash=hash_of_event(edited))

    # then: event #4, the subject's next, no longer links to it
    result = ledger_verify()
    assert result.ok is False
    assert result.broken_seq == ledger[3].seq


def test_verify_ledger_detects_a_deleted_middle_event_naming_the_one_after_it(ledger):
    # event #3 is no state's last event: the subject decided on the same purpose again at #5
    ConsentEvent.objects.filter(pk=ledger[2].pk).delete()

    with pytest.raises(CommandError, match=rf"#{ledger[3].seq}\b.*position 2\) is missing"):
        _verify_ledger()


def test_verify_ledger_detects_a_deleted_last_event_by_its_chain_head(ledger):
    last = ledger[-1]
    # the state row protects its last event; whoever deletes the event has to remove the state too
    ConsentState.objects.filter(last_event=last).delete()
    ConsentEvent.objects.filter(pk=last.pk).delete()

    with pytest.raises(CommandError, match=rf"#{ledger[3].seq}\b.*head row does not match"):
        _verify_ledger()


def test_ledger_verify_counts_events_checked_before_the_break(ledger):
    ConsentEvent.objects.filter(pk=ledger[3].pk).update(granted=False)

    result = ledger_verify()

    assert (result.ok, result.broken_seq, result.checked) == (False, ledger[3].seq, 3)


def test_deleting_the_subject_keeps_the_ledger_verifying(ledger, subject):
    subject_ref = subject.ledger_ref

    subject.delete()

    tombstones = ConsentEvent.objects.filter(subject_ref=subject_ref)
    assert tombstones.count() == 4
    assert not tombstones.filter(subject__isnull=False).exists()
    assert ledger_verify().ok is True
    assert "5 events" in _verify_ledger()


def test_deleting_the_subject_removes_their_state_rows(ledger, subject, other_subject):
    subject.delete()

    assert list(ConsentState.objects.values_list("subject", flat=True)) == [other_subject.pk]
