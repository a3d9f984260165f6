"""Every app erases its own data (rule 7): each step is a service of the app that owns the rows, it erases what
it finds, and a second run (a resumed job) finds nothing left and counts nothing twice."""

import pytest

from accounts.services import account_records_erase
from consents.models import ConsentEvent, ConsentState
from consents.services import consent_records_anonymise_for_subject
from media_vault.models import AccessEvent, FaceUpload, SubjectKey
from media_vault.services import (
    access_events_erase_for_subject,
    data_key_erase_for_subject,
    export_download_record,
    uploads_erase_for_subject,
)
from partners.models import Link, LinkCode
from partners.services import links_erase_for_subject

pytestmark = pytest.mark.django_db

STEPS = [
    links_erase_for_subject,
    access_events_erase_for_subject,
    consent_records_anonymise_for_subject,
    account_records_erase,
    data_key_erase_for_subject,
]


@pytest.mark.parametrize("step", STEPS, ids=lambda step: step.__name__)
def test_each_step_erases_something_then_nothing_on_a_second_run(holdings, step):
    export_download_record(subject=holdings.subject)  # an access event that outlives the uploads
    uploads_erase_for_subject(subject=holdings.subject)  # objects before keys, as the orchestrator orders it

    first = step(subject=holdings.subject)
    second = step(subject=holdings.subject)

    assert sum(first.values()) > 0
    assert set(second) == set(first)
    assert sum(second.values()) == 0


def test_each_step_leaves_nothing_of_its_own_app(holdings):
    subject = holdings.subject
    batches = []

    uploads_erase_for_subject(subject=subject, on_batch=lambda counts, done, total: batches.append((done, total)))
    for step in STEPS:
        step(subject=subject)

    assert batches == [(2, 2)]
    assert not FaceUpload.objects.filter(subject=subject).exists()
    assert not AccessEvent.objects.filter(subject=subject).exists()
    assert not SubjectKey.objects.filter(subject=subject).exists()
    assert not Link.objects.filter(subject=subject).exists()
    assert not LinkCode.objects.filter(subject=subject).exists()
    assert not ConsentState.objects.filter(subject=subject).exists()
    assert not ConsentEvent.objects.filter(subject=subject).exists()
    assert ConsentEvent.objects.filter(subject=None).exists()  # tombstones keep the ledger verifiable
