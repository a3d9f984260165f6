"""Every page carries a strict Content-Security-Policy, nosniff and a frame ban."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


@pytest.fixture(params=["anonymous", "signed_in"])
def page(request, client, subject):
    """The landing page for a visitor, the consent page for a signed-in subject."""
    if request.param == "anonymous":
        return client.get(reverse("home"))
    client.force_login(subject)
    return client.get(reverse("consents:consent_list"))


def test_pages_send_a_csp_that_allows_only_our_own_scripts(page):
    assert page.status_code == HTTPStatus.OK
    directives = _directives(page.headers["Content-Security-Policy"])

    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in page.headers["Content-Security-Policy"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_pages_forbid_content_sniffing(page):
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_cannot_be_framed(page):
    assert page.headers["X-Frame-Options"] == "DENY"


def test_sign_in_page_sends_the_same_headers(client):
    response = client.get(reverse("account_login"))

    assert _directives(response.headers["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_for_the_csp_to_block(page):
    """With no 'unsafe-inline', an inline <script> or on* handler would silently not run."""
    html = page.content.decode()

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
