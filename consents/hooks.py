"""What the consent core announces, and who listens; and what it asks the apps above before a withdrawal.

`consents` sits below `partners` and `media_vault`, so it never calls them. Each decision is announced to the
subscribers that the apps above register in their `AppConfig.ready()`, inside the decision's own transaction:
`partners` writes its webhook outbox rows, `media_vault` queues the erasure of uploads left with no granted
purpose. Like Django's signals, but explicit: a subscriber that raises rolls the decision back, and a test pins
the list, so a missing subscriber is a failure rather than a silent no-op.

A change of the subject's likeness restrictions is announced the same way (`restrictions_changed`), so partners
can write their `restrictions.changed` outbox rows in the change's transaction.

Before a withdrawal, the same apps are asked what it would erase or take down (`withdrawal_impact_for`), so the
person is told before deciding: nothing is erased by surprise.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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
        """Whether the decision's scope (all apps, or the one app) may now use the purpose."""
        return self.event.granted

    @property
    def link_ref(self) -> int | None:
        """The one connected app the decision is for (a per-app exception); None for all apps."""
        return self.event.link_ref


F = TypeVar("F", bound=Callable)


class Hook(Generic[F]):
    """An ordered list of subscribers, each registered once (registering it again changes nothing)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[F] = []

    def subscribe(self, subscriber: F) -> F:
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def subscribers(self) -> tuple[F, ...]:
        return tuple(self._subscribers)


consent_changed: Hook[Callable[[ConsentChange], None]] = Hook("consent_changed")


def consent_changed_announce(*, change: ConsentChange) -> None:
    """Tell every subscriber, in registration order, inside the caller's transaction."""
    for subscriber in consent_changed.subscribers():
        subscriber(change)


@dataclass(frozen=True)
class RestrictionsChange:
    """A subject's new set of likeness restrictions, as slugs in list order."""

    subject: User
    restrictions: tuple[str, ...]


restrictions_changed: Hook[Callable[[RestrictionsChange], None]] = Hook("restrictions_changed")


def restrictions_changed_announce(*, change: RestrictionsChange) -> None:
    """Tell every subscriber of a restrictions change, in registration order, inside the caller's transaction."""
    for subscriber in restrictions_changed.subscribers():
        subscriber(change)


@dataclass(frozen=True)
class WithdrawalImpact:
    """What withdrawing one purpose would erase or take down, as each app above reports its share."""

    own_uploads: int = 0  # uploaded by the person in the portal
    uploads_by_app: dict[str, int] = field(default_factory=dict)  # app name -> uploads that app holds
    appearances_to_take_down: int = 0
    face_templates: int = 0  # find-me: templates of the person's face that would be destroyed
    sightings: int = 0  # find-me: sightings of the person that would be forgotten

    @property
    def uploads_to_erase(self) -> int:
        return self.own_uploads + sum(self.uploads_by_app.values())

    @property
    def anything(self) -> bool:
        return bool(self.uploads_to_erase or self.appearances_to_take_down or self.face_templates or self.sightings)

    def within(self, *, uploads: int, appearances: int) -> bool:
        """True when the person agreed to at least this much (the impact has not grown since they were asked)."""
        return self.uploads_to_erase <= uploads and self.appearances_to_take_down <= appearances

    def __add__(self, other: "WithdrawalImpact") -> "WithdrawalImpact":
        by_app = dict(self.uploads_by_app)
        for app, uploads in other.uploads_by_app.items():
            by_app[app] = by_app.get(app, 0) + uploads
        return WithdrawalImpact(
            own_uploads=self.own_uploads + other.own_uploads,
            uploads_by_app=by_app,
            appearances_to_take_down=self.appearances_to_take_down + other.appearances_to_take_down,
            face_templates=self.face_templates + other.face_templates,
            sightings=self.sightings + other.sightings,
        )


# Each app's answer to "what would withdrawing this purpose (for all apps: None, or for one app's link) erase or
# take down?"
withdrawal_impact: Hook[Callable[[User, Purpose, int | None], WithdrawalImpact]] = Hook("withdrawal_impact")


def withdrawal_impact_for(*, subject: User, purpose: Purpose, link_ref: int | None = None) -> WithdrawalImpact:
    """The sum of every app's share: what withdrawing `purpose` now, for all apps or for the one app of `link_ref`,
    would erase or take down."""
    impact = WithdrawalImpact()
    for provider in withdrawal_impact.subscribers():
        impact = impact + provider(subject, purpose, link_ref)
    return impact


@dataclass(frozen=True)
class ConnectedApp:
    """One of the subject's connections to an app, as the consent core may know it: a number, an id, a name."""

    link_ref: int  # the partners.Link id: what the ledger and exceptions hold
    link_id: str  # the id the subject's API and pages use for the connection
    name: str
    active: bool


# Who the subject's apps are (partners provides them): for per-app exceptions and for naming them in the history.
connected_apps: Hook[Callable[[User], list[ConnectedApp]]] = Hook("connected_apps")


def connected_apps_for(*, subject: User) -> list[ConnectedApp]:
    """Every connection the subject has had, active ones first."""
    return [app for provider in connected_apps.subscribers() for app in provider(subject)]
