"""Sessions end everywhere at once: after a password change every other session of the person is refused on its
next request, as are all of them once the account is disabled; changing the email asks for the password again
unless it was given within the last five minutes."""

import time
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-horse-staple-42"
REAUTHENTICATED_AT = "account_authentication_methods"  # allauth's record of when the person last gave proof


def _session_of(subject) -> Client:
    client = Client()
    client.force_login(subject)
    return client


def _signed_in(client) -> bool:
    return client.get(reverse("home")).wsgi_request.user.is_authenticated


def _api_answer(client) -> int:
    return client.get("/api/v1/me/consents/").status_code


def test_a_password_change_ends_every_other_session_on_its_next_request(subject, password):
    laptop, phone = _session_of(subject), _session_of(subject)
    assert _signed_in(phone) and _api_answer(phone) == HTTPStatus.OK

    response = laptop.post(
        reverse("account_change_password"),
        {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert _api_answer(phone) == HTTPStatus.FORBIDDEN
    assert not _signed_in(phone)
    assert _signed_in(laptop)  # the session that changed it goes on


def test_disabling_the_account_ends_every_session_on_its_next_request(subject, other_subject):
    first, second, someone_else = _session_of(subject), _session_of(subject), _session_of(other_subject)

    subject.is_active = False  # as staff do in admin
    subject.save(update_fields=["is_active"])

    assert _api_answer(first) == HTTPStatus.FORBIDDEN
    assert not _signed_in(second)
    assert _signed_in(someone_else)


def test_changing_the_email_asks_for_the_password_unless_given_in_the_last_five_minutes(subject, password):
    assert settings.ACCOUNT_REAUTHENTICATION_TIMEOUT == 300
    client = _session_of(subject)  # signed in, but no proof given in this session yet
    add = {"action_add": "", "email": "new-address@example.org"}

    asked = client.post(reverse("account_email"), add)

    assert asked.status_code == HTTPStatus.FOUND
    assert asked.url.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="new-address@example.org").exists()

    client.post(reverse("account_reauthenticate"), {"password": password})
    client.post(reverse("account_email"), add)
    assert EmailAddress.objects.filter(user=subject, email="new-address@example.org").exists()

    # six minutes later the proof is stale again
    session = client.session
    session[REAUTHENTICATED_AT] = [{**r, "at": time.time() - 360} for r in session[REAUTHENTICATED_AT]]
    session.save()
    again = client.post(reverse("account_email"), {"action_add": "", "email": "third@example.org"})
    assert again.url.startswith(reverse("account_reauthenticate"))
