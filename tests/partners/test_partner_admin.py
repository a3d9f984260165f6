"""partners.admin and the services it calls: every staff write to a partner is audited in the same transaction."""

from http import HTTPStatus

import pytest
from oauth2_provider.models import AccessToken

from accounts.models import StaffAction
from partners.exceptions import WebhookUrlRejected
from partners.models import Partner
from partners.services import partner_create, partner_set_active, partner_update, partner_webhook_secret_rotate
from tests.accounts.audit import AuditRefused, staff_audit_refused
from tests.accounts.factories import UserFactory
from tests.partners.conftest import partner_api_client
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(staff=True)


def _target(partner: Partner) -> str:
    return f"partners.Partner:{partner.pk}"


def _edit(partner: Partner, actor, **changes) -> Partner:
    fields = {
        "name": partner.name,
        "contact_email": partner.contact_email,
        "webhook_url": partner.webhook_url,
        "scopes": partner.scopes,
        "active": partner.active,
    }
    return partner_update(partner=partner, actor=actor, **{**fields, **changes})


def _tokens(partner: Partner) -> int:
    return AccessToken.objects.filter(application=partner.application).count()


# --- Through the admin ------------------------------------------------------------------------
def test_unticking_active_in_the_admin_revokes_tokens_and_writes_one_staff_action(admin_client, admin_user):
    partner = partner_api_client(PartnerFactory(scopes=["consents:read"])).partner

    response = admin_client.post(
        f"/admin/partners/partner/{partner.pk}/change/",
        {"name": partner.name, "contact_email": partner.contact_email, "webhook_url": "", "scopes": ["consents:read"]},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert Partner.objects.get(pk=partner.pk).active is False
    assert _tokens(partner) == 0
    action = StaffAction.objects.get()
    assert (action.actor, action.kind, action.target, action.reason) == (
        admin_user,
        StaffAction.Kind.CHANGE,
        _target(partner),
        "disabled",
    )


def test_adding_a_partner_in_the_admin_writes_a_staff_action(admin_client, admin_user):
    response = admin_client.post(
        "/admin/partners/partner/add/",
        {"name": "Acme cameos", "contact_email": "", "webhook_url": "", "active": "on", "scopes": ["consents:read"]},
    )

    assert response.status_code == HTTPStatus.FOUND
    partner = Partner.objects.get(name="Acme cameos")
    assert partner.scopes == ["consents:read"]
    action = StaffAction.objects.get()
    assert (action.actor, action.target, action.reason) == (admin_user, _target(partner), "created")


def test_the_admin_disable_action_writes_a_staff_action_per_partner(admin_client, admin_user):
    partners = [PartnerFactory(), PartnerFactory()]

    admin_client.post(
        "/admin/partners/partner/", {"action": "disable_partners", "_selected_action": [p.pk for p in partners]}
    )

    actions = StaffAction.objects.filter(actor=admin_user, reason="disabled")
    assert sorted(actions.values_list("target", flat=True)) == sorted(_target(p) for p in partners)


def test_the_admin_rotate_action_writes_a_staff_action_without_the_secret(admin_client, admin_user):
    partner = PartnerFactory()

    admin_client.post("/admin/partners/partner/", {"action": "rotate_webhook_secret", "_selected_action": [partner.pk]})

    action = StaffAction.objects.get()
    assert (action.actor, action.target) == (admin_user, _target(partner))
    assert Partner.objects.get(pk=partner.pk).webhook_secret not in action.reason


# --- partner_update ---------------------------------------------------------------------------
def test_partner_update_saves_the_fields_and_names_them_in_one_staff_action(staff):
    partner = PartnerFactory(scopes=["consents:read"])

    _edit(partner, staff, name="Renamed app", scopes=["consents:read", "links:write"])

    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.name, stored.scopes, stored.active) == ("Renamed app", ["consents:read", "links:write"], True)
    action = StaffAction.objects.get()
    assert (action.actor, action.target, action.reason) == (staff, _target(partner), "changed name, allowed_scopes")


def test_partner_update_with_no_change_writes_no_staff_action(staff):
    partner = PartnerFactory()

    _edit(partner, staff)

    assert not StaffAction.objects.exists()


def test_partner_update_re_enabling_goes_through_partner_set_active(staff):
    partner = PartnerFactory()
    partner_set_active(partner=partner, active=False, actor=staff)

    _edit(Partner.objects.get(pk=partner.pk), staff, active=True)

    assert Partner.objects.get(pk=partner.pk).active is True
    assert list(StaffAction.objects.order_by("id").values_list("reason", flat=True)) == ["disabled", "enabled"]


def test_partner_update_refuses_a_new_private_webhook_url(staff, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    partner = PartnerFactory()

    with pytest.raises(WebhookUrlRejected):
        _edit(partner, staff, webhook_url="https://10.0.0.7/hook")

    assert Partner.objects.get(pk=partner.pk).webhook_url == ""
    assert not StaffAction.objects.exists()


def test_partner_update_is_undone_when_its_staff_action_cannot_be_written(staff):
    partner = partner_api_client(PartnerFactory()).partner

    with staff_audit_refused(), pytest.raises(AuditRefused):
        _edit(partner, staff, name="Renamed app", active=False)

    stored = Partner.objects.get(pk=partner.pk)
    assert (stored.name, stored.active) == (partner.name, True)
    assert _tokens(partner) == 1


# --- partner_set_active, partner_webhook_secret_rotate, partner_create ------------------------
def test_disabling_is_undone_when_its_staff_action_cannot_be_written(staff):
    partner = partner_api_client(PartnerFactory()).partner

    with staff_audit_refused(), pytest.raises(AuditRefused):
        partner_set_active(partner=partner, active=False, actor=staff)

    assert Partner.objects.get(pk=partner.pk).active is True
    assert _tokens(partner) == 1


def test_rotating_is_undone_when_its_staff_action_cannot_be_written(staff):
    partner = PartnerFactory()
    old = partner.webhook_secret

    with staff_audit_refused(), pytest.raises(AuditRefused):
        partner_webhook_secret_rotate(partner=partner, actor=staff)

    assert Partner.objects.get(pk=partner.pk).webhook_secret == old


def test_a_partner_registered_by_staff_is_not_kept_when_its_staff_action_cannot_be_written(staff):
    with staff_audit_refused(), pytest.raises(AuditRefused):
        partner_create(name="Acme cameos", actor=staff)

    assert not Partner.objects.exists()


def test_a_partner_registered_without_staff_writes_no_staff_action():
    partner_create(name="Acme cameos")

    assert not StaffAction.objects.exists()
