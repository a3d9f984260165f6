"""The staff admin as a whole: section names, read-only records without Save buttons, dates as the portal writes
them, the favicon on every page and at /favicon.ico."""

import urllib.request
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import dateformat
from django.utils.formats import date_format

from data_rights.services import export_request
from tests.accounts.factories import StaffActionFactory, UserFactory
from tests.consents.factories import ConsentEventFactory, ConsentStateFactory, PurposeFactory
from tests.media_vault.factories import AccessEventFactory, FaceUploadFactory
from tests.partners.factories import LinkFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

SAVE_BUTTONS = ('name="_save"', 'name="_continue"', 'name="_addanother"', 'name="_saveasnew"')


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer_client() -> Client:
    return _client_for(UserFactory(staff=True, groups=["Privacy officer"]))


# --- Section names ------------------------------------------------------------------------------------------------
def test_no_two_admin_sections_share_a_name(admin_client):
    response = admin_client.get(reverse("admin:index"))

    names = [app["name"] for app in response.context["app_list"]]
    assert len(names) == len(set(names)), names


def test_our_accounts_app_is_people_and_staff_next_to_allauths_accounts(admin_client):
    response = admin_client.get(reverse("admin:index"))

    names = {app["app_label"]: str(app["name"]) for app in response.context["app_list"]}
    assert names["accounts"] == "People and staff"
    assert names["account"] == "Accounts"  # allauth's: the email addresses people sign in with


# --- Read-only records show no Save buttons ---------------------------------------------------------------------------
def _ledger_event():
    return ConsentEventFactory()


def _consent_state():
    return ConsentStateFactory()


def _purpose_version():
    return PurposeFactory().versions.get()


READ_ONLY_RECORDS = {
    "consents_consentevent": _ledger_event,
    "consents_consentstate": _consent_state,
    "consents_purposeversion": _purpose_version,
    "accounts_staffaction": lambda: StaffActionFactory(kind="view", target="x"),
    "media_vault_faceupload": lambda: FaceUploadFactory(),
    "media_vault_accessevent": lambda: AccessEventFactory(),
    "partners_link": lambda: LinkFactory(),
    "partners_webhookevent": lambda: WebhookEventFactory(),
    "data_rights_datarequest": lambda: export_request(subject=UserFactory()),
}


@pytest.mark.parametrize("who", ["superuser", "privacy officer"])
@pytest.mark.parametrize("model", READ_ONLY_RECORDS)
def test_a_read_only_record_shows_no_save_button(model, who, admin_client, officer_client):
    record = READ_ONLY_RECORDS[model]()
    client = admin_client if who == "superuser" else officer_client

    response = client.get(reverse(f"admin:{model}_change", args=[record.pk]))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert [button for button in SAVE_BUTTONS if button in html] == []
    assert "closelink" in html  # Django's "Close" takes the place of the Save buttons


# --- Dates read as the portal writes them ----------------------------------------------------------------------------
def test_admin_formats_are_the_portals_day_month_year_and_24_hour_clock():
    moment = datetime(2026, 3, 4, 17, 5, tzinfo=UTC)

    assert date_format(moment, "DATETIME_FORMAT") == dateformat.format(moment, "j M Y, H:i") == "4 Mar 2026, 17:05"
    assert date_format(moment, "DATE_FORMAT") == dateformat.format(moment, "j M Y") == "4 Mar 2026"


def test_admin_and_the_portal_show_an_upload_date_the_same_way(admin_client, subject_client, subject):
    upload = FaceUploadFactory(subject=subject, now=datetime(2026, 3, 4, 17, 5, tzinfo=UTC))

    admin_list = admin_client.get(reverse("admin:media_vault_faceupload_changelist")).content.decode()
    admin_detail = admin_client.get(reverse("admin:media_vault_faceupload_change", args=[upload.pk])).content.decode()
    portal = subject_client.get(reverse("media_vault:upload_detail", args=[upload.pk])).content.decode()

    for html in (admin_list, admin_detail, portal):
        assert "4 Mar 2026, 17:05" in html
    for html in (admin_list, admin_detail):
        assert "March 4" not in html
        assert "p.m." not in html


# --- Favicon ---------------------------------------------------------------------------------------------------------
def test_favicon_ico_redirects_to_the_portal_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"] == static("favicon.svg")
    assert finders.find("favicon.svg")


@pytest.mark.django_db(transaction=True)
def test_favicon_ico_ends_in_an_svg_on_a_running_server(live_server):
    with urllib.request.urlopen(f"{live_server.url}/favicon.ico", timeout=5) as response:  # follows the 301
        assert response.status == HTTPStatus.OK
        assert response.headers["Content-Type"] == "image/svg+xml"
        assert response.read().startswith(b"<svg")


def test_portal_and_admin_pages_link_the_favicon(client, admin_client):
    link = f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">'

    assert link in client.get(reverse("account_login")).content.decode()
    assert link in admin_client.get(reverse("admin:index")).content.decode()
    assert link in client.get(reverse("admin:login")).content.decode()
