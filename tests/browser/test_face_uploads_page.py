"""The face-upload pages in a real browser: upload through the form, see it, open it, find the view in Activity."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASTRONAUT = Path(__file__).resolve().parent.parent / "media_vault" / "files" / "astronaut.png"


def test_upload_a_photo_see_it_listed_open_it_and_find_the_view_in_activity(signed_in_page, page_watch, live_server):
    page = signed_in_page

    # given the subject on the Face uploads page, from the navigation
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Face uploads").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Face uploads")

    # when they upload a photo for the purpose they granted
    page.get_by_label("Photo of your face").set_input_files(ASTRONAUT)
    page.get_by_label("Train models on my face").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Upload").click()

    # then it is listed with the face found, its purpose, and nobody has opened it yet
    assert page.url == f"{live_server.url}/uploads/"
    expect(page.get_by_role("status")).to_contain_text("Your photo is stored. We found 1 face in it.")
    card = page.get_by_test_id("uploads").get_by_role("listitem").first
    expect(card.get_by_test_id("faces")).to_have_text("1 face")
    expect(card).to_contain_text("Train models on my face")
    expect(card).to_contain_text("Nobody has opened it yet.")
    thumbnail = card.locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") > 0

    # when they open its detail page, which shows the photo with the face boxed
    card.get_by_role("heading", level=3).get_by_role("link").click()
    photo = page.get_by_role("img", name="Your photo, with a box around the 1 face found")
    expect(photo).to_be_visible()
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.naturalWidth") == 512
    expect(page.get_by_test_id("faces")).to_have_text("1 face")
    detail_path = page.url.removeprefix(live_server.url)

    # then the Activity page, filtered to photos opened, lists that view, by the subject, with a link to the upload
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activity").click()
    page.get_by_label("What").select_option(label="Photos opened")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    rows = page.get_by_test_id("activity").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("You viewed the photo of")
    expect(rows.first.get_by_role("link")).to_have_attribute("href", detail_path)

    assert page.evaluate("window.__cspViolations") == []
    assert page_watch.csp_violations == []
    assert page_watch.page_errors == []
