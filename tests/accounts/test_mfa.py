"""TOTP two-factor sign-in and re-authentication before sensitive changes (django-allauth MFA)."""

import time
from http import HTTPStatus

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY as TOTP_SECRET_SESSION_KEY
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _totp_tolerates_a_step_boundary(settings):
    """A code computed just before a 30-second boundary stays valid when it is posted just after."""
    settings.MFA_TOTP_TOLERANCE = 1


def _current_counter() -> int:
    return int(time.time()) // mfa_settings.TOTP_PERIOD


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now, computed with allauth's own HOTP helpers."""
    return format_hotp_value(hotp_value(secret, _current_counter()))


def wrong_totp_code(secret: str) -> str:
    """A six-digit code that no step inside the tolerance window produces."""
    valid = {format_hotp_value(hotp_value(secret, _current_counter() + step)) for step in range(-2, 3)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in valid)


def _signed_in_user(client):
    return client.get(reverse("home")).wsgi_request.user


def _password_login(client, user, password):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def _reauthenticate(client, password):
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == HTTPStatus.FOUND
    return response


def _age_authentication_records(client, seconds: float):
    """Move every sign-in and re-authentication of this session `seconds` into the past."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {**record, "at": record["at"] - seconds} for record in session[AUTHENTICATION_METHODS_SESSION_KEY]
    ]
    session.save()


@pytest.fixture
def totp_subject(subject):
    """A subject with TOTP switched on; the fixture yields the secret their authenticator app holds."""
    secret = generate_totp_secret()
    TOTP.activate(subject, secret)
    return secret


def test_subject_activates_totp_from_the_two_factor_page(client, subject, password):
    _password_login(client, subject, password)
    _reauthenticate(client, password)

    index = client.get(reverse("mfa_index"))
    assert index.status_code == HTTPStatus.OK
    assert reverse("mfa_activate_totp").encode() in index.content

    form_page = client.get(reverse("mfa_activate_totp"))
    assert form_page.status_code == HTTPStatus.OK
    secret = client.session[TOTP_SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert response.status_code == HTTPStatus.FOUND
    assert Authenticator.objects.filter(user=subject, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=subject, type=Authenticator.Type.RECOVERY_CODES).exists()


def test_activating_totp_with_a_wrong_code_is_refused(client, subject, password):
    _password_login(client, subject, password)
    _reauthenticate(client, password)
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[TOTP_SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": wrong_totp_code(secret)})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["code"]
    assert not Authenticator.objects.filter(user=subject).exists()


def test_login_with_totp_asks_for_the_code_before_signing_in(client, subject, password, totp_subject):
    response = _password_login(client, subject, password)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_authenticate")
    assert not _signed_in_user(client).is_authenticated
    code_page = client.get(reverse("mfa_authenticate"))
    assert code_page.status_code == HTTPStatus.OK
    assert b"site-header" in code_page.content


def test_login_with_totp_accepts_the_right_code(client, subject, password, totp_subject):
    _password_login(client, subject, password)

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_subject)})

    assert response.status_code == HTTPStatus.FOUND
    assert _signed_in_user(client) == subject


def test_login_with_totp_refuses_a_wrong_code(client, subject, password, totp_subject):
    _password_login(client, subject, password)

    response = client.post(reverse("mfa_authenticate"), {"code": wrong_totp_code(totp_subject)})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["code"]
    assert not _signed_in_user(client).is_authenticated


def test_a_totp_code_cannot_be_used_twice(client, subject, password, totp_subject):
    code = totp_code(totp_subject)
    _password_login(client, subject, password)
    client.post(reverse("mfa_authenticate"), {"code": code})
    client.post(reverse("account_logout"))

    _password_login(client, subject, password)
    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == HTTPStatus.OK
    assert not _signed_in_user(client).is_authenticated


def test_changing_two_factor_asks_to_reauthenticate_right_after_sign_in(client, subject, password):
    _password_login(client, subject, password)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_reauthentication_expires_after_the_timeout(client, subject, password, settings):
    _password_login(client, subject, password)
    _reauthenticate(client, password)
    assert client.get(reverse("mfa_activate_totp")).status_code == HTTPStatus.OK

    _age_authentication_records(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    response = client.get(reverse("mfa_activate_totp"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_deactivating_totp_after_the_timeout_asks_to_reauthenticate(client, subject, password, totp_subject, settings):
    _password_login(client, subject, password)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(totp_subject)})
    _reauthenticate(client, password)
    assert client.get(reverse("mfa_deactivate_totp")).status_code == HTTPStatus.OK

    _age_authentication_records(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert Authenticator.objects.filter(user=subject, type=Authenticator.Type.TOTP).exists()


def test_reauthentication_refuses_a_wrong_password(client, subject, password):
    _password_login(client, subject, password)

    response = client.post(reverse("account_reauthenticate"), {"password": "not-the-password-1"})

    assert response.status_code == HTTPStatus.OK
    assert client.get(reverse("mfa_activate_totp")).url.startswith(reverse("account_reauthenticate"))
