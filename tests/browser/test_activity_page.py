"""The Activity page in a real browser with JavaScript off: the filters are a plain form, and so is paging."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filter_the_activity_by_kind_without_javascript(no_js_page, live_server):
    page = no_js_page

    # given the subject's activity: the sign-in they just made and the consent they granted
    page.goto(f"{live_server.url}/activity/")
    rows = page.get_by_test_id("activity").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("You signed in on Chrome on Linux")
    expect(rows.nth(0)).to_contain_text("New device")

    # when they choose "Consent changes" and press Filter
    page.get_by_label("What").select_option(label="Consent changes")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()

    # then only the consent change is left, the choice is kept, and "Show all" undoes it
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("You granted “Train models on my face”")
    expect(page.get_by_label("What")).to_have_value("consents")
    assert "kind=consents" in page.url
    with page.expect_navigation():
        page.get_by_role("link", name="Show all").click()
    expect(rows).to_have_count(2)


def test_the_activity_page_has_no_csp_violation_or_script_error(signed_in_page, page_watch, live_server):
    page = signed_in_page

    page.goto(f"{live_server.url}/activity/?kind=sign_ins")

    expect(page.get_by_test_id("activity").locator("tbody tr")).to_have_count(1)
    assert page.evaluate("window.__cspViolations") == []
    assert page_watch.csp_violations == []
    assert page_watch.page_errors == []
