"""The Connected apps page: the live link code stays the same until it is used or expires, and each app is
described in plain words."""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from partners.models import LinkCode, PartnerScope, WebhookEvent
from partners.selectors import link_code_live_for_subject
from partners.services import link_code_create
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

PAGE = "/connected-apps/"
CODE = re.compile(r'data-testid="link-code"[^>]*>([A-Z2-9]{4}-[A-Z2-9]{4})<')


@pytest.fixture
def page_client(subject):
    """The subject signed in, with CSRF checks on as in a browser."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(subject)
    return client


def shown_code(response) -> str | None:
    found = CODE.search(response.content.decode())
    return found.group(1) if found else None


def ask_for_code(client: Client):
    """Press the page's button: POST with the form's CSRF token, then follow to the page."""
    client.get(PAGE)
    return client.post(
        "/connected-apps/link-code/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}, follow=True
    )


# --- The live code ------------------------------------------------------------------------------
def test_visiting_the_page_makes_no_code(page_client, subject):
    response = page_client.get(PAGE)

    assert shown_code(response) is None
    assertContains(response, "Make a link code")
    assert not LinkCode.objects.filter(subject=subject).exists()


def test_the_code_made_on_the_page_is_shown_again_on_every_reload(page_client, subject):
    made = shown_code(ask_for_code(page_client))

    reloads = [shown_code(page_client.get(PAGE)) for _ in range(3)]

    assert made is not None
    assert reloads == [made, made, made]
    assert LinkCode.objects.filter(subject=subject).count() == 1


def test_a_code_made_through_the_me_api_is_the_one_the_page_shows(me_api):
    code = me_api.post("/api/v1/me/link-codes/").json()["code"]

    assert shown_code(me_api.get(PAGE)) == code


def test_the_code_is_shown_until_an_app_uses_it(page_client, partner_client):
    code = shown_code(ask_for_code(page_client))

    redeemed = partner_client.post("/api/v1/links/", {"code": code}, format="json")

    assert redeemed.status_code == HTTPStatus.CREATED
    after = page_client.get(PAGE)
    assert shown_code(after) is None
    assertContains(after, "Make a link code")


def test_an_expired_code_is_no_longer_shown(page_client, subject):
    link_code_create(subject=subject, now=timezone.now() - timedelta(minutes=10, seconds=1))

    assert shown_code(page_client.get(PAGE)) is None


def test_asking_for_a_new_code_shows_a_new_one_and_the_old_one_stops_working(page_client, partner_client):
    # given a live code on the page
    old = shown_code(ask_for_code(page_client))

    # when the person asks for a new one
    response = ask_for_code(page_client)

    # then another code is shown, they are told the old one ended, and an app can no longer use the old one
    new = shown_code(response)
    assert new not in (None, old)
    assertContains(response, "The code before it no longer works.")
    assert shown_code(page_client.get(PAGE)) == new
    refused = partner_client.post("/api/v1/links/", {"code": old}, format="json")
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert partner_client.post("/api/v1/links/", {"code": new}, format="json").status_code == HTTPStatus.CREATED


def test_the_page_says_until_when_the_code_works_and_how_long_that_is(page_client, subject):
    made_at = timezone.now() - timedelta(minutes=3, seconds=30)
    link_code, _ = link_code_create(subject=subject, now=made_at)

    response = page_client.get(PAGE)

    until = link_code.expires_at.strftime("%H:%M")
    html = " ".join(response.content.decode().split())
    assert (
        f'Valid until <time datetime="{link_code.expires_at.isoformat()}">{until}</time>, 7 minutes from now.' in html
    )


def test_the_code_is_stored_encrypted_never_in_the_clear(subject, settings):
    # given a code made for the subject
    link_code, code = link_code_create(subject=subject)

    # then no column of its row holds it, in any spelling
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM partners_linkcode WHERE id = %s", [link_code.pk])
        row = cursor.fetchone()
    stored = b" ".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
    for spelling in (code, code.replace("-", ""), code.lower()):
        assert spelling.encode() not in stored
    assert link_code_live_for_subject(subject=subject).code == code

    # and with another SECRET_KEY it cannot be read back (the page then offers a new code)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert link_code_live_for_subject(subject=subject) is None


def test_the_copy_button_needs_javascript_and_the_script_comes_from_this_site(page_client):
    response = ask_for_code(page_client)

    html = response.content.decode()
    button = re.search(r"<button[^>]*data-copy=\"link-code\"[^>]*>", html, re.S).group(0)
    assert " hidden" in button  # shown by the script; without JavaScript the code is selectable text
    assertContains(response, '<script src="/static/js/link-code.js" defer></script>')
    assertContains(response, 'role="status"')


# --- What each app may do, in plain words -------------------------------------------------------
def test_a_connected_app_is_not_said_to_connect_with_a_code(page_client, subject):
    link = LinkFactory(subject=subject, partner=PartnerFactory(name="Cameo Studio"))
    assert PartnerScope.LINKS_WRITE in link.partner.scopes  # every scope, links:write too

    response = page_client.get(PAGE)

    assertContains(response, "See your consent decisions")
    assertContains(response, "Be told when you change a decision")
    assertNotContains(response, "Connect to your account with a code")


def test_an_app_that_checks_for_changes_itself_is_described_plainly(page_client, subject):
    link = LinkFactory(subject=subject, partner=PartnerFactory(name="Feed Reader", webhook_url=""))
    event = WebhookEventFactory(link=link)
    assert event.status == WebhookEvent.Status.FEED_ONLY

    response = page_client.get(PAGE)

    assertContains(response, "This app checks for your changes itself, so we can't tell when it last did.")
    assertNotContains(response, "event feed")
