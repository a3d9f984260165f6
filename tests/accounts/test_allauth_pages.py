"""Every django-allauth page we use renders inside the portal's base template, with the site nav."""

from http import HTTPStatus

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

pytestmark = pytest.mark.django_db

SITE_HEADER = b'class="site-header"'


@pytest.mark.parametrize(
    "path",
    [
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        reverse("account_reset_password_done"),
        reverse("account_email_verification_sent"),
        reverse("account_inactive"),
        reverse("account_confirm_email", kwargs={"key": "not-a-real-key"}),
        reverse("account_reset_password_from_key", kwargs={"uidb36": "0", "key": "not-a-real-key"}),
        reverse("account_reset_password_from_key_done"),
    ],
)
def test_anonymous_account_pages_render_inside_the_site_layout(client, path):
    response = client.get(path)

    assert response.status_code == HTTPStatus.OK
    assert SITE_HEADER in response.content


@pytest.mark.parametrize(
    "url_name",
    [
        "account_email",
        "account_change_password",
        "account_logout",
        "account_reauthenticate",
        "mfa_index",
        "mfa_activate_totp",
    ],
)
def test_signed_in_account_pages_render_inside_the_site_layout(client, subject, password, url_name):
    client.force_login(subject)
    client.post(reverse("account_reauthenticate"), {"password": password})

    response = client.get(reverse(url_name))

    assert response.status_code == HTTPStatus.OK
    assert SITE_HEADER in response.content
    assert b"Sign out" in response.content  # the signed-in nav


@pytest.mark.parametrize(
    "url_name",
    [
        "mfa_index",
        "mfa_deactivate_totp",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_reauthenticate",
    ],
)
def test_two_factor_pages_render_inside_the_site_layout(client, subject, password, url_name):
    TOTP.activate(subject, generate_totp_secret())
    RecoveryCodes.activate(subject)
    client.force_login(subject)
    client.post(reverse("account_reauthenticate"), {"password": password})

    response = client.get(reverse(url_name))

    assert response.status_code == HTTPStatus.OK
    assert SITE_HEADER in response.content
