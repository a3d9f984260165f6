"""Rule 8 under load: one subject's decisions serialize on their chain head, different subjects' run side by
side; nothing is lost or reordered."""

import random
import threading
import time

import pytest
from django.db import connection, transaction

from consents.models import ConsentEvent, ConsentState, LedgerChain
from consents.services import consent_decide
from consents.verification import ledger_verify
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 8
DECISIONS_PER_THREAD = 15


def _run_in_threads(work: list) -> list[BaseException]:
    """Run each callable in its own thread, all starting together; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(work))

    def run(job):
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection; leave none open for the flush

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return errors


def _decisions(*, subject, purpose, count: int, seed: int, calls: list):
    def job():
        rng = random.Random(seed)
        for _ in range(count):
            granted = rng.choice([True, False])
            consent_decide(subject=subject, purpose_slug=purpose.slug, granted=granted, actor=subject)
            calls.append((subject.pk, purpose.pk, granted))

    return job


def _assert_state_equals_last_event(subject, purpose):
    last = ConsentEvent.objects.filter(subject=subject, purpose=purpose).order_by("-seq").first()
    state = ConsentState.objects.get(subject=subject, purpose=purpose)
    assert state.last_event_id == last.pk
    assert (state.granted, state.purpose_version, state.changed_at) == (
        last.granted,
        last.purpose_version,
        last.created_at,
    )


def test_concurrent_decisions_on_one_consent_lose_no_event():
    subject, purpose = UserFactory(), PurposeFactory()
    calls: list = []

    errors = _run_in_threads(
        [
            _decisions(subject=subject, purpose=purpose, count=DECISIONS_PER_THREAD, seed=n, calls=calls)
            for n in range(THREADS)
        ]
    )

    assert errors == []
    assert len(calls) == THREADS * DECISIONS_PER_THREAD
    assert ConsentEvent.objects.filter(subject=subject, purpose=purpose).count() == len(calls)
    assert ConsentEvent.objects.filter(granted=True).count() == sum(granted for _, _, granted in calls)


def test_concurrent_decisions_leave_the_state_equal_to_the_last_event():
    subject, purpose = UserFactory(), PurposeFactory()

    errors = _run_in_threads(
        [
            _decisions(subject=subject, purpose=purpose, count=DECISIONS_PER_THREAD, seed=n, calls=[])
            for n in range(THREADS)
        ]
    )

    assert errors == []
    assert ConsentState.objects.filter(subject=subject, purpose=purpose).count() == 1
    _assert_state_equals_last_event(subject, purpose)


def test_concurrent_decisions_number_the_subjects_chain_without_gaps():
    subject, purpose = UserFactory(), PurposeFactory()

    errors = _run_in_threads(
        [
            _decisions(subject=subject, purpose=purpose, count=DECISIONS_PER_THREAD, seed=n, calls=[])
            for n in range(THREADS)
        ]
    )

    assert errors == []
    rows = list(ConsentEvent.objects.order_by("chain_seq").values_list("chain_seq", "seq"))
    assert [position for position, _ in rows] == list(range(1, THREADS * DECISIONS_PER_THREAD + 1))
    seqs = [seq for _, seq in rows]
    assert seqs == sorted(set(seqs))  # numbered in the order the chain grew


def test_a_decision_waits_only_for_its_own_subject():
    # given: one transaction holds the first subject's chain (as a slow decision would), on the same purpose
    busy, free, purpose = UserFactory(), UserFactory(), PurposeFactory()
    consent_decide(subject=busy, purpose_slug=purpose.slug, granted=True, actor=busy)
    holding, release = threading.Event(), threading.Event()
    finished: list[str] = []

    def hold_busy_subject():
        with transaction.atomic():
            LedgerChain.objects.select_for_update().get(subject_ref=busy.ledger_ref)
            holding.set()
            release.wait(timeout=30)

    def decide(subject):
        def job():
            holding.wait(timeout=30)
            consent_decide(subject=subject, purpose_slug=purpose.slug, granted=False, actor=subject)
            finished.append(str(subject.pk))

        return job

    def watch():
        holding.wait(timeout=30)
        # then: the other subject's decision completes while the first subject's chain is held...
        deadline = time.monotonic() + 10
        while str(free.pk) not in finished and time.monotonic() < deadline:
            time.sleep(0.02)
        finished.append("checked")
        # ...and the held subject's own decision has not
        assert str(busy.pk) not in finished
        release.set()

    errors = _run_in_threads([hold_busy_subject, decide(free), decide(busy), watch])

    assert errors == []
    assert finished.index(str(free.pk)) < finished.index("checked") < finished.index(str(busy.pk))


def test_concurrent_decisions_keep_the_ledger_verifying():
    subject, purpose = UserFactory(), PurposeFactory()

    errors = _run_in_threads(
        [
            _decisions(subject=subject, purpose=purpose, count=DECISIONS_PER_THREAD, seed=n, calls=[])
            for n in range(THREADS)
        ]
    )

    assert errors == []
    result = ledger_verify()
    assert result.ok, result
    assert result.checked == THREADS * DECISIONS_PER_THREAD


def test_concurrent_decisions_on_many_subjects_and_purposes_stay_consistent():
    # given: three subjects and three purposes; two threads per pair of subject and purpose
    subjects = [UserFactory() for _ in range(3)]
    purposes = [PurposeFactory() for _ in range(3)]
    pairs = [(s, p) for s in subjects for p in purposes]
    calls: list = []
    work = [
        _decisions(subject=s, purpose=p, count=5, seed=n * 10 + k, calls=calls)
        for n, (s, p) in enumerate(pairs)
        for k in range(2)
    ]

    # when
    errors = _run_in_threads(work)

    # then
    assert errors == []
    assert ConsentEvent.objects.count() == len(calls) == len(pairs) * 2 * 5
    for subject in subjects:
        positions = (
            ConsentEvent.objects.filter(subject=subject).order_by("chain_seq").values_list("chain_seq", flat=True)
        )
        assert list(positions) == list(range(1, 31))
    assert ConsentState.objects.count() == len(pairs)
    for subject, purpose in pairs:
        assert ConsentEvent.objects.filter(subject=subject, purpose=purpose).count() == 10
        _assert_state_equals_last_event(subject, purpose)
    assert ledger_verify().ok
