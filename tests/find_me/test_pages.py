"""The "Found you" page: find-me explained while it is off; once on, the templates kept and every sighting with a
blurred preview of the matched face only, its status in words, and "Not me" / "Remove me" as plain form posts.
And the consent page: withdrawing find-me says first what it destroys."""

import io
import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import formats, timezone
from PIL import Image

from find_me.models import FaceTemplate, Sighting
from find_me.selectors import PREVIEW_SIDE, SIMILARITY_WORDS, sighting_similarity
from partners.models import WebhookEvent
from tests.consents.factories import PurposeVersionFactory
from tests.find_me.conftest_pages import *  # noqa: F403 (its fixtures)

pytestmark = pytest.mark.django_db

PAGE = "/found-you/"


def _csrf(client: Client) -> str:
    client.get(PAGE)
    return client.cookies["csrftoken"].value


def _post(client: Client, path: str, **data):
    return client.post(path, {"csrfmiddlewaretoken": _csrf(client), **data})


def _card(page: str, sighting: Sighting) -> str:
    """The part of the page about one sighting (its list item)."""
    return page.split(f'id="sighting-{sighting.pk}"')[1].split("</li>")[0]


def _local(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "j M Y, H:i")


# --- Find-me off ------------------------------------------------------------------------------------------------------


def test_without_find_me_the_page_explains_it_is_opt_in_and_links_the_consent_card(subject_client, find_me):
    page = subject_client.get(PAGE).content.decode()

    assert "Find-me is off" in page
    assert "Find-me is opt-in." in page
    assert 'href="/consents/#purpose-find-me"' in page
    assert 'data-testid="sightings"' not in page and 'data-testid="templates"' not in page


def test_while_find_me_asks_again_the_page_shows_no_sighting_and_says_why(subject_client, sighted, find_me):
    sighted()
    PurposeVersionFactory(purpose=find_me, requires_reconsent=True)

    page = subject_client.get(PAGE).content.decode()

    assert "Find-me is paused until you decide again" in page
    assert 'data-testid="sightings"' not in page
    assert 'href="/consents/#purpose-find-me"' in page


def test_the_page_says_the_rules_of_find_me_in_plain_words(subject_client, find_me):
    page = subject_client.get(PAGE).content.decode()

    assert "Faces of people who did not opt in are compared in memory and discarded: they are never stored." in page
    assert "photos uploaded before are not" in page
    assert "The person or app that uploaded a photo is never told who matched." in page
    assert "Turning find-me off destroys every template and sighting at once." in page


def test_the_main_navigation_links_the_page_and_marks_it_current(subject_client, find_me):
    page = subject_client.get(PAGE).content.decode()
    other = subject_client.get("/appearances/").content.decode()

    assert '<a href="/found-you/" aria-current="page">Found you</a>' in page
    assert '<a href="/found-you/" >Found you</a>' in other


# --- Find-me on -------------------------------------------------------------------------------------------------------


def test_the_page_says_how_many_templates_exist_and_when_they_were_made(subject_client, enrolled):
    made = FaceTemplate.objects.get(subject=enrolled).created_at

    page = subject_client.get(PAGE).content.decode()

    assert "1 face template, made from your own photo that shows only your face." in page
    assert f'Made on <time datetime="{timezone.localtime(made).isoformat()}">' in page
    assert "Your face has not been found in anyone else's photo." in page


def test_the_page_lists_every_sighting_newest_first_with_its_app_similarity_and_status(subject_client, one_of_each):
    page = subject_client.get(PAGE).content.decode()

    listed = re.findall(r'<li class="card upload sighting" id="sighting-([0-9a-f-]+)"', page)
    newest_first = sorted(one_of_each.values(), key=lambda s: s.found_at, reverse=True)
    assert listed == [str(s.pk) for s in newest_first]
    expected = {
        "found": "New",
        "not_me": "You said it is not you",
        "removal_requested": "Removal requested",
        "overdue": "Removal overdue",
        "removed": "Removed",
        "in_portal": "New",
    }
    for name, sighting in one_of_each.items():
        card = _card(page, sighting)
        assert f'data-testid="status">{expected[name]}</span>' in card, name
        assert str(SIMILARITY_WORDS[sighting_similarity(sighting=sighting)]).capitalize() in card, name
        assert _local(sighting.found_at) in card, name
    assert "In a photo held by Studio B" in _card(page, one_of_each["found"])
    assert "In a photo uploaded in the portal" in _card(page, one_of_each["in_portal"])


def test_a_requested_removal_shows_its_deadline_and_an_overdue_one_says_so(subject_client, one_of_each):
    page = subject_client.get(PAGE).content.decode()

    requested, overdue = _card(page, one_of_each["removal_requested"]), _card(page, one_of_each["overdue"])
    assert "Removal due" in requested and _local(one_of_each["removal_requested"].removal_due_at) in requested
    assert _local(one_of_each["overdue"].removal_due_at) in overdue and "<strong>(overdue)</strong>" in overdue


def test_only_sightings_with_something_to_answer_have_buttons(subject_client, one_of_each):
    page = subject_client.get(PAGE).content.decode()

    for name, sighting in one_of_each.items():
        card = _card(page, sighting)
        not_me = f'action="/found-you/{sighting.pk}/not-me/"' in card
        remove = f'action="/found-you/{sighting.pk}/remove/"' in card
        assert (not_me, remove) == {
            "found": (True, True),
            "in_portal": (True, True),
            "not_me": (False, True),  # said "not me" by mistake: removal can still be asked for
            "removal_requested": (False, False),
            "overdue": (False, False),
            "removed": (False, False),
        }[name], name


def test_each_preview_is_an_image_with_words_and_a_removed_photo_has_none(subject_client, one_of_each):
    page = subject_client.get(PAGE).content.decode()

    found = _card(page, one_of_each["found"])
    assert (
        f'<img src="/found-you/{one_of_each["found"].pk}/preview.jpg" alt="Blurred preview of the face that matched"'
        in found
    )
    removed = _card(page, one_of_each["removed"])
    assert "<img" not in removed and "The photo is gone" in removed


# --- The preview ------------------------------------------------------------------------------------------------------


def test_the_preview_is_the_matched_face_only_small_and_private(subject_client, sighted):
    sighting = sighted()

    response = subject_client.get(f"/found-you/{sighting.pk}/preview.jpg")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    with Image.open(io.BytesIO(response.content)) as preview:
        assert max(preview.size) <= PREVIEW_SIDE  # the face cut from a 900 x 600 photo, never the photo


def test_the_preview_answers_404_to_anyone_else_and_once_the_photo_is_gone(sighted, other_subject, subject_client):
    from media_vault.services import upload_erase

    sighting = sighted()
    other = Client()
    other.force_login(other_subject)

    assert other.get(f"/found-you/{sighting.pk}/preview.jpg").status_code == HTTPStatus.NOT_FOUND
    assert Client().get(f"/found-you/{sighting.pk}/preview.jpg").status_code == HTTPStatus.FOUND  # to sign in
    upload_erase(upload_id=sighting.upload_ref)
    assert subject_client.get(f"/found-you/{sighting.pk}/preview.jpg").status_code == HTTPStatus.NOT_FOUND


# --- Answers ----------------------------------------------------------------------------------------------------------


def test_not_me_is_a_plain_form_post_that_comes_back_with_a_message(subject_client, sighted):
    sighting = sighted()

    response = _post(subject_client, f"/found-you/{sighting.pk}/not-me/")

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/found-you/#sighting-{sighting.pk}"
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.NOT_ME
    card = _card(subject_client.get(PAGE).content.decode(), sighting)  # where the browser lands
    assert "Noted: that face is not you. The photo will not be matched with you again." in card


def test_remove_me_asks_the_app_and_says_by_when(subject_client, sighted, studio):
    sighting = sighted()

    response = _post(subject_client, f"/found-you/{sighting.pk}/remove/")

    assert response["Location"] == f"/found-you/#sighting-{sighting.pk}"
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.REMOVAL_REQUESTED
    assert WebhookEvent.objects.filter(partner=studio, event_type="sighting.removal_requested").count() == 1
    page = subject_client.get(PAGE).content.decode()
    card = _card(page, sighting)
    assert f"Studio B has been asked to delete that photo by {_local(sighting.removal_due_at)}." in card
    assert page.count("has been asked to delete that photo") == 1  # in the card, where the browser lands, only
    assert f'action="/found-you/{sighting.pk}/remove/"' not in card  # nothing more to ask


def test_remove_me_for_a_photo_uploaded_in_the_portal_says_by_when(subject_client, sighted):
    sighting = sighted(in_app=False)

    _post(subject_client, f"/found-you/{sighting.pk}/remove/")

    sighting.refresh_from_db()
    card = _card(subject_client.get(PAGE).content.decode(), sighting)
    assert f"The privacy team has been asked to delete that photo by {_local(sighting.removal_due_at)}." in card


@pytest.mark.parametrize("answer", ["not-me", "remove"])
def test_an_answer_once_the_photo_is_gone_says_so_and_changes_nothing(subject_client, sighted, answer):
    from media_vault.services import upload_erase

    sighting = sighted()
    upload_erase(upload_id=sighting.upload_ref)

    response = _post(subject_client, f"/found-you/{sighting.pk}/{answer}/")

    assert response.status_code == HTTPStatus.FOUND
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FOUND
    assert "That photo has already been removed" in _card(subject_client.get(PAGE).content.decode(), sighting)


@pytest.mark.parametrize("answer", ["not-me", "remove"])
def test_answering_another_persons_sighting_is_404_and_changes_nothing(sighted, other_subject, answer):
    sighting = sighted()
    other = Client(enforce_csrf_checks=True)
    other.force_login(other_subject)

    response = _post(other, f"/found-you/{sighting.pk}/{answer}/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FOUND
    assert not WebhookEvent.objects.filter(event_type="sighting.removal_requested").exists()


def test_an_answer_without_the_csrf_token_is_refused(subject_client, sighted):
    sighting = sighted()

    response = subject_client.post(f"/found-you/{sighting.pk}/remove/")

    assert response.status_code == HTTPStatus.FORBIDDEN
    sighting.refresh_from_db()
    assert sighting.status == Sighting.Status.FOUND


# --- Withdrawing find-me on the consent page ----------------------------------------------------------------------------


def _withdraw_find_me(client: Client, **data):
    client.get("/consents/")
    form = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, "decision": "withdraw", **data}
    return client.post("/consents/find-me/decide/", form)


def test_withdrawing_find_me_asks_first_and_says_the_templates_and_sightings_go(subject_client, sighted):
    sighted()

    response = _withdraw_find_me(subject_client)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Your 1 face template is destroyed and the 1 sighting found so far is forgotten." in html
    assert "Withdraw and delete 0 photos" not in html and "Yes, withdraw" in html  # no photo goes
    assert FaceTemplate.objects.count() == 1 and Sighting.objects.count() == 1


def test_confirming_the_withdrawal_of_find_me_forgets_and_says_so(subject_client, sighted):
    sighted()
    sighted()

    response = _withdraw_find_me(subject_client, confirmed_uploads="0", confirmed_appearances="0")

    assert response["Location"] == "/consents/#purpose-find-me"
    assert FaceTemplate.objects.count() == 0 and Sighting.objects.count() == 0
    page = subject_client.get("/consents/").content.decode()
    feedback = page.split('data-testid="feedback-find-me"')[1].split("</div>")[0]
    assert (
        "is now withdrawn. Your 1 face template is destroyed and the 2 sightings found so far are forgotten."
        in feedback
    )


def test_withdrawing_find_me_with_nothing_kept_needs_no_confirmation(subject_client, subject, find_me):
    from tests.find_me.conftest import opt_in

    opt_in(subject)

    response = _withdraw_find_me(subject_client)

    assert response.status_code == HTTPStatus.FOUND
