"""Every email names the portal (PORTAL_NAME, never the Sites framework's example.com), speaks plainly, and has a
plain-text and an HTML part: allauth's emails through templates/account/email/, which the portal overrides."""

from pathlib import Path

import allauth
import pytest
from django.conf import settings
from django.contrib.sites.models import Site
from django.core import mail
from django.urls import reverse

from accounts.services import site_update_from_settings

pytestmark = pytest.mark.django_db

PORTAL = str(settings.PORTAL_NAME)
TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _html(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def _assert_names_the_portal_in_both_parts(message) -> None:
    html = _html(message)
    for part in (message.subject, message.body, html):
        assert "example.com" not in part
    assert PORTAL in message.subject
    assert PORTAL in message.body
    assert PORTAL in html
    assert html.lstrip().startswith("<!doctype html>")


def test_sign_up_confirmation_email_names_the_portal_in_text_and_html(client, password):
    client.post(
        reverse("account_signup"), {"email": "new.subject@example.org", "password1": password, "password2": password}
    )

    (message,) = mail.outbox
    _assert_names_the_portal_in_both_parts(message)
    assert "Confirm your email address" in message.subject
    assert "/accounts/confirm-email/" in message.body
    assert "/accounts/confirm-email/" in _html(message)


def test_password_reset_email_names_the_portal_in_text_and_html(client, subject):
    client.post(reverse("account_reset_password"), {"email": subject.email})

    (message,) = mail.outbox
    _assert_names_the_portal_in_both_parts(message)
    assert "Reset your password" in message.subject
    assert "/accounts/password/reset/key/" in message.body
    assert "/accounts/password/reset/key/" in _html(message)


def test_password_reset_for_an_unknown_address_names_the_portal_in_text_and_html(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})

    (message,) = mail.outbox
    _assert_names_the_portal_in_both_parts(message)
    assert "no account" in message.body


def test_migrate_names_the_site_after_the_portal_and_site_url():
    site = Site.objects.get_current()

    assert (site.name, site.domain) == (PORTAL, "127.0.0.1:8000")


def test_the_site_follows_the_settings(settings):
    settings.SITE_URL = "https://portal.example.org"

    site_update_from_settings()

    assert Site.objects.get(pk=settings.SITE_ID).domain == "portal.example.org"


def test_every_allauth_email_has_an_html_part_here():
    """allauth sends an HTML part only when `<prefix>_message.html` exists; it ships none, so the portal has each."""
    shipped = Path(allauth.__file__).parent / "templates"
    installed = ("account", "mfa")  # allauth.account and allauth.mfa (no social accounts)
    prefixes = {
        str(path.relative_to(shipped)).removesuffix("_message.txt")
        for app in installed
        for path in shipped.glob(f"{app}/email/*_message.txt")
    }

    assert prefixes
    assert sorted(p for p in prefixes if not (TEMPLATES / f"{p}_message.html").exists()) == []
