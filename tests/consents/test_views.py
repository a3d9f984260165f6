"""The consent page (/consents/) and its one-action decide form (rules 1-3)."""

from http import HTTPStatus

import pytest
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consents.models import ConsentEvent, ConsentState
from consents.selectors import consent_status_get
from consents.services import consent_grant, consent_withdraw
from tests.consents.factories import PurposeFactory, PurposeVersionFactory

pytestmark = pytest.mark.django_db

PAGE_URL = "/consents/"


def _decide_url(slug: str) -> str:
    return f"/consents/{slug}/decide/"


def _csrf_token(client) -> str:
    """The token the page's forms carry: fetch the page once, as a browser would."""
    client.get(PAGE_URL)
    return client.cookies["csrftoken"].value


def _post_decision(client, slug: str, decision: str | None, **extra):
    data = {"csrfmiddlewaretoken": _csrf_token(client)}
    if decision is not None:
        data["decision"] = decision
    return client.post(_decide_url(slug), data, **extra)


def _history_table(html: str) -> str:
    start = html.index('data-testid="history"')
    return html[start : html.index("</table>", start)]


def _state_badge(slug: str, label: str) -> str:
    return f'data-testid="state-{slug}">{label}</span>'


@pytest.fixture
def purpose(db):
    return PurposeFactory(slug="cameos", title="Let other people use my likeness")


# --- The page ----------------------------------------------------------------------------------
def test_page_lists_every_active_purpose_with_its_state(subject_client, subject):
    granted = PurposeFactory(title="Keep my face uploads")
    withdrawn = PurposeFactory(title="Train models on my face")
    never = PurposeFactory(title="Find me in uploads by others")
    consent_grant(subject=subject, purpose_slug=granted.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=withdrawn.slug, actor=subject)

    response = subject_client.get(PAGE_URL)

    assert response.status_code == HTTPStatus.OK
    assertContains(response, _state_badge(granted.slug, "Granted"))
    assertContains(response, _state_badge(withdrawn.slug, "Withdrawn"))
    assertContains(response, _state_badge(never.slug, "Not asked"))
    for purpose in (granted, withdrawn, never):
        assertContains(response, purpose.title)


def test_page_omits_inactive_purposes(subject_client):
    PurposeFactory(slug="shown")
    PurposeFactory(slug="retired", title="A retired purpose", active=False)

    response = subject_client.get(PAGE_URL)

    assertContains(response, 'data-testid="state-shown"')
    assertNotContains(response, 'data-testid="state-retired"')
    assertNotContains(response, "A retired purpose")


def test_page_offers_withdraw_for_granted_and_grant_for_the_rest(subject_client, subject):
    granted, other = PurposeFactory(), PurposeFactory()
    consent_grant(subject=subject, purpose_slug=granted.slug, actor=subject)

    html = subject_client.get(PAGE_URL).content.decode()

    granted_card = html[html.index(f'id="purpose-{granted.slug}"') : html.index(f'id="purpose-{other.slug}"')]
    other_card = html[html.index(f'id="purpose-{other.slug}"') :]
    assert 'name="decision" value="withdraw"' in granted_card
    assert 'name="decision" value="grant"' in other_card.split("</li>")[0]


def test_history_shows_each_event_with_its_version_and_time(subject_client, subject, purpose):
    first = consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    PurposeVersionFactory(purpose=purpose, requires_reconsent=False)
    second = consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    history = _history_table(subject_client.get(PAGE_URL).content.decode())

    assert history.count("<tr>") == 3  # the header row and one per event
    assert "version 1" in history
    assert "version 2" in history
    assert f'datetime="{first.created_at.isoformat()}"' in history
    assert f'datetime="{second.created_at.isoformat()}"' in history
    assert history.index("version 2") < history.index("version 1")  # newest first


def test_history_shows_only_the_subjects_own_events(subject_client, other_subject, purpose):
    consent_grant(subject=other_subject, purpose_slug=purpose.slug, actor=other_subject)

    response = subject_client.get(PAGE_URL)

    assertNotContains(response, 'data-testid="history"')
    assertContains(response, "You have not made any decision yet.")


def test_page_prompts_to_decide_again_for_reconsent_required_purposes(subject_client, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    PurposeVersionFactory(purpose=purpose, requires_reconsent=True, title="Let people use my likeness v2")

    response = subject_client.get(PAGE_URL)

    assertContains(response, 'id="reconsent-title"')
    assertContains(response, "Please decide again")
    assertContains(response, f'href="#purpose-{purpose.slug}"')
    assertContains(response, _state_badge(purpose.slug, "Needs your decision again"))
    assertContains(response, "Grant the new terms")


def test_page_shows_no_reconsent_prompt_when_nothing_changed(subject_client, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    PurposeVersionFactory(purpose=purpose, requires_reconsent=False)

    response = subject_client.get(PAGE_URL)

    assertNotContains(response, "Please decide again")
    assertContains(response, _state_badge(purpose.slug, "Granted"))


def test_anonymous_visitor_is_redirected_to_login():
    response = Client().get(PAGE_URL)

    assertRedirects(response, f"/accounts/login/?next={PAGE_URL}", fetch_redirect_response=False)


# --- Deciding ------------------------------------------------------------------------------------
def test_withdraw_redirects_to_the_page_with_a_success_message(subject_client, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    response = _post_decision(subject_client, purpose.slug, "withdraw")

    assertRedirects(response, PAGE_URL + f"#purpose-{purpose.slug}", fetch_redirect_response=False)
    page = subject_client.get(PAGE_URL)
    assertContains(page, "message-success")
    assertContains(page, "“Let other people use my likeness” is now withdrawn.")


def test_withdraw_changes_the_state_at_once(subject_client, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    _post_decision(subject_client, purpose.slug, "withdraw")

    assert consent_status_get(subject=subject, purpose=purpose).state == "withdrawn"
    event = ConsentEvent.objects.filter(subject=subject).order_by("-seq").first()
    assert (event.granted, event.channel, event.actor) == (False, "web", "subject")


def test_grant_changes_the_state_to_granted(subject_client, subject, purpose):
    response = _post_decision(subject_client, purpose.slug, "grant")

    assertRedirects(response, PAGE_URL + f"#purpose-{purpose.slug}", fetch_redirect_response=False)
    assert consent_status_get(subject=subject, purpose=purpose).state == "granted"


def test_grant_says_so_on_the_page(subject_client, purpose):
    _post_decision(subject_client, purpose.slug, "grant")

    page = subject_client.get(PAGE_URL)
    assertContains(page, "message-success")
    assertContains(page, "“Let other people use my likeness” is now granted.")


def test_htmx_decision_answers_200_with_the_partial(subject_client, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)

    response = _post_decision(subject_client, purpose.slug, "withdraw", headers={"HX-Request": "true"})

    assert response.status_code == HTTPStatus.OK
    assertNotContains(response, "<html")
    assertNotContains(response, "<body")
    assertContains(response, _state_badge(purpose.slug, "Withdrawn"))
    assertContains(response, "is now withdrawn.")
    assert consent_status_get(subject=subject, purpose=purpose).state == "withdrawn"


def test_decision_on_unknown_purpose_shows_a_readable_error_and_writes_nothing(subject_client):
    response = _post_decision(subject_client, "no-such-purpose", "grant", follow=True)

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "message-error")
    assertContains(response, "There is no active purpose with that name.")
    assert ConsentEvent.objects.count() == 0
    assert ConsentState.objects.count() == 0


def test_decision_on_inactive_purpose_shows_a_readable_error_and_writes_nothing(subject_client):
    inactive = PurposeFactory(active=False)

    response = _post_decision(subject_client, inactive.slug, "grant", follow=True)

    assertContains(response, "There is no active purpose with that name.")
    assert ConsentEvent.objects.count() == 0


@pytest.mark.parametrize("decision", ["maybe", "", "GRANT", None])
def test_invalid_decision_shows_a_readable_error_and_writes_nothing(subject_client, purpose, decision):
    response = _post_decision(subject_client, purpose.slug, decision, follow=True)

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "message-error")
    assertContains(response, "Choose to grant or to withdraw.")
    assert ConsentEvent.objects.count() == 0


def test_htmx_invalid_decision_answers_the_partial_with_the_error(subject_client, purpose):
    response = _post_decision(subject_client, purpose.slug, "maybe", headers={"HX-Request": "true"})

    assert response.status_code == HTTPStatus.OK
    assertNotContains(response, "<html")
    assertContains(response, "Choose to grant or to withdraw.")
    assert ConsentEvent.objects.count() == 0


def test_post_without_csrf_token_shows_the_form_expired_page_and_writes_nothing(subject_client, purpose):
    response = subject_client.post(_decide_url(purpose.slug), {"decision": "grant"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assertContains(response, "This form has expired", status_code=HTTPStatus.FORBIDDEN)
    assert ConsentEvent.objects.count() == 0


def test_anonymous_post_is_redirected_to_login_and_writes_nothing(purpose):
    response = Client().post(_decide_url(purpose.slug), {"decision": "grant"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
    assert ConsentEvent.objects.count() == 0


def test_get_on_the_decide_url_is_not_allowed(subject_client, purpose):
    response = subject_client.get(_decide_url(purpose.slug))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert ConsentEvent.objects.count() == 0
