"""The "Found you" page in Chromium: with a sighting in every status, axe finds nothing at phone and desktop widths
and every blurred preview loads; "Remove me" works without JavaScript and says what it did in the sighting's card."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from tests.browser.axe import axe_report, axe_violations
from tests.find_me.conftest_pages import *  # noqa: F403 (its fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)


def _session_cookie(user, base_url: str) -> dict:
    """Signed in through a session made on the server (the sign-in form has its own browser tests)."""
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base_url,
    }


def _previews_fetched_one_at_a_time(page: Page, *, base_url: str, sightings) -> None:
    """Fetch each preview in turn and serve the page's requests from those answers: the test server's in-memory
    SQLite refuses concurrent writes (every request saves the session), so the browser's parallel image requests
    would fail here, and only here (as in tests/browser/test_appearances_walkthrough.py)."""
    answers = {}
    for sighting in sightings:
        if sighting.upload_id is None:
            continue  # removed: the page shows no image for it
        url = f"{base_url}/found-you/{sighting.pk}/preview.jpg"
        response = page.request.get(url)
        assert response.ok and response.headers["content-type"] == "image/jpeg", (url, response.status)
        answers[url] = response.body()
    page.route(
        "**/found-you/*/preview.jpg",
        lambda route: route.fulfill(body=answers[route.request.url], content_type="image/jpeg")
        if route.request.url in answers
        else route.continue_(),
    )


def test_the_page_with_a_sighting_in_every_status_has_no_axe_violations(page: Page, live_server, subject, one_of_each):
    page.context.add_cookies([_session_cookie(subject, live_server.url)])
    _previews_fetched_one_at_a_time(page, base_url=live_server.url, sightings=one_of_each.values())
    reports = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/found-you/")
        previews = page.get_by_role("img", name="Blurred preview of the face that matched")
        expect(previews).to_have_count(len(one_of_each) - 1)  # all but the removed photo
        for preview in previews.all():
            preview.scroll_into_view_if_needed()
            expect(preview).to_have_js_property("complete", True)
            assert preview.evaluate("img => img.naturalWidth") > 0
        if violations := axe_violations(page):
            reports.append(axe_report(violations, url=f"/found-you/ at {width} px"))
    assert not reports, "\n\n".join(reports)


def test_remove_me_works_without_javascript_and_says_so_in_the_card(browser: Browser, live_server, subject, sighted):
    sighting = sighted()
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies([_session_cookie(subject, live_server.url)])
    page = context.new_page()
    page.set_default_timeout(5_000)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/found-you/")

    page.locator(f"#sighting-{sighting.pk}").get_by_role("button", name="Remove me").click()

    expect(page).to_have_url(f"{live_server.url}/found-you/#sighting-{sighting.pk}")
    card = page.locator(f"#sighting-{sighting.pk}")
    expect(card.get_by_role("status")).to_contain_text("Studio B has been asked to delete that photo by")
    expect(card.get_by_text("Removal requested", exact=True)).to_be_visible()
    expect(card.get_by_role("button")).to_have_count(0)
    context.close()
