"""Sign-up, email verification, sign-in and out, passwords and the login rate limit (django-allauth)."""

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-horse-staple-42"


def _link_in(message, path_prefix: str) -> str:
    """The first link in an email whose path starts with `path_prefix`."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}[^\s]*)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)


def _signed_in_user(client):
    return client.get(reverse("home")).wsgi_request.user


def _sign_up(client, email: str, password: str):
    return client.post(reverse("account_signup"), {"email": email, "password1": password, "password2": password})


def test_sign_up_sends_a_verification_email_and_does_not_sign_in(client, password):
    response = _sign_up(client, "new.subject@example.org", password)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.subject@example.org"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert not EmailAddress.objects.get(email="new.subject@example.org").verified
    assert not _signed_in_user(client).is_authenticated


def test_unverified_subject_cannot_sign_in(client, password):
    UserFactory(email="unverified@example.org", password=password, verified_email=False)

    response = client.post(reverse("account_login"), {"login": "unverified@example.org", "password": password})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_email_verification_sent")
    assert not _signed_in_user(client).is_authenticated


def test_following_the_emailed_link_verifies_the_address(client, password):
    _sign_up(client, "new.subject@example.org", password)
    confirm_path = _link_in(mail.outbox[0], "/accounts/confirm-email/")

    assert client.get(confirm_path).status_code == HTTPStatus.OK
    response = client.post(confirm_path)

    assert response.status_code == HTTPStatus.FOUND
    assert EmailAddress.objects.get(email="new.subject@example.org").verified
    assert _signed_in_user(client).email == "new.subject@example.org"


def test_verified_subject_can_sign_in_after_confirming(client, password):
    _sign_up(client, "new.subject@example.org", password)
    client.post(_link_in(mail.outbox[0], "/accounts/confirm-email/"))
    client.post(reverse("account_logout"))

    response = client.post(reverse("account_login"), {"login": "new.subject@example.org", "password": password})

    assert response.status_code == HTTPStatus.FOUND
    assert _signed_in_user(client).email == "new.subject@example.org"


def test_sign_in_with_the_right_password_signs_in(client, subject, password):
    response = client.post(reverse("account_login"), {"login": subject.email, "password": password})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("home")  # the summary of every app
    assert _signed_in_user(client) == subject


def test_sign_in_with_a_wrong_password_is_refused(client, subject):
    response = client.post(reverse("account_login"), {"login": subject.email, "password": "not-the-password-1"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert not _signed_in_user(client).is_authenticated


def test_sign_out_needs_a_post_and_ends_the_session(client, subject):
    client.force_login(subject)

    client.get(reverse("account_logout"))  # shows the confirmation page only
    assert _signed_in_user(client) == subject

    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    assert not _signed_in_user(client).is_authenticated


def test_password_reset_email_link_sets_a_new_password(client, subject):
    response = client.post(reverse("account_reset_password"), {"email": subject.email})
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    reset_path = _link_in(mail.outbox[0], "/accounts/password/reset/key/")

    form_page = client.get(reset_path, follow=True)  # allauth moves the key into the session, then redirects
    assert form_page.status_code == HTTPStatus.OK
    response = client.post(form_page.request["PATH_INFO"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    subject.refresh_from_db()
    assert subject.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_sends_no_reset_link(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    assert response.status_code == HTTPStatus.FOUND  # same answer as for a known address (no enumeration)
    assert all("/accounts/password/reset/key/" not in m.body for m in mail.outbox)


def test_password_change_needs_the_old_password(client, subject, password):
    client.force_login(subject)
    url = reverse("account_change_password")

    refused = client.post(
        url, {"oldpassword": "wrong-old-password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert refused.status_code == HTTPStatus.OK
    subject.refresh_from_db()
    assert subject.check_password(password)

    response = client.post(url, {"oldpassword": password, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    subject.refresh_from_db()
    assert subject.check_password(NEW_PASSWORD)
    assert _signed_in_user(client) == subject  # ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE is off


def test_repeated_failed_logins_lock_the_account_even_against_the_right_password(client, subject, password):
    # given five failed attempts for one account (ACCOUNT_RATE_LIMITS["login_failed"] = 5 per 5 minutes per key)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": subject.email, "password": "not-the-password-1"})

    # when the right password comes next
    response = client.post(reverse("account_login"), {"login": subject.email, "password": password})

    # then allauth refuses it with its rate-limit error and nobody is signed in
    assert response.status_code == HTTPStatus.OK
    assert "too_many_login_attempts" in [e.code for e in response.context["form"].non_field_errors().as_data()]
    assert not _signed_in_user(client).is_authenticated


def test_failed_logins_for_one_account_do_not_lock_another(client, subject, other_subject, password):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": subject.email, "password": "not-the-password-1"})

    response = client.post(reverse("account_login"), {"login": other_subject.email, "password": password})

    assert response.status_code == HTTPStatus.FOUND
    assert _signed_in_user(client) == other_subject


def test_too_many_sign_in_requests_from_one_address_answer_429(client, subject, password):
    for _ in range(30):  # ACCOUNT_RATE_LIMITS["login"] = 30 per minute per IP
        client.post(reverse("account_login"), {"login": "someone@example.org", "password": "not-the-password-1"})

    response = client.post(reverse("account_login"), {"login": subject.email, "password": password})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not _signed_in_user(client).is_authenticated
    assert b"site-header" in response.content  # the portal's own page, not a bare one
    assert b"Too many attempts" in response.content
