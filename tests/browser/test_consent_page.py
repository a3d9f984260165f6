"""The consent page in a real browser: with htmx, without JavaScript, and under the CSP."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from consents.models import ConsentState
from consents.services import purpose_publish_version
from media_vault.models import FaceUpload
from tests.media_vault.factories import FaceUploadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def purpose_card(page: Page, slug: str):
    return page.locator(f"#purpose-{slug}")


def history_rows(page: Page):
    return page.get_by_test_id("history").locator("tbody tr")


def test_page_shows_every_purpose_with_its_state(signed_in_page):
    page = signed_in_page

    expect(page.get_by_role("heading", level=1)).to_have_text("Your consents")
    expect(purpose_card(page, "avatar").get_by_role("heading")).to_have_text("Make avatars of me")
    expect(page.get_by_test_id("state-avatar")).to_have_text("Not asked")
    expect(purpose_card(page, "training").get_by_role("heading")).to_have_text("Train models on my face")
    expect(page.get_by_test_id("state-training")).to_have_text("Granted")
    expect(history_rows(page)).to_have_count(1)


def test_grant_and_withdraw_with_htmx_swap_the_section_without_a_reload(signed_in_page, page_watch):
    # given a marker that only survives if the document is never reloaded
    page = signed_in_page
    page.evaluate("window.__sameDocument = true")

    # when the subject grants one purpose
    with page.expect_response(lambda r: r.url.endswith("/consents/avatar/decide/")) as grant:
        purpose_card(page, "avatar").get_by_role("button", name="Grant consent").click()

    # then the section is swapped in place, with the new state, history row and message
    assert grant.value.status == HTTPStatus.OK
    assert grant.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_test_id("state-avatar")).to_have_text("Granted")
    expect(history_rows(page)).to_have_count(2)
    expect(history_rows(page).first).to_contain_text("Make avatars of me")
    expect(history_rows(page).first).to_contain_text("Granted")
    # (feedback shows in the card that changed, where the person is looking, and is announced)
    expect(purpose_card(page, "avatar").get_by_role("status")).to_contain_text("“Make avatars of me” is now granted.")

    # when the subject withdraws another purpose, this time from the keyboard
    purpose_card(page, "training").get_by_role("button", name="Withdraw consent").focus()
    with page.expect_response(lambda r: r.url.endswith("/consents/training/decide/")):
        page.keyboard.press("Enter")

    # then its state and the history change too, still in the same document, and focus stays on its control
    expect(page.get_by_test_id("state-training")).to_have_text("Withdrawn")
    # (compared through document.activeElement: headless Chromium may report the whole page as not
    # focused under load, which makes Playwright's to_be_focused() fail although focus is right)
    expect(purpose_card(page, "training").get_by_role("button", name="Grant consent")).to_be_visible()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'decide-training'", timeout=5000)
    expect(history_rows(page)).to_have_count(3)
    expect(history_rows(page).first).to_contain_text("Train models on my face")
    expect(history_rows(page).first).to_contain_text("Withdrawn")
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith("/consents/")
    assert page_watch.page_errors == []


def test_htmx_request_carries_the_csrf_token_from_the_body(signed_in_page):
    page = signed_in_page
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    assert len(token) == 64  # a masked token, as {% csrf_token %} writes it

    with page.expect_request(lambda r: r.url.endswith("/decide/")) as decide:
        purpose_card(page, "avatar").get_by_role("button", name="Grant consent").click()

    assert decide.value.headers["x-csrftoken"] == token
    assert decide.value.response().status == HTTPStatus.OK


def test_without_javascript_the_form_posts_and_redirects_back(no_js_page, live_server):
    page = no_js_page

    # when the subject grants one purpose and withdraws another with plain form posts
    with page.expect_navigation():
        purpose_card(page, "avatar").get_by_role("button", name="Grant consent").click()
    expect(purpose_card(page, "avatar").get_by_role("status")).to_contain_text("“Make avatars of me” is now granted.")
    with page.expect_navigation():
        purpose_card(page, "training").get_by_role("button", name="Withdraw consent").click()

    # then each post redirected back to the page, which shows the new states and both new rows
    assert page.url == f"{live_server.url}/consents/#purpose-training"  # back at the card that changed
    expect(purpose_card(page, "training").get_by_role("status")).to_contain_text(
        "“Train models on my face” is now withdrawn."
    )
    expect(page.get_by_test_id("state-avatar")).to_have_text("Granted")
    expect(page.get_by_test_id("state-training")).to_have_text("Withdrawn")
    expect(history_rows(page)).to_have_count(3)
    expect(history_rows(page).nth(0)).to_contain_text("Withdrawn")
    expect(history_rows(page).nth(1)).to_contain_text("Granted")


def test_reconsent_prompt_goes_away_once_the_new_terms_are_granted(signed_in_page, purposes):
    # given new terms for a granted purpose that require deciding again, published while the page is open
    page = signed_in_page
    purpose_publish_version(
        purpose=purposes["training"],
        title="Train models on my face",
        description="Now also for voice models.",
        retention_days=60,
        requires_reconsent=True,
    )
    page.reload()
    prompt = page.get_by_role("region", name="Please decide again")
    expect(prompt).to_contain_text("Train models on my face")
    expect(page.get_by_test_id("state-training")).to_have_text("Needs your decision again")

    # when the subject follows the prompt and grants the new terms
    prompt.get_by_role("link", name="Train models on my face").click()
    purpose_card(page, "training").get_by_role("button", name="Grant the new terms").click()

    # then the prompt is gone and the purpose counts as granted at version 2
    expect(page.get_by_test_id("state-training")).to_have_text("Granted")
    expect(prompt).to_have_count(0)
    expect(history_rows(page).first).to_contain_text("version 2")


def test_consent_page_has_no_csp_violations_or_script_errors(signed_in_page, page_watch):
    page = signed_in_page
    purpose_card(page, "avatar").get_by_role("button", name="Grant consent").click()
    expect(page.get_by_test_id("state-avatar")).to_have_text("Granted")

    assert page.evaluate("window.htmx !== undefined"), "htmx did not load under the CSP"
    assert page.evaluate("window.__cspViolations") == []
    assert page_watch.csp_violations == []
    assert page_watch.page_errors == []


def test_a_withdrawal_that_deletes_a_photo_asks_in_a_dialog_first(signed_in_page, subject_with_grant, purposes):
    # given a photo kept only for `training`
    page = signed_in_page
    FaceUploadFactory(subject=subject_with_grant, purposes=[purposes["training"]])
    page.reload()

    # when the subject withdraws it, the question appears in the purpose's card and nothing has changed yet
    purpose_card(page, "training").get_by_role("button", name="Withdraw consent").click()
    dialog = purpose_card(page, "training").get_by_role("dialog")
    expect(dialog).to_contain_text("This permanently deletes 1 photo: 1 you uploaded.")
    expect(page.get_by_test_id("state-training")).to_have_text("Granted")
    assert FaceUpload.objects.filter(subject=subject_with_grant).count() == 1

    # then confirming withdraws and says, in the card, what is being deleted
    dialog.get_by_role("button", name="Withdraw and delete 1 photo").click()
    expect(page.get_by_test_id("state-training")).to_have_text("Withdrawn")
    expect(purpose_card(page, "training").get_by_role("status")).to_contain_text(
        "1 photo is being deleted for good: 1 you uploaded."
    )
    expect(purpose_card(page, "training").get_by_role("dialog")).to_have_count(0)


def test_without_javascript_a_withdrawal_that_deletes_asks_on_a_page(no_js_page, subject_with_grant, purposes):
    page = no_js_page
    FaceUploadFactory(subject=subject_with_grant, purposes=[purposes["training"]])
    page.reload()

    with page.expect_navigation():
        purpose_card(page, "training").get_by_role("button", name="Withdraw consent").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Withdraw “Train models on my face”?")
    expect(page.get_by_role("link", name="Keep my consent")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Withdraw and delete 1 photo").click()

    expect(page.get_by_test_id("state-training")).to_have_text("Withdrawn")
    expect(purpose_card(page, "training").get_by_role("status")).to_contain_text("1 photo is being deleted for good")


def test_a_grant_for_7_days_shows_when_it_ends(signed_in_page, subject_with_grant, purposes, page_watch):
    # given the card of a purpose not granted yet
    page = signed_in_page
    card = purpose_card(page, "avatar")

    # when the subject opens "Grant for a limited time", picks 7 days and grants (with htmx)
    card.get_by_text("Grant for a limited time").click()
    card.get_by_role("group", name="How long should it last?").get_by_label("For 7 days").check()
    card.get_by_role("button", name="Grant for this long").click()

    # then the card says it is granted and until when, with the end as a machine-readable <time>
    expect(page.get_by_test_id("state-avatar")).to_have_text("Granted")
    ends = timezone.localtime(ConsentState.objects.get(subject=subject_with_grant, purpose__slug="avatar").expires_at)
    assert timedelta(days=7) - timedelta(minutes=1) < ends - timezone.now() <= timedelta(days=7)
    shown = f"{ends.day} {ends:%b %Y}, {ends:%H:%M}"
    expect(page.get_by_test_id("expiry-avatar")).to_contain_text(f"Granted until {shown}.")
    expect(page.get_by_test_id("expiry-avatar").locator("time")).to_have_attribute("datetime", ends.isoformat())
    expect(card.get_by_role("status")).to_contain_text(f"“Make avatars of me” is now granted until {shown}.")
    assert page_watch.page_errors == []


def test_without_javascript_a_grant_until_a_day_ends_that_day_and_a_past_day_is_refused(no_js_page):
    page = no_js_page
    card = purpose_card(page, "avatar")
    day = timezone.localdate() + timedelta(days=20)

    # a day that has passed is refused, in the card, and nothing changes
    card.get_by_text("Grant for a limited time").click()
    card.get_by_label("Until a day you choose").check()
    card.get_by_label("Last day").evaluate("input => { input.removeAttribute('min'); }")  # past the browser's check
    card.get_by_label("Last day").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    with page.expect_navigation():
        card.get_by_role("button", name="Grant for this long").click()
    expect(card.locator("#expiry-error-avatar")).to_contain_text("The expiry must lie in the future.")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'until-avatar'", timeout=5000)
    expect(card.get_by_label("Last day")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("state-avatar")).to_have_text("Not asked")

    # a day ahead is granted until the end of that day
    card.get_by_label("Last day").fill(day.isoformat())
    with page.expect_navigation():
        card.get_by_role("button", name="Grant for this long").click()
    expect(page.get_by_test_id("state-avatar")).to_have_text("Granted")
    expect(page.get_by_test_id("expiry-avatar")).to_contain_text(f"Granted until {day.day} {day:%b %Y}.")
