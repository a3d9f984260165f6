"""The account pages the portal adds to allauth's: where you are signed in (allauth's usersessions, with "sign out
everywhere else"), your name, and the email page without choices that mean nothing for a single address."""

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import SignIn
from accounts.services import account_display_name_set, account_records_erase, sessions_end_for_subject
from tests.accounts.factories import FIREFOX_ON_LINUX, SAFARI_ON_IPHONE

pytestmark = pytest.mark.django_db

SESSIONS = "/accounts/sessions/"
NAME = "/accounts/name/"
EMAIL = "/accounts/email/"


def _sign_in(subject, password, user_agent: str) -> Client:
    """Sign in through the real form, as a browser would."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post(reverse("account_login"), {"login": subject.email, "password": password})
    assert response.status_code == HTTPStatus.FOUND
    return client


def _signed_in_users() -> list[str]:
    return [str(session.get_decoded().get("_auth_user_id")) for session in Session.objects.all()]


# --- Where you are signed in ---------------------------------------------------------------------
def test_the_sessions_page_lists_every_browser_signed_in_and_marks_this_one(subject, password):
    _sign_in(subject, password, SAFARI_ON_IPHONE)
    laptop = _sign_in(subject, password, FIREFOX_ON_LINUX)

    response = laptop.get(SESSIONS)

    assert response.status_code == HTTPStatus.OK
    rows = re.findall(r"<tr>(.*?)</tr>", response.content.decode(), re.S)[1:]
    assert len(rows) == 2
    assert "Safari on iPhone" in rows[0] and "This browser" not in rows[0]
    assert "Firefox on Linux" in rows[1] and "This browser" in rows[1]
    assertContains(response, "Sign out everywhere else")


def test_sign_out_everywhere_else_ends_the_other_session_and_keeps_this_one(subject, password):
    phone = _sign_in(subject, password, SAFARI_ON_IPHONE)
    laptop = _sign_in(subject, password, FIREFOX_ON_LINUX)

    response = laptop.post(SESSIONS, follow=True)

    assertContains(response, "You are signed out everywhere else.")
    assert laptop.get(reverse("consents:consent_list")).status_code == HTTPStatus.OK
    assert phone.get(reverse("consents:consent_list")).url.startswith(reverse("account_login"))
    assert _signed_in_users() == [str(subject.pk)]
    assert list(UserSession.objects.filter(user=subject).values_list("session_key", flat=True)) == [
        laptop.session.session_key
    ]


def test_with_one_session_there_is_nothing_else_to_sign_out_of(subject, password):
    laptop = _sign_in(subject, password, FIREFOX_ON_LINUX)

    response = laptop.get(SESSIONS)

    assertNotContains(response, "Sign out everywhere else")
    assertContains(response, "You are signed in only here.")


def test_another_persons_sessions_are_not_listed(subject, other_subject, password):
    _sign_in(other_subject, password, SAFARI_ON_IPHONE)
    laptop = _sign_in(subject, password, FIREFOX_ON_LINUX)

    response = laptop.get(SESSIONS)

    assertNotContains(response, "Safari on iPhone")


def test_the_account_pages_link_to_the_sessions_and_name_pages(subject, password):
    laptop = _sign_in(subject, password, FIREFOX_ON_LINUX)

    response = laptop.get(EMAIL)

    nav = re.search(r'<nav class="subnav".*?</nav>', response.content.decode(), re.S).group(0)
    assert f'href="{SESSIONS}"' in nav
    assert f'href="{NAME}"' in nav


# --- Erasure takes the session records too -------------------------------------------------------
def test_erasing_account_records_deletes_every_session_record_and_sign_in_and_counts_them(subject, password):
    _sign_in(subject, password, SAFARI_ON_IPHONE)
    _sign_in(subject, password, FIREFOX_ON_LINUX)
    assert UserSession.objects.filter(user=subject).count() == 2
    assert SignIn.objects.filter(subject=subject).count() == 2

    counts = account_records_erase(subject=subject)

    assert not UserSession.objects.filter(user=subject).exists()
    assert not SignIn.objects.filter(subject=subject).exists()
    assert counts["account_records"] == 1 + 2 + 2  # the address, two session records, two sign-ins
    assert counts["sessions"] == 2
    assert str(subject.pk) not in _signed_in_users()


def test_ending_every_session_of_a_person_also_drops_their_session_records(subject, other_subject, password):
    _sign_in(subject, password, FIREFOX_ON_LINUX)
    _sign_in(other_subject, password, FIREFOX_ON_LINUX)

    assert sessions_end_for_subject(subject=subject) == 1

    assert not UserSession.objects.filter(user=subject).exists()
    assert UserSession.objects.filter(user=other_subject).count() == 1


# --- Your name -----------------------------------------------------------------------------------
@pytest.fixture
def signed_in(subject) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(subject)
    return client


def _csrf(client: Client) -> str:
    client.get(NAME)
    return client.cookies["csrftoken"].value


def test_the_name_page_shows_the_current_name(signed_in, subject):
    response = signed_in.get(NAME)

    assertContains(response, f'value="{subject.display_name}"')
    assertContains(response, '<label for="id_display_name">Your name</label>', html=True)


def test_editing_the_name_saves_it_and_says_so(signed_in, subject):
    response = signed_in.post(
        NAME, {"display_name": "  Ada   Lovelace ", "csrfmiddlewaretoken": _csrf(signed_in)}, follow=True
    )

    subject.refresh_from_db()
    assert subject.display_name == "Ada Lovelace"
    assert response.redirect_chain[-1][0] == NAME
    assertContains(response, "Your name is saved.")


def test_the_name_can_be_cleared(signed_in, subject):
    signed_in.post(NAME, {"display_name": "", "csrfmiddlewaretoken": _csrf(signed_in)})

    subject.refresh_from_db()
    assert subject.display_name == ""


def test_a_name_too_long_is_refused_and_nothing_changes(signed_in, subject):
    before = subject.display_name

    response = signed_in.post(NAME, {"display_name": "x" * 151, "csrfmiddlewaretoken": _csrf(signed_in)})

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "Ensure this value has at most 150 characters")
    subject.refresh_from_db()
    assert subject.display_name == before


def test_the_name_page_needs_sign_in_and_the_csrf_token(client, signed_in, subject):
    assert client.get(NAME).url.startswith(reverse("account_login"))
    assert signed_in.post(NAME, {"display_name": "Someone else"}).status_code == HTTPStatus.FORBIDDEN


def test_account_display_name_set_collapses_spaces(subject):
    account_display_name_set(subject=subject, display_name="\tGrace  Hopper\n")

    subject.refresh_from_db()
    assert subject.display_name == "Grace Hopper"


# --- The email page ------------------------------------------------------------------------------
def test_a_single_verified_address_offers_no_make_primary_and_no_resend(signed_in, subject):
    response = signed_in.get(EMAIL)

    assertContains(response, subject.email)
    assertContains(response, "Verified")
    assertNotContains(response, 'name="action_primary"')
    assertNotContains(response, 'name="action_send"')
    assertNotContains(response, "Make primary")


def test_a_single_unverified_address_offers_only_to_resend_the_verification(signed_in, subject):
    EmailAddress.objects.filter(user=subject).update(verified=False)

    response = signed_in.get(EMAIL)

    assertContains(response, 'name="action_send"')
    assertContains(response, "Send the verification email again")
    assertNotContains(response, 'name="action_primary"')


def test_resending_the_verification_of_a_single_address_still_works(signed_in, subject, mailoutbox):
    EmailAddress.objects.filter(user=subject).update(verified=False)

    signed_in.post(EMAIL, {"action_send": "", "email": subject.email, "csrfmiddlewaretoken": _csrf(signed_in)})

    assert [message.to for message in mailoutbox] == [[subject.email]]


def test_with_two_addresses_each_choice_is_offered(signed_in, subject):
    EmailAddress.objects.create(user=subject, email="second@example.org", verified=True, primary=False)

    response = signed_in.get(EMAIL)

    for action in ("action_primary", "action_send", "action_remove"):
        assertContains(response, f'name="{action}"')
    assertContains(response, "Make primary")
