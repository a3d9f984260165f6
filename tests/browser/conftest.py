"""Fixtures for the browser tests: purposes, a signed-in page, a watch on CSP and script errors, and axe."""

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.browser.axe import assert_no_axe_violations, axe_report, axe_violations
from tests.consents.factories import ConsentStateFactory, PurposeFactory

# Every Playwright wait in these tests is short: the pages are local and small.
expect.set_options(timeout=5_000)

# Runs before any page script through the DevTools protocol, so the page's CSP does not apply to it.
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@dataclass
class PageWatch:
    """What the browser reported while a test ran: console messages and uncaught script errors."""

    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m or "Refused to" in m]


def watch(page: Page) -> PageWatch:
    """Record console messages and page errors of `page`, and catch CSP violation events."""
    seen = PageWatch()
    page.on("console", seen.on_console)
    page.on("pageerror", lambda error: seen.page_errors.append(str(error)))
    page.add_init_script(_WATCH_CSP)
    return seen


def sign_in(page: Page, *, base_url: str, email: str, password: str, then: str = "/consents/") -> None:
    """Sign in through the real allauth form, as a person would, land on the home page, then open `then`."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
    if then != "/":
        page.goto(f"{base_url}{then}")


@pytest.fixture(autouse=True)
def _short_timeouts(context: BrowserContext) -> None:
    """Local pages answer in milliseconds; fail in seconds rather than after Playwright's 30."""
    context.set_default_timeout(5_000)
    context.set_default_navigation_timeout(5_000)


@pytest.fixture
def purposes(db):
    """Two purposes: `avatar` (not asked yet) and `training` (to be granted by the test that needs it)."""
    return {
        "avatar": PurposeFactory(slug="avatar", title="Make avatars of me", position=1),
        "training": PurposeFactory(slug="training", title="Train models on my face", position=2),
    }


@pytest.fixture
def subject_with_grant(subject, purposes):
    """A subject with a verified email who granted `training` and never decided on `avatar`."""
    ConsentStateFactory(subject=subject, purpose=purposes["training"], granted=True)
    return subject


@pytest.fixture
def page_watch(page: Page) -> PageWatch:
    """What `page` reports from its first navigation on."""
    return watch(page)


@pytest.fixture
def signed_in_page(page: Page, page_watch, live_server, subject_with_grant, password):
    """A JavaScript-enabled page, watched for CSP and script errors, signed in on the consent page."""
    sign_in(page, base_url=live_server.url, email=subject_with_grant.email, password=password)
    return page


@pytest.fixture
def no_js_page(browser: Browser, live_server, subject_with_grant, password):
    """A page in a fresh context with JavaScript turned off, signed in on the consent page."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(5_000)
    sign_in(page, base_url=live_server.url, email=subject_with_grant.email, password=password)
    yield page
    context.close()


@pytest.fixture
def axe() -> SimpleNamespace:
    """axe-core on any page: `axe.violations(page)`, `axe.report(violations)`, `axe.assert_no_violations(page)`."""
    return SimpleNamespace(violations=axe_violations, report=axe_report, assert_no_violations=assert_no_axe_violations)
