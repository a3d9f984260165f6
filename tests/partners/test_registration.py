"""Partner registration: OAuth2 client-credentials apps, the create_partner command, scopes, disabling, secrets."""

import io
import json
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command
from oauth2_provider.models import AccessToken, Application
from rest_framework.test import APIClient
from standardwebhooks import Webhook, WebhookVerificationError

from partners.delivery import webhook_deliver
from partners.models import Partner
from partners.services import partner_set_active, partner_webhook_secret_rotate
from tests.accounts.factories import UserFactory
from tests.partners.conftest import partner_api_client, token_request
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(staff=True)


def _create_partner(*args: str) -> dict:
    out = io.StringIO()
    call_command("create_partner", *args, stdout=out)
    return json.loads(out.getvalue())


def test_create_partner_prints_json_with_the_three_credentials():
    printed = _create_partner("Acme cameos")

    assert set(printed) == {"client_id", "client_secret", "webhook_secret"}
    assert printed["webhook_secret"].startswith("whsec_")


def test_create_partner_registers_a_confidential_client_credentials_application():
    printed = _create_partner("Acme cameos")

    application = Application.objects.get(client_id=printed["client_id"])
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert application.partner.name == "Acme cameos"


def test_create_partner_stores_only_a_hash_of_the_client_secret():
    printed = _create_partner("Acme cameos")

    application = Application.objects.get(client_id=printed["client_id"])
    assert application.client_secret != printed["client_secret"]


def test_credentials_printed_by_create_partner_obtain_a_token(client):
    printed = _create_partner("Acme cameos")

    response = token_request(client, client_id=printed["client_id"], client_secret=printed["client_secret"])

    assert response.status_code == HTTPStatus.OK
    assert response.json()["token_type"] == "Bearer"
    assert set(response.json()["scope"].split()) == {
        "consents:read",
        "uploads:write",
        "uploads:read",
        "links:write",
        "events:read",
        "appearances:write",
        "appearances:read",
    }


def test_a_wrong_client_secret_obtains_no_token(client):
    printed = _create_partner("Acme cameos")

    response = token_request(client, client_id=printed["client_id"], client_secret="not-the-secret")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not AccessToken.objects.exists()


def test_create_partner_saves_the_webhook_url(webhook_receiver):
    printed = _create_partner("Acme cameos", "--webhook-url", webhook_receiver.url)

    assert Partner.objects.get(application__client_id=printed["client_id"]).webhook_url == webhook_receiver.url


def test_create_partner_refuses_an_http_webhook_url_when_private_urls_are_off(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    with pytest.raises(CommandError):
        _create_partner("Acme cameos", "--webhook-url", "http://93.184.215.14/hook")
    assert not Partner.objects.exists()


def test_a_token_carries_only_the_scopes_staff_allowed(client):
    partner = PartnerFactory(scopes=["consents:read", "links:write"])

    response = token_request(client, client_id=partner.client_id, client_secret=partner.client_secret)

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()["scope"].split()) == {"consents:read", "links:write"}


def test_a_partner_cannot_obtain_a_scope_staff_did_not_allow(client):
    partner = PartnerFactory(scopes=["consents:read"])

    response = token_request(
        client, client_id=partner.client_id, client_secret=partner.client_secret, scope="consents:read events:read"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_scope"
    assert not AccessToken.objects.exists()


def test_a_partner_may_ask_for_fewer_scopes_than_allowed(client):
    partner = PartnerFactory()

    response = token_request(
        client, client_id=partner.client_id, client_secret=partner.client_secret, scope="consents:read"
    )

    assert response.json()["scope"] == "consents:read"


def test_disabling_a_partner_stops_its_existing_token_at_once(staff):
    api = partner_api_client(PartnerFactory())
    assert api.get("/api/v1/purposes/").status_code == HTTPStatus.OK

    partner_set_active(partner=api.partner, active=False, actor=staff)

    response = api.get("/api/v1/purposes/")
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == "application/problem+json"


def test_disabling_a_partner_revokes_its_tokens(staff):
    api = partner_api_client(PartnerFactory())

    partner_set_active(partner=api.partner, active=False, actor=staff)

    assert not AccessToken.objects.filter(application=api.partner.application).exists()


def test_a_disabled_partner_cannot_obtain_a_new_token(client, staff):
    partner = PartnerFactory()
    partner_set_active(partner=partner, active=False, actor=staff)

    response = token_request(client, client_id=partner.client_id, client_secret=partner.client_secret)

    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNAUTHORIZED)
    assert "access_token" not in response.json()
    assert not AccessToken.objects.filter(application=partner.application).exists()


def test_a_disabled_partner_cannot_obtain_a_token_by_naming_scopes(client, staff):
    partner = PartnerFactory()
    partner_set_active(partner=partner, active=False, actor=staff)

    response = token_request(
        client, client_id=partner.client_id, client_secret=partner.client_secret, scope="consents:read"
    )

    assert "access_token" not in response.json()


def test_a_token_still_valid_in_the_database_is_refused_while_its_partner_is_disabled():
    api = partner_api_client(PartnerFactory())
    Partner.objects.filter(pk=api.partner.pk).update(active=False)  # the token row itself is untouched

    assert api.get("/api/v1/purposes/").status_code == HTTPStatus.UNAUTHORIZED


def test_a_re_enabled_partner_can_obtain_a_token_again(client, staff):
    partner = PartnerFactory()
    partner_set_active(partner=partner, active=False, actor=staff)

    partner_set_active(partner=partner, active=True, actor=staff)

    response = token_request(client, client_id=partner.client_id, client_secret=partner.client_secret)
    assert response.status_code == HTTPStatus.OK


def test_the_admin_disable_action_stops_existing_tokens(admin_client):
    api = partner_api_client(PartnerFactory())

    response = admin_client.post(
        "/admin/partners/partner/", {"action": "disable_partners", "_selected_action": [api.partner.pk]}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert api.get("/api/v1/purposes/").status_code == HTTPStatus.UNAUTHORIZED
    assert Partner.objects.get(pk=api.partner.pk).active is False


def test_unticking_active_in_the_admin_stops_existing_tokens(admin_client):
    api = partner_api_client(PartnerFactory(scopes=["consents:read"]))
    partner = api.partner

    response = admin_client.post(
        f"/admin/partners/partner/{partner.pk}/change/",
        {"name": partner.name, "contact_email": partner.contact_email, "webhook_url": "", "scopes": ["consents:read"]},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert api.get("/api/v1/purposes/").status_code == HTTPStatus.UNAUTHORIZED


def test_rotating_the_webhook_secret_returns_a_new_whsec_secret(staff):
    partner = PartnerFactory()
    old = partner.webhook_secret

    new = partner_webhook_secret_rotate(partner=partner, actor=staff)

    assert new.startswith("whsec_")
    assert new != old
    assert Partner.objects.get(pk=partner.pk).webhook_secret == new


def test_webhooks_after_rotation_verify_with_the_new_secret_only(hooked_partner, webhook_receiver, staff):
    old = hooked_partner.webhook_secret
    new = partner_webhook_secret_rotate(partner=hooked_partner, actor=staff)
    event = WebhookEventFactory(link=LinkFactory(partner=hooked_partner))

    webhook_deliver(event_id=event.pk)

    request = webhook_receiver.requests[0]
    Webhook(new).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(request.body, request.headers)


def test_the_admin_rotate_action_changes_the_secret(admin_client):
    partner = PartnerFactory()
    old = partner.webhook_secret

    admin_client.post("/admin/partners/partner/", {"action": "rotate_webhook_secret", "_selected_action": [partner.pk]})

    assert Partner.objects.get(pk=partner.pk).webhook_secret not in ("", old)


def test_ping_answers_any_valid_partner_token_whatever_its_scopes():
    partner = PartnerFactory(scopes=["links:write"])
    api = partner_api_client(partner)

    response = api.get("/api/v1/ping/")

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"ok": True}


def test_ping_without_a_token_is_401():
    assert APIClient().get("/api/v1/ping/").status_code == HTTPStatus.UNAUTHORIZED
