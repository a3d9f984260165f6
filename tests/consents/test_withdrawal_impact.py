"""Nothing erased by surprise: a withdrawal that would erase photos says exactly what first, asks to confirm
(a page without JavaScript, a dialog with htmx), and says afterwards what is being deleted; the me API tells
the same numbers before and with the decision."""

from http import HTTPStatus

import pytest
from django.test import Client

from consents.selectors import consent_status_get, consent_withdrawal_impact
from media_vault.models import FaceUpload
from tests.consents.factories import PurposeFactory
from tests.media_vault.factories import FaceUploadFactory
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

PAGE_URL = "/consents/"


@pytest.fixture
def keep(db):
    return PurposeFactory(slug="store-uploads", title="Keep my face uploads")


@pytest.fixture
def likeness(db):
    return PurposeFactory(slug="generate-likeness", title="Generate media with my likeness")


@pytest.fixture
def studio(subject):
    partner = PartnerFactory(name="Cameo Studio")
    LinkFactory(partner=partner, subject=subject)
    return partner


@pytest.fixture
def photos(subject, keep, likeness, studio):
    """Two photos held only for `keep` (one from the portal, one from Cameo Studio), one also for `likeness`."""
    return [
        FaceUploadFactory(subject=subject, purposes=[keep]),
        FaceUploadFactory(subject=subject, purposes=[keep], partner=studio),
        FaceUploadFactory(subject=subject, purposes=[keep, likeness]),
    ]


@pytest.fixture
def client_in(subject):
    client = Client()
    client.force_login(subject)
    return client


def _withdraw(client, slug: str, headers: dict | None = None, **data):
    client.get(PAGE_URL)
    token = client.cookies["csrftoken"].value
    form = {"csrfmiddlewaretoken": token, "decision": "withdraw", **data}
    return client.post(f"/consents/{slug}/decide/", form, headers=headers or {})


def test_impact_counts_only_photos_left_with_no_granted_purpose_by_app(subject, keep, photos):
    impact = consent_withdrawal_impact(subject=subject, purpose_slug=keep.slug)

    assert (impact.own_uploads, impact.uploads_by_app, impact.uploads_to_erase) == (1, {"Cameo Studio": 1}, 2)


def test_a_withdrawal_that_erases_photos_first_asks_and_changes_nothing(client_in, subject, keep, photos):
    response = _withdraw(client_in, keep.slug)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "This permanently deletes 2 photos: 1 you uploaded, 1 held by Cameo Studio." in html
    assert 'name="confirmed_uploads" value="2"' in html
    assert consent_status_get(subject=subject, purpose=keep).granted is True
    assert FaceUpload.objects.filter(subject=subject).count() == 3


def test_confirming_withdraws_and_says_what_is_being_deleted(client_in, subject, keep, photos):
    # (the erasure itself is the orphan job's, tested with the job; here: the decision and what it says)
    response = _withdraw(client_in, keep.slug, confirmed_uploads="2", confirmed_appearances="0")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/consents/#purpose-store-uploads"
    assert consent_status_get(subject=subject, purpose=keep).granted is False
    page = client_in.get(PAGE_URL).content.decode()
    card = page.split('data-testid="feedback-store-uploads"')[1].split("</div>")[0]  # the card's own feedback
    assert "is now withdrawn. 2 photos are being deleted for good: 1 you uploaded, 1 held by Cameo Studio." in card


def test_a_confirmation_for_fewer_photos_than_would_now_go_asks_again(client_in, subject, keep, photos):
    response = _withdraw(client_in, keep.slug, confirmed_uploads="1", confirmed_appearances="0")

    assert response.status_code == HTTPStatus.OK
    assert 'name="confirmed_uploads" value="2"' in response.content.decode()
    assert consent_status_get(subject=subject, purpose=keep).granted is True


def test_a_withdrawal_that_erases_nothing_needs_no_confirmation(client_in, subject, likeness, photos):
    response = _withdraw(client_in, likeness.slug)

    assert response.status_code == HTTPStatus.FOUND
    assert consent_status_get(subject=subject, purpose=likeness).granted is False
    assert FaceUpload.objects.filter(subject=subject).count() == 3


def test_with_htmx_the_question_goes_into_the_purposes_card(client_in, keep, photos):
    response = _withdraw(client_in, keep.slug, headers={"HX-Request": "true"})

    assert response.status_code == HTTPStatus.OK
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#confirm-store-uploads", "innerHTML")
    html = response.content.decode()
    assert html.lstrip().startswith("<dialog open")
    assert "Withdraw and delete 2 photos" in html


def test_grant_and_withdraw_buttons_have_the_same_weight(client_in, subject, keep, likeness):
    FaceUploadFactory(subject=subject, purposes=[keep])  # grants keep; likeness stays not asked

    html = client_in.get(PAGE_URL).content.decode()

    withdraw = html.split('id="decide-store-uploads"')[1].split(">")[0]
    grant = html.split('id="decide-generate-likeness"')[1].split(">")[0]
    assert ">Withdraw consent<" in html and ">Grant consent<" in html
    assert withdraw.split('class="')[1].split('"')[0] == grant.split('class="')[1].split('"')[0] == "button"


def test_me_api_tells_the_impact_before_and_with_the_withdrawal(me_api, subject, keep, photos):
    before = me_api.get(f"/api/v1/me/consents/{keep.slug}/withdrawal-impact/").json()

    decided = me_api.put(f"/api/v1/me/consents/{keep.slug}/", {"granted": False}, format="json").json()

    assert before == {
        "uploads_to_erase": 2,
        "by_app": [{"app": "Cameo Studio", "uploads": 1}],
        "appearances_to_take_down": 0,
    }
    assert (decided["state"], decided["uploads_to_erase"]) == ("withdrawn", 2)
