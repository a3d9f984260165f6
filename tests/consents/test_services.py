"""consents.services: decisions move the state row, re-consent on material change, actor labels."""

import pytest

from consents.exceptions import PurposeNotFound
from consents.models import Channel, ConsentEvent, ConsentState, ConsentStateName
from consents.selectors import consent_status_get
from consents.services import consent_decide, consent_grant, consent_withdraw, purpose_publish_version
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory, PurposeVersionFactory

pytestmark = pytest.mark.django_db


def _state(subject, purpose) -> ConsentState:
    return ConsentState.objects.get(subject=subject, purpose=purpose)


def _assert_state_equals_last_event(subject, purpose) -> None:
    last = ConsentEvent.objects.filter(subject=subject, purpose=purpose).order_by("-seq").first()
    state = _state(subject, purpose)
    assert state.last_event_id == last.pk
    assert state.granted == last.granted
    assert state.purpose_version == last.purpose_version
    assert state.changed_at == last.created_at


def test_grant_creates_a_granted_state_row(subject):
    purpose = PurposeFactory()

    event = consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    state = _state(subject, purpose)
    assert state.granted is True
    assert state.last_event == event


def test_withdraw_moves_the_state_row_to_not_granted(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    event = consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    state = _state(subject, purpose)
    assert state.granted is False
    assert state.last_event == event
    assert ConsentState.objects.filter(subject=subject, purpose=purpose).count() == 1


def test_withdraw_is_effective_on_next_check(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    assert consent_status_get(subject=subject, purpose=purpose).granted is False


def test_state_always_equals_the_last_event(subject):
    purpose = PurposeFactory()
    for granted in [True, False, False, True, False, True]:
        consent_decide(subject=subject, purpose_slug=purpose.slug, granted=granted, actor=subject)
        _assert_state_equals_last_event(subject, purpose)


def test_every_decision_appends_one_event(subject):
    purpose = PurposeFactory()

    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    granted = list(ConsentEvent.objects.filter(subject=subject).order_by("seq").values_list("granted", flat=True))
    assert granted == [True, False, True]


def test_decision_on_unknown_purpose_raises_and_writes_nothing(subject):
    with pytest.raises(PurposeNotFound):
        consent_decide(subject=subject, purpose_slug="no-such-purpose", granted=True, actor=subject)

    assert ConsentEvent.objects.count() == 0
    assert ConsentState.objects.count() == 0


@pytest.mark.parametrize("granted", [True, False])
def test_decision_on_inactive_purpose_raises_and_writes_nothing(subject, granted):
    purpose = PurposeFactory(active=False)

    with pytest.raises(PurposeNotFound):
        consent_decide(subject=subject, purpose_slug=purpose.slug, granted=granted, actor=subject)

    assert ConsentEvent.objects.count() == 0
    assert ConsentState.objects.count() == 0


def test_never_decided_is_not_asked(subject):
    purpose = PurposeFactory()

    status = consent_status_get(subject=subject, purpose=purpose)

    assert status.state == ConsentStateName.NOT_ASKED
    assert status.granted is False


def test_withdrawn_is_withdrawn(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    status = consent_status_get(subject=subject, purpose=purpose)

    assert status.state == ConsentStateName.WITHDRAWN
    assert status.granted is False


def test_withdraw_without_earlier_grant_is_withdrawn_not_not_asked(subject):
    purpose = PurposeFactory()

    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    assert consent_status_get(subject=subject, purpose=purpose).state == ConsentStateName.WITHDRAWN


def test_granted_is_granted_at_the_current_version(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    status = consent_status_get(subject=subject, purpose=purpose)

    assert status.state == ConsentStateName.GRANTED
    assert status.granted is True
    assert status.purpose_version == 1


def test_new_version_requiring_reconsent_turns_earlier_grants_into_reconsent_required(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    PurposeVersionFactory(purpose=purpose, requires_reconsent=True)

    purpose.refresh_from_db()
    status = consent_status_get(subject=subject, purpose=purpose)
    assert status.state == ConsentStateName.RECONSENT_REQUIRED
    assert status.granted is False


def test_new_version_requiring_reconsent_leaves_withdrawals_withdrawn(subject):
    purpose = PurposeFactory()
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    PurposeVersionFactory(purpose=purpose, requires_reconsent=True)

    purpose.refresh_from_db()
    assert consent_status_get(subject=subject, purpose=purpose).state == ConsentStateName.WITHDRAWN


def test_new_version_without_reconsent_keeps_earlier_grants_granted(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    PurposeVersionFactory(purpose=purpose, requires_reconsent=False)

    purpose.refresh_from_db()
    status = consent_status_get(subject=subject, purpose=purpose)
    assert status.state == ConsentStateName.GRANTED
    assert status.granted is True
    assert status.purpose_version == 1


def test_minor_version_after_a_reconsent_version_keeps_the_reconsent_threshold(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    PurposeVersionFactory(purpose=purpose, requires_reconsent=True)

    PurposeVersionFactory(purpose=purpose, requires_reconsent=False)

    purpose.refresh_from_db()
    assert purpose.version == 3
    assert consent_status_get(subject=subject, purpose=purpose).state == ConsentStateName.RECONSENT_REQUIRED


def test_granting_again_after_reconsent_version_is_granted_at_the_new_version(subject):
    purpose = PurposeFactory()
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    PurposeVersionFactory(purpose=purpose, requires_reconsent=True)

    event = consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    purpose.refresh_from_db()
    status = consent_status_get(subject=subject, purpose=purpose)
    assert event.purpose_version == 2
    assert status.state == ConsentStateName.GRANTED
    assert status.granted is True
    assert status.purpose_version == 2


def test_publish_version_mirrors_the_new_text_on_the_purpose():
    purpose = PurposeFactory(title="Old title")

    version = purpose_publish_version(
        purpose=purpose, title="New title", description="New words.", retention_days=7, requires_reconsent=True
    )

    purpose.refresh_from_db()
    assert version.version == purpose.version == 2
    assert (purpose.title, purpose.description, purpose.retention_days) == ("New title", "New words.", 7)
    assert purpose.min_valid_version == 2


def test_reconsent_version_does_not_touch_other_purposes(subject):
    changed, untouched = PurposeFactory(), PurposeFactory()
    consent_grant(subject=subject, purpose_slug=changed.slug, actor=subject)
    consent_grant(subject=subject, purpose_slug=untouched.slug, actor=subject)

    PurposeVersionFactory(purpose=changed, requires_reconsent=True)

    untouched.refresh_from_db()
    assert consent_status_get(subject=subject, purpose=untouched).state == ConsentStateName.GRANTED


def test_subject_deciding_for_themselves_is_labelled_subject(subject):
    purpose = PurposeFactory()

    event = consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    assert event.actor == "subject"


def test_staff_deciding_for_a_subject_is_labelled_with_the_staff_id(subject):
    staff = UserFactory(staff=True)
    purpose = PurposeFactory()

    event = consent_withdraw(subject=subject, purpose_slug=purpose.slug, channel=Channel.ADMIN, actor=staff)

    assert event.actor == f"staff:{staff.pk}"


def test_decision_without_actor_is_labelled_system(subject):
    purpose = PurposeFactory()

    event = consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=None)

    assert event.actor == "system"


def test_actor_labels_never_contain_an_email(subject):
    staff = UserFactory(staff=True)
    purpose = PurposeFactory()

    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=staff)
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=None)

    labels = list(ConsentEvent.objects.values_list("actor", flat=True))
    assert len(labels) == 3
    for label in labels:
        assert "@" not in label
        assert subject.email not in label
        assert staff.email not in label


def test_ledger_event_holds_no_email_of_the_subject(subject):
    purpose = PurposeFactory()

    event = consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    stored = ConsentEvent.objects.filter(pk=event.pk).values().get()
    assert not any(subject.email in str(value) for value in stored.values())
    assert str(stored["subject_ref"]) == str(subject.ledger_ref)


def test_decision_records_the_channel(subject):
    purpose = PurposeFactory()

    event = consent_grant(subject=subject, purpose_slug=purpose.slug, channel=Channel.API, actor=subject)

    assert event.channel == Channel.API
