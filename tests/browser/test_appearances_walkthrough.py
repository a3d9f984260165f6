"""The Appearances page walked through as the demo subject would, in Chromium: every app's appearances (a cameo made
by someone else among them), the filters, a takedown request with a reason, and the app told of it; then the
export's index.html, opened offline, showing the same appearances with their thumbnails.

Screenshots go to /tmp/wt-b-shots/ (the page at 1280 and 390 px, and the export's index.html).
"""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from appearances.models import Appearance
from data_rights.services import export_build, export_request
from demo.seed import DEMO_PARTNER, DEMO_PASSWORD, DEMO_SECOND_PARTNER, DEMO_SUBJECTS, demo_seed
from media_vault.storage import subject_data_key, vault_stream_read
from partners.models import WebhookEvent
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/wt-b-shots")
CAMEO_TITLE = "Moonwalk on the beach (a friend's cameo)"


def _thumbnails_fetched_one_at_a_time(page: Page, *, base_url: str, subject) -> None:
    """Fetch each thumbnail from the portal in turn, then serve the page's requests for them from those answers.

    The embedded default (a WAL SQLite file) lets concurrent requests wait for each other's writes; the test server's
    in-memory SQLite refuses a second concurrent one at once ("database table is locked"), and every request saves
    the session. So the browser's parallel image requests would fail here, and only here.
    """
    answers = {}
    for appearance in Appearance.objects.filter(subject=subject, thumbnail_object_name__isnull=False):
        url = f"{base_url}/appearances/{appearance.pk}/thumbnail"
        response = page.request.get(url)
        assert response.ok and response.headers["content-type"] == "image/jpeg", (url, response.status)
        answers[url] = response.body()
    page.route(
        "**/appearances/*/thumbnail",
        lambda route: route.fulfill(body=answers[route.request.url], content_type="image/jpeg")
        if route.request.url in answers
        else route.continue_(),
    )


@pytest.fixture
def demo(page: Page, page_watch, live_server):
    """The seeded demo, with the demo subject signed in through the sign-in form."""
    demo_seed()
    sign_in(page, base_url=live_server.url, email=DEMO_SUBJECTS[0]["email"], password=DEMO_PASSWORD, then="/")
    subject = get_user_model().objects.get(email=DEMO_SUBJECTS[0]["email"])
    _thumbnails_fetched_one_at_a_time(page, base_url=live_server.url, subject=subject)
    return subject


def _cards(page: Page):
    return page.get_by_test_id("appearances").locator("> li")


def _card(page: Page, title: str):
    return _cards(page).filter(has=page.get_by_role("heading", name=title, exact=True))


def _screenshot(page: Page, name: str, *, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    for image in page.locator("main img").all():  # lazy images: bring each into view as a person scrolling does
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
    page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / name, full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name}: wider than the screen"


def test_the_demo_subject_sees_filters_and_asks_for_a_takedown(demo, page, page_watch, live_server):
    # given the demo subject on the Appearances page
    page.get_by_role("link", name="Appearances").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appearances")
    expect(_cards(page)).to_have_count(4)

    # then every app's appearances are there, the cameo by someone else among them, with real thumbnails
    cameo = _card(page, CAMEO_TITLE)
    expect(cameo).to_contain_text("Someone else (cameo)")
    expect(cameo).to_contain_text(DEMO_PARTNER)
    expect(cameo).to_contain_text("Let other people use my likeness (cameos)")
    expect(cameo.get_by_test_id("status")).to_have_text("Live")
    expect(_card(page, "Birthday greeting").get_by_test_id("status")).to_have_text("Takedown requested")
    expect(page.get_by_test_id("appearances")).to_contain_text(DEMO_SECOND_PARTNER)
    thumbnails = page.get_by_test_id("appearances").locator("img")
    expect(thumbnails).to_have_count(3)  # the voice note came without one, and its card says so
    expect(_card(page, "Voice note for the avatar")).to_contain_text("The app sent no picture")
    for image in thumbnails.all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    _screenshot(page, "appearances-1280.png", width=1280)
    _screenshot(page, "appearances-390.png", width=390)
    page.set_viewport_size({"width": 1280, "height": 900})

    # when they filter by app, then by status
    filters = page.get_by_role("form", name="Filter the appearances")
    filters.get_by_label("App").select_option(label=DEMO_SECOND_PARTNER)
    filters.get_by_role("button", name="Filter").click()
    expect(_cards(page)).to_have_count(2)
    for card in _cards(page).all():
        expect(card).to_contain_text(DEMO_SECOND_PARTNER)
    filters.get_by_label("App").select_option(label="Any app")
    filters.get_by_label("Status").select_option(label="Takedown requested")
    filters.get_by_role("button", name="Filter").click()
    expect(_cards(page)).to_have_count(1)
    expect(_card(page, "Birthday greeting")).to_have_count(1)
    page.get_by_role("link", name="Show all").click()
    expect(_cards(page)).to_have_count(4)

    # and ask for the cameo to be taken down, with a reason from the list
    cameo = _card(page, CAMEO_TITLE)
    cameo.get_by_label("Reason (optional)").select_option(label="It is offensive or harmful")
    asked_at = timezone.now()
    cameo.get_by_role("button", name="Ask to take it down").click()

    # then the page says the app was asked, and the cameo shows its new status and the deadline
    expect(page.locator(".messages")).to_contain_text(f"{DEMO_PARTNER} has been asked to take it down within 48 hours.")
    cameo = _card(page, CAMEO_TITLE)
    expect(cameo.get_by_test_id("status")).to_have_text("Takedown requested")
    expect(cameo.get_by_role("button", name="Ask to take it down")).to_have_count(0)
    expect(cameo.locator(".facts div").filter(has_text="Your reason")).to_contain_text("It is offensive or harmful")
    appearance = Appearance.objects.get(subject=demo, title=CAMEO_TITLE)
    assert appearance.status == Appearance.Status.TAKEDOWN_REQUESTED
    assert appearance.takedown_reason == Appearance.TakedownReason.OFFENSIVE
    assert abs(appearance.takedown_due_at - (asked_at + timedelta(hours=48))) < timedelta(minutes=1)
    due = cameo.locator("time").filter(has_text=timezone.localtime(appearance.takedown_due_at).strftime("%-d %b %Y"))
    expect(due).to_have_attribute("datetime", appearance.takedown_due_at.isoformat())

    _screenshot(page, "appearances-after-takedown-1280.png", width=1280)

    # and the app that made it has appearance.takedown_requested in its outbox, with the deadline
    told = WebhookEvent.objects.filter(
        partner__name=DEMO_PARTNER,
        event_type="appearance.takedown_requested",
        payload__data__appearance_id=str(appearance.pk),
    )
    assert told.count() == 1
    assert told.get().payload["data"]["due_at"] == appearance.takedown_due_at.isoformat().replace("+00:00", "Z")
    assert page_watch.page_errors == [] and page_watch.csp_violations == []


def test_the_demo_subjects_export_shows_the_appearances_offline(demo, page, tmp_path):
    export = export_request(subject=demo)
    export_build(request_id=export.pk)  # eager Celery built it on commit already: then a no-op
    export.refresh_from_db()
    archive = b"".join(vault_stream_read(data_key=subject_data_key(subject=demo), name=export.archive_object_name))
    folder = tmp_path / "export"
    zipfile.ZipFile(io.BytesIO(archive)).extractall(folder)

    page.goto((folder / "index.html").as_uri())

    section = page.locator("#appearances")
    expect(section.locator("figure")).to_have_count(4)
    expect(section.locator("figure").filter(has_text=CAMEO_TITLE)).to_contain_text("Someone else (cameo)")
    expect(section.locator("figure").filter(has_text="Birthday greeting")).to_contain_text("Takedown requested")
    expect(section.locator("figure").filter(has_text="Voice note")).to_contain_text("The app sent no picture of it.")
    expect(section.locator("img")).to_have_count(3)
    for image in section.locator("img").all():
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0  # the file is there, next to index.html
    expect(page.locator("#restrictions")).to_contain_text("Never in political content")
    expect(page.locator("#sign-ins")).to_contain_text("Where you were signed in")
    _screenshot(page, "export-index-1280.png", width=1280)
    _screenshot(page, "export-index-390.png", width=390)
