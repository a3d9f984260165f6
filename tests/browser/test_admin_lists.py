"""The admin change lists staff work in all day, in a real browser at 1280 px: no scrolling sideways."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from data_rights.models import DataRequest
from data_rights.services import export_request
from partners.models import WebhookEvent
from tests.accounts.factories import UserFactory
from tests.media_vault.factories import FaceUploadFactory
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTS = ["media_vault_faceupload", "data_rights_datarequest", "partners_webhookevent"]
LONG_NAME = "Cameo Studio for Very Long Partner Names International (demo)"


@pytest.fixture
def busy_lists(subject):
    """Rows as wide as real ones get: a long partner name, a long error, every webhook status."""
    link = LinkFactory(subject=subject, partner=PartnerFactory(name=LONG_NAME))
    FaceUploadFactory(subject=subject)
    FaceUploadFactory(subject=subject, partner=link.partner)
    past = timezone.now() - timedelta(days=2)
    failed = export_request(subject=UserFactory())
    DataRequest.objects.filter(pk=failed.pk).update(
        status=DataRequest.Status.FAILED,
        attempts=8,
        deadline=past,
        last_error="StorageUnavailable: could not reach http://s3.internal.example:9000 after 8 retries",
    )
    export_request(subject=subject)
    for status in WebhookEvent.Status.values:
        event = WebhookEventFactory(link=link, event_type="consent.withdrawn")
        WebhookEvent.objects.filter(pk=event.pk).update(
            status=status, attempt_count=12, next_attempt_at=timezone.now() + timedelta(hours=3)
        )


@pytest.fixture
def staff_page(page: Page, live_server, password) -> Page:
    staff = UserFactory(superuser=True, password=password)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.locator("#id_username").fill(staff.email)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    return page


def test_the_three_busy_lists_fit_1280_px_with_the_navigation_open(staff_page, live_server, busy_lists):
    page = staff_page
    overflowing = {}

    for model in LISTS:
        page.goto(f"{live_server.url}{reverse(f'admin:{model}_changelist')}")
        expect(page.locator("#nav-sidebar")).to_be_visible()
        expect(page.locator("#result_list tbody tr").first).to_be_visible()
        widths = page.evaluate(
            """() => {
                const results = document.querySelector('.results');
                return {page: document.documentElement.scrollWidth, table: results.scrollWidth,
                        room: results.clientWidth};
            }"""
        )
        if widths["page"] > 1280 or widths["table"] > widths["room"]:
            overflowing[model] = widths

    assert overflowing == {}


def test_breadcrumb_links_are_underlined_not_told_apart_by_colour_alone(staff_page, live_server):
    page = staff_page

    page.goto(f"{live_server.url}{reverse('admin:partners_webhookevent_changelist')}")

    links = page.locator("div.breadcrumbs a")
    expect(links.first).to_be_visible()
    decorations = links.evaluate_all("links => links.map(a => getComputedStyle(a).textDecorationLine)")
    assert decorations and all("underline" in d for d in decorations)
