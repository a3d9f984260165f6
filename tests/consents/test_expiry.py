"""Expiring grants (issue 12): a grant may carry `expires_at`; when it passes, the grant ends as a withdrawal."""

import json
import sqlite3
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection, connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from consents.models import Channel, ConsentEvent, ConsentState
from consents.services import consent_decide, consent_grant, consents_expire
from consents.tasks import consents_expire as consents_expire_task
from consents.verification import ledger_verify
from partners.models import WebhookEvent
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.consents.test_concurrency import _run_in_threads as run_in_threads
from tests.partners.factories import LinkFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/me/consents/"


def _put(client, slug: str, body: dict):
    return client.put(f"/api/v1/me/consents/{slug}/", data=json.dumps(body), content_type="application/json")


@pytest.fixture
def purpose(db):
    return PurposeFactory(slug="cameos")


# --- PUT -------------------------------------------------------------------------------------
def test_a_grant_with_a_future_expiry_stores_it_and_the_rows_show_it(me_api, subject, purpose):
    expires_at = (timezone.now() + timedelta(days=90)).replace(microsecond=0)

    response = _put(me_api, purpose.slug, {"granted": True, "expires_at": expires_at.isoformat()})

    assert response.status_code == HTTPStatus.OK
    assert parse_datetime(response.json()["expires_at"]) == expires_at
    assert ConsentState.objects.get(subject=subject, purpose=purpose).expires_at == expires_at
    [row] = me_api.get(LIST_URL).json()["consents"]
    assert parse_datetime(row["expires_at"]) == expires_at


def test_rows_show_a_null_expiry_when_open_ended(me_api, purpose):
    assert _put(me_api, purpose.slug, {"granted": True}).json()["expires_at"] is None
    [row] = me_api.get(LIST_URL).json()["consents"]
    assert row["expires_at"] is None


def test_an_expiry_just_under_three_years_ahead_is_accepted(me_api, purpose):
    expires_at = timezone.now() + timedelta(days=365 * 3 - 1)

    response = _put(me_api, purpose.slug, {"granted": True, "expires_at": expires_at.isoformat()})

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    "body",
    [
        {"granted": True, "expires_at": "past"},
        {"granted": True, "expires_at": "beyond"},
        {"granted": False, "expires_at": "future"},
        {"granted": True, "expires_at": "not a date"},
    ],
    ids=["past", "more-than-3-years", "with-a-withdrawal", "malformed"],
)
def test_an_invalid_expiry_is_a_400_problem_and_changes_nothing(me_api, subject, purpose, body):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    now = timezone.now()
    when = {
        "past": now - timedelta(minutes=1),
        "beyond": now + timedelta(days=365 * 3 + 2),
        "future": now + timedelta(days=1),
    }
    value = body["expires_at"]
    sent = {**body, "expires_at": when[value].isoformat() if value in when else value}
    events_before = ConsentEvent.objects.count()

    response = _put(me_api, purpose.slug, sent)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_expiry"
    assert ConsentEvent.objects.count() == events_before
    state = ConsentState.objects.get(subject=subject, purpose=purpose)
    assert (state.granted, state.expires_at) == (True, None)


def test_a_new_grant_without_expiry_clears_it_and_a_withdrawal_clears_it(me_api, subject, purpose):
    future = (timezone.now() + timedelta(days=10)).isoformat()
    _put(me_api, purpose.slug, {"granted": True, "expires_at": future})

    _put(me_api, purpose.slug, {"granted": True})
    assert ConsentState.objects.get(subject=subject, purpose=purpose).expires_at is None

    _put(me_api, purpose.slug, {"granted": True, "expires_at": future})
    _put(me_api, purpose.slug, {"granted": False})
    state = ConsentState.objects.get(subject=subject, purpose=purpose)
    assert (state.granted, state.expires_at) == (False, None)


# --- consents_expire -------------------------------------------------------------------------
def _grant_until(subject, purpose, expires_at):
    return consent_decide(
        subject=subject,
        purpose_slug=purpose.slug,
        granted=True,
        channel=Channel.API,
        actor=subject,
        expires_at=expires_at,
    )


def test_an_expired_grant_becomes_a_withdrawal_on_the_expiry_channel_once(subject, other_subject, purpose):
    now = timezone.now()
    _grant_until(subject, purpose, now + timedelta(hours=1))
    _grant_until(other_subject, purpose, now + timedelta(days=2))

    later = now + timedelta(hours=2)
    assert consents_expire(now=later) == 1

    state = ConsentState.objects.get(subject=subject, purpose=purpose)
    assert (state.granted, state.expires_at) == (False, None)
    event = ConsentEvent.objects.filter(subject=subject).order_by("-seq").first()
    assert (event.granted, event.channel, event.actor) == (False, "expiry", "system")
    assert state.last_event_id == event.pk
    still = ConsentState.objects.get(subject=other_subject, purpose=purpose)
    assert still.granted and still.expires_at is not None

    events = ConsentEvent.objects.count()
    assert consents_expire(now=later) == 0
    assert ConsentEvent.objects.count() == events


def test_the_expiry_withdrawal_writes_the_webhooks_once_even_when_the_task_runs_again(subject, purpose):
    # given: a grant that has ended, seen by two linked partners
    links = [LinkFactory(subject=subject), LinkFactory(subject=subject)]
    _grant_until(subject, purpose, timezone.now() + timedelta(minutes=5))
    ConsentState.objects.filter(subject=subject).update(expires_at=timezone.now() - timedelta(seconds=1))

    # when: the task runs, and runs again (a retried or redelivered task, the next beat)
    consents_expire_task()
    consents_expire_task()

    # then: one withdrawal on the expiry channel, one consent.withdrawn per linked partner
    assert ConsentEvent.objects.filter(subject=subject, channel=Channel.EXPIRY).count() == 1
    for link in links:
        withdrawn = WebhookEvent.objects.filter(link=link, event_type="consent.withdrawn")
        assert withdrawn.count() == 1
        assert withdrawn.get().payload["data"]["purpose"] == purpose.slug


def test_the_task_ends_grants_whose_expiry_has_passed(subject, purpose):
    _grant_until(subject, purpose, timezone.now() + timedelta(minutes=1))
    ConsentState.objects.filter(subject=subject).update(expires_at=timezone.now() - timedelta(seconds=1))

    consents_expire_task()

    assert ConsentState.objects.get(subject=subject, purpose=purpose).granted is False


def test_the_beat_schedule_runs_the_task_every_30_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["consents-expire"]
    assert (entry["task"], entry["schedule"]) == ("consents.tasks.consents_expire", 30.0)


# --- Exactly once under concurrency --------------------------------------------------------------
class ConcurrentDatabase:
    """Where threads really run at once: PostgreSQL as configured, or for SQLite the embedded default's own setup
    (a file in WAL mode, IMMEDIATE transactions, a lock timeout, from settings) on a copy of the test database.
    The in-memory test database cannot stand in for it: its shared cache fails with "table is locked" at once
    where a file database waits for the lock.
    """

    def __init__(self, tmp_path):
        self.file = None if connection.vendor == "postgresql" else tmp_path / "embedded.sqlite3"
        self._settings = {**connection.settings_dict, "NAME": str(self.file)}
        self._wrapper = type(connections["default"])  # the backend's DatabaseWrapper
        self._copied = False

    def run(self, work: list) -> list[BaseException]:
        """Run each callable in its own thread, all starting together; return what they raised."""
        self._copy()
        return run_in_threads([self._on_this_database(job) for job in work])

    def read(self, job):
        """`job`'s result, read from the database the threads wrote to."""
        results: list = []
        errors = self.run([lambda: results.append(job())]) if self.file else results.append(job())
        assert not errors, errors
        return results[0]

    def _copy(self):
        if self.file is None or self._copied:
            return
        connection.ensure_connection()
        target = sqlite3.connect(self.file)
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
        target.close()
        self._copied = True

    def _on_this_database(self, job):
        def run():
            if self.file is not None:
                connections["default"] = self._wrapper(dict(self._settings), "default")  # this thread only
            job()

        return run


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_end_each_grant_exactly_once(tmp_path):
    # given: three subjects whose grants have ended, each seen by two linked partners, and one still running
    purpose = PurposeFactory()
    now = timezone.now()
    ended = [UserFactory() for _ in range(3)]
    links = [LinkFactory(subject=subject) for subject in ended for _ in range(2)]
    for subject in ended:
        _grant_until(subject, purpose, now + timedelta(minutes=1))
    running = UserFactory()
    _grant_until(running, purpose, now + timedelta(days=1))
    later = now + timedelta(minutes=2)
    database = ConcurrentDatabase(tmp_path)
    ended_counts: list[int] = []

    # when: two workers run the expiry at the same moment (a beat tick and a redelivered task, say)
    errors = database.run([lambda: ended_counts.append(consents_expire(now=later)) for _ in range(2)])

    # then: every ended grant ended once, whichever worker ended it; the running grant is untouched
    assert errors == []
    assert sum(ended_counts) == len(ended)
    expiry_events = database.read(
        lambda: [ConsentEvent.objects.filter(subject=s, channel=Channel.EXPIRY).count() for s in ended]
    )
    assert expiry_events == [1, 1, 1]
    states = database.read(
        lambda: [
            (state.granted, state.expires_at)
            for state in ConsentState.objects.filter(subject__in=ended, purpose=purpose).order_by("subject_id")
        ]
    )
    assert states == [(False, None)] * len(ended)
    withdrawn = database.read(
        lambda: [WebhookEvent.objects.filter(link=link, event_type="consent.withdrawn").count() for link in links]
    )
    assert withdrawn == [1] * len(links)
    assert database.read(lambda: ConsentState.objects.get(subject=running, purpose=purpose).granted) is True
    assert database.read(lambda: ledger_verify().ok)
