"""What the consent core announces, and who listens.

`consents` sits below `partners` and `media_vault`, so it never calls them. Each decision is announced to the
subscribers that the apps above register in their `AppConfig.ready()`, inside the decision's own transaction:
`partners` writes its webhook outbox rows, `media_vault` queues the erasure of uploads left with no granted
purpose. Like Django's signals, but explicit: a subscriber that raises rolls the decision back, and a test pins
the list, so a missing subscriber is a failure rather than a silent no-op.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User
from consents.models import ConsentEvent, Purpose


@dataclass(frozen=True)
class ConsentChange:
    """One recorded decision: who, which purpose, and the ledger event that holds it."""

    subject: User
    purpose: Purpose
    event: ConsentEvent

    @property
    def granted(self) -> bool:
        return self.event.granted


ConsentChangedSubscriber = Callable[[ConsentChange], None]

_consent_changed: list[ConsentChangedSubscriber] = []


def consent_changed_subscribe(subscriber: ConsentChangedSubscriber) -> ConsentChangedSubscriber:
    """Register a subscriber once (calling it again with the same function changes nothing)."""
    if subscriber not in _consent_changed:
        _consent_changed.append(subscriber)
    return subscriber


def consent_changed_subscribers() -> tuple[ConsentChangedSubscriber, ...]:
    return tuple(_consent_changed)


def consent_changed_announce(*, change: ConsentChange) -> None:
    """Tell every subscriber, in registration order, inside the caller's transaction."""
    for subscriber in _consent_changed:
        subscriber(change)
