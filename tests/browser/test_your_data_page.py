"""Your data in a real browser: the download after the password, the export banner, erasure with one password."""

import time

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from data_rights.models import DataRequest
from data_rights.services import export_build, export_request, subject_erase
from tests.browser.conftest import sign_in

eager_only = pytest.mark.skipif(
    not settings.CELERY_TASK_ALWAYS_EAGER, reason="builds the copy inside the request only in eager mode"
)


def _finished(request: DataRequest, *, status: str, run, timeout: float = 30) -> DataRequest:
    """Run the job here (a no-op if it already ran eagerly or a worker holds it), then wait for its status."""
    run(request_id=request.pk)
    deadline = time.monotonic() + timeout
    while (request := DataRequest.objects.get(pk=request.pk)).status != status and time.monotonic() < deadline:
        time.sleep(0.2)
    return request


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_js(browser: Browser):
    """A page with JavaScript turned off: none of these flows may need it."""
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(5_000)
    yield page
    context.close()


def _export_row(page: Page, export: DataRequest):
    return page.get_by_test_id(f"export-{export.pk}")


def test_after_the_password_the_download_arrives_and_the_page_is_your_data(no_js, live_server, subject, password):
    # given a ready export, and a subject who signed in a while ago (no recent re-authentication)
    export = _finished(export_request(subject=subject), status=DataRequest.Status.READY, run=export_build)
    assert export.status == DataRequest.Status.READY
    page = no_js
    sign_in(page, base_url=live_server.url, email=subject.email, password=password, then="/your-data/")

    # when they ask for the download and confirm their password
    _export_row(page, export).get_by_role("link", name="Download").click()
    page.wait_for_url(f"{live_server.url}/accounts/reauthenticate/**")
    page.locator("input[name=password]").fill(password)
    with page.expect_download() as download:
        page.get_by_role("button", name="Confirm").click()

    # then the file arrives, and the screen is Your data with a message and no password left on it
    assert download.value.suggested_filename.startswith("face-privacy-export-")
    assert download.value.failure() is None
    expect(page).to_have_url(f"{live_server.url}/your-data/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    expect(page.get_by_role("status")).to_contain_text("Password confirmed. Your copy is downloading.")
    expect(page.locator("input[type=password]")).to_have_count(0)


@eager_only
def test_no_building_banner_next_to_a_ready_copy(no_js, live_server, subject, password):
    page = no_js
    sign_in(page, base_url=live_server.url, email=subject.email, password=password, then="/your-data/")

    # the embedded default builds the copy as soon as it is asked for
    page.get_by_role("button", name="Ask for a copy").click()

    expect(page.get_by_role("status")).to_contain_text("Your copy is ready. Download it below.")
    expect(page.locator("#export-list").get_by_text("Ready", exact=True)).to_be_visible()
    expect(page.get_by_text("We are building your export")).to_have_count(0)


def test_with_htmx_the_banner_goes_when_the_copy_is_ready(signed_in_page, live_server, subject):
    # given a copy waiting for a worker, shown with the banner
    export = DataRequest.objects.create(subject=subject, kind=DataRequest.Kind.EXPORT)
    page = signed_in_page
    page.goto(f"{live_server.url}/your-data/")
    expect(page.get_by_test_id("export-building")).to_be_visible()

    # when the worker builds it, the list refreshes by itself (every 3 seconds)
    export_build(request_id=export.pk)

    # then the banner is gone and the row is ready, without a reload
    expect(_export_row(page, export).get_by_role("link", name="Download")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("export-building")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask for a copy")).to_be_visible()


def test_erasure_asks_for_the_password_once_and_the_receipt_counts_the_session(no_js, live_server, subject, password):
    page = no_js
    sign_in(page, base_url=live_server.url, email=subject.email, password=password, then="/your-data/")

    # when the subject goes to erasure: the form comes straight away, with its one password field
    page.get_by_role("link", name="Continue to erasure").click()
    expect(page).to_have_url(f"{live_server.url}/your-data/erasure/")
    expect(page.locator("input[type=password]")).to_have_count(1)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Erase everything").click()

    # then the account is closed at once, with no second prompt
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is closed")
    erasure = DataRequest.objects.get(kind=DataRequest.Kind.ERASURE)
    _finished(erasure, status=DataRequest.Status.DONE, run=subject_erase)
    page.get_by_role("link", name="See the receipt").click()

    # and the receipt counts the session that was ended
    expect(page.get_by_test_id("receipt-status")).to_have_text("Finished")
    expect(page.get_by_test_id("receipt-counts")).to_contain_text("1 signed-in session")
