"""The Connected apps page in a real browser: the live link code, its Copy button and its expiry."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from partners.services import link_code_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"^\s*[A-Z2-9]{4}-[A-Z2-9]{4}\s*$")


def open_connected_apps(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connected apps").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connected apps")


def test_the_code_stays_the_same_across_reloads_and_the_copy_button_copies_it(signed_in_page, page_watch, live_server):
    page = signed_in_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    open_connected_apps(page)

    # when the person makes a code
    page.get_by_role("button", name="Make a link code").click()

    # then it is shown large, with when it stops working, and a reload shows the same code
    code = page.get_by_test_id("link-code")
    expect(code).to_have_text(CODE)
    made = code.inner_text().strip()
    assert float(code.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 32
    expect(page.get_by_test_id("link-code-expiry")).to_contain_text("10 minutes from now")
    page.reload()
    expect(page.get_by_test_id("link-code")).to_have_text(made)

    # when they press Copy code
    page.get_by_role("button", name="Copy code").click()

    # then the code is on the clipboard and a status message says so
    expect(page.get_by_test_id("link-code-status")).to_have_text("Copied. Now paste it into the app.")
    assert page.evaluate("navigator.clipboard.readText()") == made
    assert page.evaluate("window.__cspViolations") == []
    assert page_watch.csp_violations == []
    assert page_watch.page_errors == []


def test_a_new_code_on_request_replaces_the_shown_one(signed_in_page):
    page = signed_in_page
    open_connected_apps(page)
    page.get_by_role("button", name="Make a link code").click()
    first = page.get_by_test_id("link-code").inner_text().strip()

    page.get_by_role("button", name="Make a new code").click()

    expect(page.get_by_role("status").first).to_contain_text("The code before it no longer works.")
    expect(page.get_by_test_id("link-code")).not_to_have_text(first)


def test_when_the_code_runs_out_the_page_says_so_without_a_reload(signed_in_page, subject_with_grant, live_server):
    # given a code with about two seconds left
    page = signed_in_page
    link_code_create(subject=subject_with_grant, now=timezone.now() - timedelta(minutes=9, seconds=58))
    page.goto(f"{live_server.url}/connected-apps/")
    expect(page.get_by_role("button", name="Copy code")).to_be_visible()

    # then, once it has expired, the page says so and no longer offers to copy it
    expect(page.get_by_test_id("link-code-status")).to_have_text(
        "This code has expired. Make a new one below.", timeout=5_000
    )
    expect(page.get_by_role("button", name="Copy code")).to_be_hidden()


def test_without_javascript_the_code_is_shown_as_text_and_no_dead_button(no_js_page, live_server):
    page = no_js_page
    page.goto(f"{live_server.url}/connected-apps/")

    page.get_by_role("button", name="Make a link code").click()

    expect(page.get_by_test_id("link-code")).to_have_text(CODE)
    expect(page.get_by_role("button", name="Copy code")).to_have_count(0)  # hidden: not in the accessibility tree
    assert page.get_by_test_id("link-code").evaluate("el => getComputedStyle(el).userSelect") == "all"
