"""The export's index.html, opened offline from the extracted archive as a person would: it reads like the portal
(titles and states in words, short ids), fits a phone screen and passes axe."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from consents.services import consent_grant, purpose_publish_version
from data_rights.services import export_build, export_request
from tests.browser.axe import axe_report, axe_violations
from tests.consents.factories import PurposeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

SHOTS = Path("/tmp/wt-f-shots")
# Codes that consents.json, uploads.json, access_log.json and requests.json hold, which the page must put in words.
RAW_CODES = {
    *("avatar", "cameo", "research", "voice-clone", "find-me"),
    *("granted", "withdrawn", "not_asked", "reconsent_required"),
    *("subject", "partner", "staff", "system", "portal", "web", "api", "admin"),
    *("view", "content", "reveal", "export", "erasure", "queued", "running", "ready", "done", "failed", "expired"),
    *("video", "image", "audio", "other_person", "live", "takedown_requested", "taken_down", "not_me"),
}
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


@pytest.fixture
def index_html(holdings, avatar, other_subject, archive_open, tmp_path) -> Path:
    """index.html of a real export, extracted with its images into a directory of its own.

    On top of `holdings` (granted, withdrawn, two uploads, reads by the subject, an app and staff, two apps):
    a purpose granted later and one never decided, avatar's terms changed so they must decide again, and another
    person's decision between theirs, so the ledger's numbers skip.
    """
    PurposeFactory(slug="voice-clone", title="Clone my voice", position=9)
    PurposeFactory(slug="find-me", title="Find me in other people's uploads", position=10)
    consent_grant(subject=other_subject, purpose_slug=avatar.slug, actor=other_subject)
    consent_grant(subject=holdings.subject, purpose_slug="voice-clone", actor=holdings.subject)
    purpose_publish_version(
        purpose=avatar, title=avatar.title, description="New terms.", retention_days=30, requires_reconsent=True
    )
    archive = archive_open(export_build(request_id=export_request(subject=holdings.subject).pk))
    folder = tmp_path / "my-export"
    archive.extractall(folder)
    return folder / "index.html"


def _open(page: Page, index_html: Path, *, width: int) -> Page:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(index_html.as_uri())
    for image in page.locator("img").all():  # loaded lazily: bring each into view, as a person scrolling does
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
    page.evaluate("window.scrollTo(0, 0)")
    return page


def _visible_text(page: Page) -> str:
    return page.evaluate("document.body.innerText")


def test_index_fits_a_phone_screen_without_horizontal_scrolling(page, index_html):
    _open(page, index_html, width=390)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "export-index-390.png", full_page=True)

    width = page.evaluate("document.documentElement.scrollWidth")

    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter((el) => el.checkVisibility() && el.getBoundingClientRect().right > 390.5 && !el.closest('thead'))
        .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''))"""
    )
    assert width <= 390, f"the page is {width} px wide; wider than the screen: {wide[:10]}"
    assert wide == [], f"elements wider than the screen: {wide[:10]}"


@pytest.mark.parametrize("width", [390, 1280])
def test_index_has_no_axe_violations(page, index_html, width):
    _open(page, index_html, width=width)
    if width == 1280:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "export-index-1280.png", full_page=True)

    violations = axe_violations(page)

    assert not violations, axe_report(violations, url=f"index.html at {width} px")


def test_index_shows_titles_and_states_in_words_and_no_raw_codes(page, index_html, holdings):
    _open(page, index_html, width=1280)
    text = _visible_text(page)

    consents = page.get_by_role("table", name="Your decision on each purpose")
    for title, state in (
        ("Avatar generation", "Needs your decision again"),
        ("Cameos in shared videos", "Granted"),
        ("Model research", "Withdrawn"),
        ("Clone my voice", "Granted"),
        ("Find me in other people's uploads", "Not asked"),
    ):
        expect(consents.get_by_role("row").filter(has_text=title)).to_contain_text(state)
    history = page.get_by_role("table", name="Every decision you made")
    research = history.get_by_role("row").filter(has_text="Model research")
    expect(research.nth(1)).to_contain_text("Withdrawn")
    expect(research.last).to_contain_text("for Cameo Studio only")  # the per-app exception
    expect(research.last).to_contain_text("Granted")
    exceptions = page.get_by_role("table", name="Decisions for one app only")
    expect(exceptions.get_by_role("row").filter(has_text="Model research")).to_contain_text("Cameo Studio")
    access = page.get_by_role("table", name="Who opened your images")
    expect(access.get_by_role("row").filter(has_text="Cameo Studio")).to_contain_text("Downloaded the image")
    expect(access.get_by_role("row").filter(has_text=holdings.reveal.reason)).to_contain_text("Privacy staff")
    expect(page.get_by_role("table", name="Your requests")).to_contain_text("Export")
    for code in ("not_asked", "reconsent_required", "voice-clone", "find-me", "subject/", "totp"):
        assert code not in text, f"raw code {code!r} on the page"
    # Every value shown (table cells, the uploads' facts), item by item: none is a code of the JSON files.
    values = page.locator("main td, main dd").evaluate_all("cells => cells.map((c) => c.innerText.trim())")
    shown = {item.strip() for value in values for item in value.split(",")}
    assert not shown & RAW_CODES, f"raw codes on the page: {sorted(shown & RAW_CODES)}"
    assert not UUID.search(text), f"a full id is shown: {UUID.search(text).group()}"


def test_index_shows_short_ids_with_the_full_id_at_hand(page, index_html, holdings):
    _open(page, index_html, width=1280)
    pairwise = str(holdings.link.pairwise_id)
    app_row = page.get_by_role("table", name="Apps you connected").get_by_role("row").filter(has_text="Cameo Studio")
    expect(app_row).to_contain_text(pairwise[:8])
    expect(app_row.get_by_text(pairwise)).to_be_hidden()

    app_row.locator("summary").click()

    expect(app_row.get_by_text(pairwise)).to_be_visible()


def test_index_shows_every_image_with_a_text_alternative(page, index_html, holdings):
    _open(page, index_html, width=1280)
    uploads = page.locator("#uploads img")
    thumbnails = page.locator("#appearances img")
    expect(page.get_by_role("main").locator("img")).to_have_count(len(holdings.uploads) + 1)
    expect(uploads).to_have_count(len(holdings.uploads))
    expect(thumbnails).to_have_count(1)
    for image in uploads.all():
        assert image.get_attribute("src").startswith("uploads/")
        assert image.evaluate("img => img.naturalWidth") > 0  # the file is there, next to index.html
        assert image.get_attribute("alt").startswith("Face upload of ")
    thumbnail = thumbnails.first
    assert thumbnail.get_attribute("src") == f"appearances/{holdings.appearance.pk}.jpg"
    assert thumbnail.evaluate("img => img.naturalWidth") > 0
    assert thumbnail.get_attribute("alt") == "Thumbnail of “Birthday cameo” from Cameo Studio"
