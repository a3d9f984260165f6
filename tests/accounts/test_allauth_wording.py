"""allauth's pages speak in the site's voice: sentence case ("Sign in", "Remember me"), not allauth's Title Case.

The words come from the portal's English catalogue (locale/en/LC_MESSAGES), which takes precedence over allauth's.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _catalogue() -> dict[str, str]:
    """msgid -> msgstr of the portal's catalogue (single-line entries, as it holds)."""
    text = CATALOGUE.read_text()
    return {msgid: msgstr for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, re.M)}


class _VisibleText(HTMLParser):
    """The text a person reads in <main>, and the labels and values of its controls."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._in_main = 0
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self._in_main += 1
        if tag in ("script", "style"):
            self._hidden += 1
        values = dict(attrs)
        if self._in_main and values.get("placeholder"):
            self.parts.append(values["placeholder"])

    def handle_endtag(self, tag):
        if tag == "main":
            self._in_main -= 1
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if self._in_main and not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def _visible(response) -> list[str]:
    parser = _VisibleText()
    parser.feed(response.content.decode())
    return parser.parts


def test_the_compiled_catalogue_holds_every_entry_of_the_source():
    entries = _catalogue()

    assert len(entries) > 20
    stale = {msgid: gettext(msgid) for msgid, msgstr in entries.items() if gettext(msgid) != msgstr}
    assert not stale, "run msgfmt -o django.mo django.po in locale/en/LC_MESSAGES"


def test_the_sign_in_page_uses_sentence_case_labels(client):
    text = _visible(client.get(reverse("account_login")))

    assert text.count("Sign in") == 2  # the heading and the button
    assert "Remember me" in text
    assert "Forgot your password?" in text
    assert not {"Sign In", "Remember Me"} & set(text)


@pytest.mark.parametrize(
    "url_name",
    ["account_login", "account_signup", "account_reset_password", "account_reset_password_done", "account_inactive"],
)
def test_signed_out_account_pages_show_no_title_case(client, url_name):
    shown = " | ".join(_visible(client.get(reverse(url_name))))

    assert not [msgid for msgid in _catalogue() if msgid in shown]


@pytest.mark.parametrize(
    "url_name",
    [
        "account_email",
        "account_change_password",
        "account_reauthenticate",
        "account_logout",
        "mfa_index",
        "mfa_activate_totp",
        "usersessions_list",
    ],
)
def test_signed_in_account_pages_show_no_title_case(client, subject, password, url_name):
    client.force_login(subject)
    client.post(reverse("account_reauthenticate"), {"password": password})

    shown = " | ".join(_visible(client.get(reverse(url_name))))

    assert not [msgid for msgid in _catalogue() if msgid in shown]


def test_two_factor_pages_show_no_title_case(client, subject, password):
    TOTP.activate(subject, generate_totp_secret())
    client.force_login(subject)
    client.post(reverse("account_reauthenticate"), {"password": password})

    for url_name in ("mfa_index", "mfa_deactivate_totp", "mfa_generate_recovery_codes"):
        shown = " | ".join(_visible(client.get(reverse(url_name))))
        assert not [msgid for msgid in _catalogue() if msgid in shown], url_name
