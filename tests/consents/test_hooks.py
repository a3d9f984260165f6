"""consents.hooks: the core announces each decision; the apps above subscribe, inside its transaction."""

import pytest
from django.db import transaction

from consents import hooks
from consents.models import ConsentEvent, ConsentState
from consents.services import consent_grant, consent_withdraw
from tests.consents.factories import PurposeFactory

pytestmark = pytest.mark.django_db


def _names(subscribers) -> list[str]:
    return [f"{s.__module__}.{s.__qualname__}" for s in subscribers]


def test_every_app_that_must_hear_of_a_consent_change_is_subscribed():
    # A missing subscriber would silently stop webhooks or orphan erasure: pin the list, in order.
    assert _names(hooks.consent_changed.subscribers()) == [
        "partners.subscribers.consent_changed_notify_partners",
        "media_vault.subscribers.consent_changed_erase_orphans",
        "appearances.subscribers.consent_changed_request_takedowns",
        "find_me.subscribers.consent_changed_enrol_or_forget",
    ]


def test_every_app_that_must_hear_of_a_restrictions_change_is_subscribed():
    assert _names(hooks.restrictions_changed.subscribers()) == [
        "partners.subscribers.restrictions_changed_notify_partners"
    ]


def test_every_app_that_can_lose_data_to_a_withdrawal_answers_for_its_impact():
    assert _names(hooks.withdrawal_impact.subscribers()) == [
        "media_vault.subscribers.withdrawal_impact_of_uploads",
        "appearances.subscribers.withdrawal_impact_of_appearances",
        "find_me.subscribers.withdrawal_impact_of_find_me",
    ]


def test_the_subjects_apps_come_from_partners():
    # Without it, per-app exceptions could not be set and the history could not name an app.
    assert _names(hooks.connected_apps.subscribers()) == ["partners.subscribers.connected_apps_of_subject"]


def test_subscribing_the_same_function_twice_registers_it_once(monkeypatch):
    monkeypatch.setattr(hooks.consent_changed, "_subscribers", [])

    def listener(change):
        pass

    hooks.consent_changed.subscribe(listener)
    hooks.consent_changed.subscribe(listener)

    assert hooks.consent_changed.subscribers() == (listener,)


def test_each_decision_is_announced_with_its_ledger_event(subject, monkeypatch):
    heard = []
    monkeypatch.setattr(hooks.consent_changed, "_subscribers", [heard.append])
    purpose = PurposeFactory()

    granted = consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    withdrawn = consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    assert [(c.event, c.granted, c.subject, c.purpose) for c in heard] == [
        (granted, True, subject, purpose),
        (withdrawn, False, subject, purpose),
    ]


def test_a_failing_subscriber_rolls_the_decision_back(subject, monkeypatch):
    def broken(change):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(hooks.consent_changed, "_subscribers", [broken])
    purpose = PurposeFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    assert not ConsentEvent.objects.filter(subject=subject).exists()
    assert not ConsentState.objects.filter(subject=subject).exists()


def test_the_media_vault_announces_new_uploads_to_find_me():
    from media_vault.hooks import upload_stored

    assert [f"{s.__module__}.{s.__name__}" for s in upload_stored.subscribers()] == [
        "find_me.subscribers.upload_stored_scan"
    ]
