"""Face uploads in a real browser: a photo with no face is brought up to keep or delete; the file picker."""

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from media_vault.models import FaceUpload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def faceless_photo(tmp_path):
    path = tmp_path / "wall.png"
    Image.new("RGB", (64, 64), (180, 190, 200)).save(path)
    return path


def upload(page: Page, path) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Face uploads").click()
    page.get_by_label("Photo of your face").set_input_files(path)
    page.get_by_label("Train models on my face").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Upload").click()


def test_a_photo_with_no_face_is_brought_up_and_keep_it_settles_it(signed_in_page, page_watch, faceless_photo):
    page = signed_in_page

    # when the person uploads a photo in which no face is found
    upload(page, faceless_photo)

    # then they are told, and asked to keep or delete it
    expect(page.get_by_role("status")).to_contain_text("Your photo is stored, but we found no face in it.")
    notice = page.get_by_test_id("no-face-notice")
    expect(notice.get_by_role("heading")).to_have_text("We found no face in a photo")
    expect(notice.get_by_role("link", name="Photo 1 · uploaded by you")).to_be_visible()

    # when they keep it
    with page.expect_navigation():
        notice.get_by_role("button", name="Keep it").click()

    # then the question is gone and the photo stays
    expect(page.get_by_role("status")).to_contain_text("stays. We will not ask about it again.")
    expect(page.get_by_test_id("no-face-notice")).to_have_count(0)
    expect(page.get_by_test_id("uploads").get_by_role("listitem")).to_have_count(1)
    assert FaceUpload.objects.get().no_face_kept_at is not None
    assert page_watch.page_errors == []


def test_delete_it_asks_first_then_erases_the_photo(signed_in_page, faceless_photo):
    page = signed_in_page
    upload(page, faceless_photo)

    page.get_by_test_id("no-face-notice").get_by_role("link", name="Delete it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this photo?")
    with page.expect_navigation():
        page.get_by_role("button", name="Delete for good").click()

    expect(page.get_by_role("status")).to_contain_text("is erased.")
    expect(page.get_by_test_id("no-face-notice")).to_have_count(0)
    assert not FaceUpload.objects.exists()


def test_the_file_picker_shows_where_the_keyboard_is(signed_in_page, live_server):
    page = signed_in_page
    page.goto(f"{live_server.url}/uploads/")
    picker = page.get_by_label("Photo of your face")

    # reached from the keyboard, as a person who does not use a mouse would
    for _ in range(30):
        page.keyboard.press("Tab")
        if picker.evaluate("el => el === document.activeElement"):
            break

    assert picker.evaluate("el => el === document.activeElement")
    outline = picker.evaluate("el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert outline[0] == "solid" and outline[1] == "3px"
    button_color = picker.evaluate("el => getComputedStyle(el, '::file-selector-button').color")
    assert button_color == "rgb(31, 95, 139)"  # the portal's accent, not the browser's grey default
