"""Per-app exceptions on the pages: the Connected apps page lists each app's answer per purpose with plain forms, an
answer that would erase anything asks first, and bad posts change nothing."""

from http import HTTPStatus

import pytest

from consents.models import ConsentEvent, ConsentException
from consents.services import consent_exception_set, consent_grant, consent_withdraw
from media_vault.models import FaceUpload
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.media_vault.factories import FaceUploadFactory
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cameo(db):
    return PurposeFactory(slug="cameo", title="Cameos in shared videos")


@pytest.fixture
def studio_b(subject):
    return LinkFactory(partner=PartnerFactory(name="Studio B"), subject=subject)


def _token(client) -> str:
    client.get("/consents/")  # sets the CSRF cookie
    return client.cookies["csrftoken"].value


def _decide(client, link, decision, back="apps", csrf=True, **extra):
    form = {"decision": decision, "back": back, **extra}
    if csrf:
        form["csrfmiddlewaretoken"] = _token(client)
    return client.post(f"/consents/cameo/apps/{link.pairwise_id}/", form)


def test_connected_apps_page_shows_each_purpose_with_the_apps_answer(subject_client, subject, cameo, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    consent_exception_set(subject=subject, purpose_slug="cameo", link_ref=studio_b.pk, granted=False, actor=subject)

    page = subject_client.get("/connected-apps/").content.decode()

    assert "What it may do with your face" in page
    assert "Cameos in shared videos" in page
    assert "Not allowed" in page and "only for this app" in page
    assert "Use my choice for all apps" in page
    assert f'action="/consents/cameo/apps/{studio_b.pairwise_id}/"' in page


def test_refusing_a_purpose_in_one_app_from_the_connected_apps_page(subject_client, subject, cameo, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)

    response = _decide(subject_client, studio_b, "deny")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/connected-apps/#app-{studio_b.pairwise_id}"
    exception = ConsentException.objects.get()
    assert (exception.link_ref, exception.granted) == (studio_b.pk, False)
    page = subject_client.get("/connected-apps/").content.decode()
    assert "“Cameos in shared videos” is now not allowed in Studio B" in page


def test_an_answer_that_would_erase_asks_first_and_changes_nothing_until_confirmed(
    subject_client, subject, cameo, studio_b
):
    FaceUploadFactory(subject=subject, purposes=[cameo], partner=studio_b.partner)  # grants cameo first
    events = ConsentEvent.objects.count()

    asked = _decide(subject_client, studio_b, "deny", back="")

    assert asked.status_code == HTTPStatus.OK
    page = asked.content.decode()
    assert "Stop “Cameos in shared videos” in Studio B?" in page
    assert "1 held by Studio B" in page
    assert ConsentEvent.objects.count() == events and not ConsentException.objects.exists()

    done = _decide(subject_client, studio_b, "deny", back="", confirmed_uploads="1", confirmed_appearances="0")

    assert done.status_code == HTTPStatus.FOUND
    assert done["Location"] == "/consents/#purpose-cameo"
    assert ConsentException.objects.get().granted is False


def test_following_the_choice_for_all_apps_again(subject_client, subject, cameo, studio_b):
    consent_withdraw(subject=subject, purpose_slug="cameo", actor=subject)
    consent_exception_set(subject=subject, purpose_slug="cameo", link_ref=studio_b.pk, granted=True, actor=subject)

    response = _decide(subject_client, studio_b, "follow")

    assert response.status_code == HTTPStatus.FOUND
    assert not ConsentException.objects.exists()
    assert ConsentEvent.objects.filter(exception_removed=True).count() == 1


@pytest.mark.parametrize("decision", ["", "maybe"])
def test_a_post_without_a_valid_choice_changes_nothing(subject_client, subject, cameo, studio_b, decision):
    response = _decide(subject_client, studio_b, decision)

    assert response.status_code == HTTPStatus.FOUND
    assert not ConsentEvent.objects.exists()
    assert "Choose what this app may do." in subject_client.get("/connected-apps/").content.decode()


def test_another_persons_app_is_refused_and_nothing_changes(subject_client, cameo):
    someone_elses = LinkFactory(subject=UserFactory())

    response = _decide(subject_client, someone_elses, "deny")

    assert response.status_code == HTTPStatus.FOUND
    assert not ConsentEvent.objects.exists()
    assert "No such connected app." in subject_client.get("/connected-apps/").content.decode()


def test_the_page_form_needs_the_csrf_token(subject_client, cameo, studio_b):
    response = _decide(subject_client, studio_b, "deny", csrf=False)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not FaceUpload.objects.exists() and not ConsentEvent.objects.exists()


def test_consent_page_lists_each_connected_app_under_each_purpose(subject_client, subject, cameo, studio_b):
    studio_a = LinkFactory(partner=PartnerFactory(name="Studio A"), subject=subject)
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    consent_exception_set(subject=subject, purpose_slug="cameo", link_ref=studio_b.pk, granted=False, actor=subject)

    page = subject_client.get("/consents/").content.decode()

    assert 'data-testid="per-app-cameo" open' in page  # open: an app has its own answer
    assert "In each of your 2 connected apps" in page and "1 with its own answer" in page
    assert f'data-testid="app-answer-cameo-{studio_a.pairwise_id}"' in page
    assert f'data-testid="app-answer-cameo-{studio_b.pairwise_id}"' in page
    assert "in Studio B only" in page  # the history names the app of a per-app decision


def test_a_per_app_answer_from_the_consent_page_comes_back_to_the_purposes_card(
    subject_client, subject, cameo, studio_b
):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)

    response = _decide(subject_client, studio_b, "deny", back="")

    assert response["Location"] == "/consents/#purpose-cameo"
    page = subject_client.get("/consents/").content.decode()
    assert "“Cameos in shared videos” is now not allowed in Studio B, whatever you choose for other apps." in page
