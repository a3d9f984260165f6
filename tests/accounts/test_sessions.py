"""Sessions end after 30 minutes idle (renewed at most once a minute) and after 12 hours in all, however active
they are."""

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.usersessions.models import UserSession
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import _ACTIVITY_KEY, _STARTED_KEY

pytestmark = pytest.mark.django_db

HOUR = 3600


def _session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def _signed_in(client, subject, password):
    response = client.post(reverse("account_login"), {"login": subject.email, "password": password})
    assert response.status_code == HTTPStatus.FOUND
    return client


def test_idle_limit_is_thirty_minutes_renewed_at_most_once_a_minute():
    assert django_settings.SESSION_COOKIE_AGE == 30 * 60
    assert django_settings.SESSION_ACTIVITY_INTERVAL.total_seconds() == 60
    assert django_settings.SESSION_ABSOLUTE_LIFETIME.total_seconds() == 12 * HOUR


def _last_renewed_ago(client, seconds: float) -> None:
    session = client.session
    session[_ACTIVITY_KEY] = time.time() - seconds
    session.save()


def test_a_request_a_minute_after_the_last_renewal_pushes_the_idle_deadline_thirty_minutes_ahead(
    client, subject, password
):
    _signed_in(client, subject, password)
    _last_renewed_ago(client, 61)
    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() + timedelta(minutes=1))

    response = client.get(reverse("consents:consent_list"))

    assert response.status_code == HTTPStatus.OK
    remaining = _session_row(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_requests_within_a_minute_of_the_last_renewal_write_nothing(client, subject, password):
    _signed_in(client, subject, password)
    _last_renewed_ago(client, 5)
    deadline = timezone.now() + timedelta(minutes=20)
    Session.objects.filter(pk=client.session.session_key).update(expire_date=deadline)

    response = client.get(reverse("consents:consent_list"))

    assert response.status_code == HTTPStatus.OK
    assert _session_row(client).expire_date == deadline


def test_the_sessions_last_seen_is_renewed_with_the_deadline(client, subject, password):
    _signed_in(client, subject, password)
    row = UserSession.objects.get(session_key=client.session.session_key)
    UserSession.objects.filter(pk=row.pk).update(last_seen_at=timezone.now() - timedelta(minutes=10))
    _last_renewed_ago(client, 5)
    client.get(reverse("consents:consent_list"))
    assert UserSession.objects.get(pk=row.pk).last_seen_at < timezone.now() - timedelta(minutes=9)

    _last_renewed_ago(client, 61)
    client.get(reverse("consents:consent_list"))

    assert UserSession.objects.get(pk=row.pk).last_seen_at > timezone.now() - timedelta(minutes=1)


def test_session_idle_for_thirty_minutes_is_signed_out(client, subject, password):
    _signed_in(client, subject, password)
    # thirty minutes without a request: the stored deadline has passed
    Session.objects.filter(pk=client.session.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("consents:consent_list"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_active_session_within_twelve_hours_stays_signed_in(client, subject, password):
    _signed_in(client, subject, password)
    session = client.session
    session[_STARTED_KEY] = time.time() - 11 * HOUR
    session.save()

    response = client.get(reverse("consents:consent_list"))

    assert response.status_code == HTTPStatus.OK
    assert response.wsgi_request.user == subject


def test_session_older_than_twelve_hours_is_signed_out_however_active(client, subject, password):
    _signed_in(client, subject, password)
    session = client.session
    session[_STARTED_KEY] = time.time() - 12 * HOUR - 60
    session.save()

    response = client.get(reverse("consents:consent_list"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_session_start_is_stamped_when_the_subject_signs_in(client, subject, password):
    before = time.time()
    _signed_in(client, subject, password)

    assert before <= client.session[_STARTED_KEY] <= time.time()


def test_session_signed_in_without_a_stamp_gets_one_on_its_next_request(client, subject):
    client.force_login(subject)  # e.g. a session that predates the middleware
    assert _STARTED_KEY not in client.session

    client.get(reverse("consents:consent_list"))

    assert _STARTED_KEY in client.session


def test_anonymous_sessions_are_not_stamped(client):
    client.get(reverse("account_login"))

    assert _STARTED_KEY not in client.session
