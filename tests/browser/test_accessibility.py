"""No surprises, item 12: axe finds nothing on any page a signed-in subject sees, at phone and desktop widths.

The subject is the demo one (`seed_demo`'s data: two uploads, one from an app, a connected app), with a
decision to make again, an app's read in their activity and a ready export, so each page shows its full state.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page

from consents.services import consent_decide, purpose_publish_version
from data_rights.services import export_build, export_request
from demo.seed import DEMO_PARTNER, DEMO_PASSWORD, DEMO_SUBJECTS, demo_seed
from media_vault.models import AccessEvent
from media_vault.selectors import upload_list_for_subject
from media_vault.services import upload_access_record
from tests.browser.axe import axe_report, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
REAUTHENTICATE = "/accounts/reauthenticate/"

# (path, where it lands): "{upload}" is the id of the demo subject's app upload.
PAGES = [
    pytest.param("/", None, id="home"),  # the summary of every app
    pytest.param("/consents/", None, id="consents"),
    pytest.param("/connected-apps/", None, id="connected-apps"),
    pytest.param("/uploads/", None, id="uploads"),
    pytest.param("/uploads/{upload}/", None, id="upload-detail"),
    pytest.param("/uploads/{upload}/delete/", None, id="upload-delete"),
    pytest.param("/activity/", None, id="activity"),
    pytest.param("/appearances/", None, id="appearances"),
    pytest.param("/found-you/", None, id="found-you"),  # find-me off: the demo subject never opted in
    pytest.param("/your-data/", None, id="your-data"),
    pytest.param("/your-data/erasure/", None, id="erasure-confirm"),
    pytest.param("/privacy/", None, id="privacy"),
    pytest.param("/accounts/email/", None, id="account-email"),
    pytest.param("/accounts/name/", None, id="account-name"),
    pytest.param("/accounts/sessions/", None, id="account-sessions"),
    pytest.param("/accounts/password/change/", None, id="account-password"),
    pytest.param("/accounts/2fa/", None, id="account-2fa"),
    pytest.param("/accounts/2fa/totp/activate/", None, id="account-2fa-activate"),  # through re-authentication
]


@pytest.fixture
def demo_subject(db):
    """The demo subject of `seed_demo`, with something on every page."""
    demo_seed()
    subject = get_user_model().objects.get(email=DEMO_SUBJECTS[0]["email"])
    uploads = list(upload_list_for_subject(subject=subject))
    from_app = next(u for u in uploads if u.partner and u.partner.name == DEMO_PARTNER)
    upload_access_record(
        upload=from_app,
        actor_kind=AccessEvent.ActorKind.PARTNER,
        action=AccessEvent.Action.CONTENT,
        partner=from_app.partner,
    )
    likeness = from_app.purposes.get(slug="generate-likeness")
    purpose_publish_version(
        purpose=likeness,
        title=likeness.title,
        description=f"{likeness.description} Clips may now include your voice.",
        retention_days=likeness.retention_days,
        requires_reconsent=True,
    )
    export_build(request_id=export_request(subject=subject).pk)  # eager Celery built it already: then a no-op
    return SimpleNamespace(subject=subject, upload=from_app)


@pytest.fixture
def demo_page(page: Page, page_watch, live_server, demo_subject) -> Page:
    """Signed in through a session made on the server (the sign-in form has its own browser tests)."""
    client = Client()
    client.force_login(demo_subject.subject)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


@pytest.mark.parametrize(("path", "lands_on"), PAGES)
def test_subject_page_has_no_axe_violations(demo_page, page_watch, demo_subject, live_server, path, lands_on):
    page = demo_page
    path = path.format(upload=demo_subject.upload.pk)
    reports = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.ok, f"{path} answered {response and response.status}"
        if page.url.startswith(f"{live_server.url}{REAUTHENTICATE}"):  # the re-authentication page is checked too
            if violations := axe_violations(page):
                reports.append(axe_report(violations, url=f"{REAUTHENTICATE} at {width} px"))
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Confirm").click()
        assert page.url == f"{live_server.url}{lands_on or path}"

        if violations := axe_violations(page):
            reports.append(axe_report(violations, url=f"{page.url.removeprefix(live_server.url)} at {width} px"))

    assert not reports, "\n\n".join(reports)
    assert page_watch.csp_violations == []  # axe goes in through DevTools: the page's CSP stays on and unbroken


def test_the_withdrawal_question_has_no_axe_violations(demo_page, live_server):
    # "Keep my face uploads" holds the demo's photos: withdrawing it asks first, in the card (htmx) and as a page.
    page = demo_page
    reports = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/consents/")
        page.locator("#purpose-store-uploads").get_by_role("button", name="Withdraw consent").click()
        page.locator("#purpose-store-uploads").get_by_role("dialog").wait_for()
        if violations := axe_violations(page):
            reports.append(axe_report(violations, url=f"/consents/ with the question open at {width} px"))
    assert not reports, "\n\n".join(reports)


def test_the_question_of_how_long_a_grant_lasts_has_no_axe_violations(demo_page, demo_subject, live_server):
    # The demo subject grants "generate-likeness" for 30 days: the grant's end, every question open, a refusal on
    # "train-models" (the purpose they have not decided on).
    page = demo_page
    consent_decide(
        subject=demo_subject.subject,
        purpose_slug="generate-likeness",
        granted=True,
        actor=demo_subject.subject,
        expires_at=timezone.now() + timedelta(days=30),
    )
    reports = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/consents/")
        for summary in page.locator("details.expiry-choice summary").all():
            summary.click()
        if violations := axe_violations(page):
            reports.append(axe_report(violations, url=f"/consents/ with every end question open at {width} px"))
        card = page.locator("#purpose-train-models")
        card.get_by_label("Until a day you choose").check()
        card.get_by_role("button", name="Grant for this long").click()  # no day given: refused in the card
        card.locator(".expiry-error").wait_for()
        if violations := axe_violations(page):
            reports.append(axe_report(violations, url=f"/consents/ with a refused end at {width} px"))
    assert not reports, "\n\n".join(reports)
