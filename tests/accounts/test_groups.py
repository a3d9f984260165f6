"""The staff groups made by accounts/migrations/0002_staff_groups.py and what each may see in admin."""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import StaffAction
from consents.models import ConsentEvent, ConsentState
from tests.accounts.factories import StaffActionFactory, UserFactory
from tests.consents.factories import ConsentEventFactory, ConsentStateFactory

pytestmark = pytest.mark.django_db

PRIVACY_OFFICER = {
    "accounts.view_user",
    "accounts.view_staffaction",
    "consents.view_purpose",
    "consents.add_purpose",
    "consents.change_purpose",
    "consents.view_purposeversion",
    "consents.view_consentevent",
    "consents.view_consentstate",
    "consents.view_consentexception",  # consents 0007: per-app exceptions, read only
}
SUPPORT = {
    "accounts.view_user",
    "consents.view_purpose",
    "consents.view_purposeversion",
}
# Later apps' migrations may extend the groups with their own models; these two apps are fixed here.
APPS_FIXED_BY_0002 = ("accounts", "consents")


def _permissions(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
        if p.content_type.app_label in APPS_FIXED_BY_0002
    }


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def support_client(client):
    client.force_login(UserFactory(staff=True, groups=["Support"]))
    return client


@pytest.fixture
def officer_client(client):
    client.force_login(UserFactory(staff=True, groups=["Privacy officer"]))
    return client


def test_privacy_officer_group_has_exactly_its_permissions():
    assert _permissions("Privacy officer") == PRIVACY_OFFICER


def test_support_group_has_exactly_its_permissions():
    assert _permissions("Support") == SUPPORT


def test_no_staff_group_may_write_the_ledger_or_the_audit_log():
    written = {
        f"{p.content_type.app_label}.{p.codename}"
        for group in Group.objects.filter(name__in=["Privacy officer", "Support"])
        for p in group.permissions.select_related("content_type")
    }

    for model in ("consentevent", "consentstate", "purposeversion", "staffaction"):
        for action in ("add", "change", "delete"):
            assert not any(code.endswith(f".{action}_{model}") for code in written)


# --- Support ----------------------------------------------------------------------------------
@pytest.mark.parametrize("model", [ConsentEvent, ConsentState, StaffAction])
def test_support_cannot_list_consents_or_the_audit_log(support_client, model):
    assert support_client.get(_admin_url(model, "changelist")).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(("model", "make"), [(ConsentEvent, ConsentEventFactory), (ConsentState, ConsentStateFactory)])
def test_support_cannot_open_a_consent_record(support_client, model, make):
    record = make()

    assert support_client.get(_admin_url(model, "change", record.pk)).status_code == HTTPStatus.FORBIDDEN


def test_support_cannot_open_an_audit_row(support_client):
    action = StaffActionFactory()

    assert support_client.get(_admin_url(StaffAction, "change", action.pk)).status_code == HTTPStatus.FORBIDDEN


def test_support_can_look_up_a_user(support_client, subject):
    assert support_client.get(reverse("admin:accounts_user_change", args=[subject.pk])).status_code == HTTPStatus.OK


# --- Privacy officer --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("model", "make"),
    [(ConsentEvent, ConsentEventFactory), (ConsentState, ConsentStateFactory), (StaffAction, StaffActionFactory)],
)
def test_privacy_officer_can_view_consents_and_the_audit_log(officer_client, model, make):
    record = make()

    changelist = officer_client.get(_admin_url(model, "changelist"))
    change_page = officer_client.get(_admin_url(model, "change", record.pk))

    assert changelist.status_code == HTTPStatus.OK
    assert change_page.status_code == HTTPStatus.OK
    assert change_page.context["has_change_permission"] is False


@pytest.mark.parametrize(
    ("model", "make"),
    [(ConsentEvent, ConsentEventFactory), (ConsentState, ConsentStateFactory), (StaffAction, StaffActionFactory)],
)
def test_privacy_officer_cannot_change_consents_or_the_audit_log(officer_client, model, make):
    record = make()

    assert officer_client.post(_admin_url(model, "change", record.pk), {}).status_code == HTTPStatus.FORBIDDEN
    assert officer_client.get(_admin_url(model, "add")).status_code == HTTPStatus.FORBIDDEN
    assert officer_client.post(_admin_url(model, "delete", record.pk), {"post": "yes"}).status_code == (
        HTTPStatus.FORBIDDEN
    )
    assert model.objects.filter(pk=record.pk).exists()


def test_privacy_officer_cannot_change_a_user(officer_client, subject):
    url = reverse("admin:accounts_user_change", args=[subject.pk])

    response = officer_client.post(url, {"email": "changed@example.org"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    subject.refresh_from_db()
    assert subject.email != "changed@example.org"
