"""The axe harness itself: it loads the vendored axe-core, finds real violations and names them readably."""

import pytest
from playwright.sync_api import Page

from tests.browser.axe import AXE_JS, axe_report, axe_violations

pytestmark = pytest.mark.browser

CLEAN = """<!DOCTYPE html><html lang="en"><head><title>Clean</title></head>
<body><header><p>Portal</p></header><main><h1>Hello</h1><p>Nothing wrong here.</p></main>
<footer><p>Footer</p></footer></body></html>"""

BROKEN = """<!DOCTYPE html><html><head><title>Broken</title></head>
<body><h1>Hello</h1><img id="face" src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></body></html>"""


def test_vendored_axe_is_the_pinned_release():
    assert AXE_JS.read_text(encoding="utf-8").startswith("/*! axe v4.14.1")


def test_a_clean_page_has_no_violations(page: Page):
    page.set_content(CLEAN)
    assert axe_violations(page) == []


def test_violations_name_the_rule_its_impact_and_the_elements(page: Page):
    page.set_content(BROKEN)

    violations = axe_violations(page)

    found = {v.id: v for v in violations}
    assert {"image-alt", "html-has-lang", "region", "landmark-one-main"} <= set(found)
    assert found["image-alt"].impact == "critical"
    assert found["image-alt"].selectors == ["#face"]
    report = axe_report(violations, url="about:blank")
    assert "- image-alt [critical]: Images must have alternative text" in report
    assert "    #face" in report


def test_a_rule_can_be_turned_off_by_id(page: Page):
    page.set_content(BROKEN)
    assert "image-alt" not in {v.id for v in axe_violations(page, disable=("image-alt",))}
