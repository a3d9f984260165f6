"""/api/docs/ in a real browser: operations grouped by tag with summaries, and a page that names its language,
has a title, a main landmark and headings, with no CSP violation or script error."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_openapi import API_TAGS, OPERATION_IDS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def docs(page: Page, page_watch, live_server) -> Page:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".opblock-tag").first).to_be_visible()
    return page


def test_the_docs_group_operations_under_the_tags_with_a_summary_each(docs):
    tags = docs.locator("h3.opblock-tag").evaluate_all("tags => tags.map(t => t.dataset.tag)")
    assert tags == API_TAGS
    expect(docs.locator(".opblock")).to_have_count(len(OPERATION_IDS))  # every published operation
    summaries = docs.locator(".opblock-summary-description").all_inner_texts()
    assert len(summaries) == len(OPERATION_IDS)
    assert all(s.strip() for s in summaries)
    expect(docs.locator("#operations-links-links_redeem")).to_contain_text("Redeem a link code")


def test_the_docs_page_has_lang_title_main_landmark_and_headings(docs, page_watch):
    expect(docs.locator("html")).to_have_attribute("lang", "en")
    expect(docs).to_have_title(re.compile(r"\S"))
    expect(docs.get_by_role("main")).to_have_count(1)
    expect(docs.get_by_role("heading", level=1)).to_have_count(1)
    expect(docs.get_by_role("heading", name=re.compile("^purposes"))).to_be_visible()

    assert docs.evaluate("window.__cspViolations") == []
    assert page_watch.csp_violations == []
    assert page_watch.page_errors == []


def test_the_method_badges_are_dark_enough_for_white_text(docs):
    # Swagger UI's own badge colours gave white text 2:1 to 3.6:1; css/api-docs.css darkens each to pass 4.5:1.
    backgrounds = set(
        docs.locator(".opblock-summary-method").evaluate_all(
            "badges => badges.map(b => getComputedStyle(b).backgroundColor)"
        )
    )

    def contrast_with_white(rgb: str) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
        luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
        return 1.05 / (luminance + 0.05)

    assert backgrounds
    assert {bg: round(contrast_with_white(bg), 2) for bg in backgrounds if contrast_with_white(bg) < 4.5} == {}
