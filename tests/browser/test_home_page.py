"""The home page in a real browser: the demo subject's summary, a new account's welcome, on a wide and a narrow screen."""

import pytest
from playwright.sync_api import Browser, Page, expect

from demo.seed import DEMO_PARTNER, DEMO_PASSWORD, demo_seed
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 390]


def _fits(page: Page) -> None:
    """Nothing on the page is wider than the screen (no sideways scrolling on a phone)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def narrow_or_wide(request, browser: Browser):
    """A page of the given width with JavaScript off: the home page needs none."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": request.param, "height": 900})
    page = context.new_page()
    page.set_default_timeout(5_000)
    yield page
    context.close()


@pytest.mark.parametrize("narrow_or_wide", WIDTHS, indirect=True)
def test_the_demo_subject_lands_on_a_summary_of_every_app(narrow_or_wide, live_server):
    # given the demo data: four purposes granted, two apps connected, two photos
    demo_seed()
    page = narrow_or_wide

    # when the demo subject signs in
    sign_in(page, base_url=live_server.url, email="demo@example.com", password=DEMO_PASSWORD, then="/")

    # then the home page sums up every app, and each part leads to its page
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    expect(page.get_by_test_id("summary-consents")).to_contain_text("You allow 4 of 5 purposes.")
    expect(page.get_by_test_id("summary-apps")).to_contain_text(DEMO_PARTNER)
    expect(page.get_by_test_id("summary-photos")).to_contain_text("2 photos are held about you.")
    expect(page.get_by_test_id("summary-photos")).to_contain_text("The next one is deleted on")
    expect(page.get_by_test_id("summary-activity")).to_be_visible()
    expect(page.get_by_test_id("summary-export")).to_contain_text("You have not asked for a copy yet.")
    _fits(page)
    page.get_by_role("link", name="Change what you allow").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consents")


@pytest.mark.parametrize("narrow_or_wide", WIDTHS, indirect=True)
def test_a_new_account_is_welcomed_with_its_first_steps(narrow_or_wide, live_server, subject, password, purposes):
    page = narrow_or_wide

    sign_in(page, base_url=live_server.url, email=subject.email, password=password, then="/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to your face privacy portal")
    steps = page.locator("ol.steps > li")
    expect(steps).to_have_count(3)
    expect(steps.nth(0).get_by_role("link")).to_have_text("Decide what you allow")
    expect(page.get_by_test_id("summary-consents")).to_have_count(0)
    _fits(page)
    steps.nth(0).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consents")
