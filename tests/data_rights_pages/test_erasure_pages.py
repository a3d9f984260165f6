"""Erasure from the pages (rule 7): one password prompt, on the form itself; then signed out with a receipt link."""

from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import User
from data_rights.models import DataRequest
from data_rights.services import subject_erase

pytestmark = pytest.mark.django_db

CONFIRM = "/your-data/erasure/"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def signed_in(subject) -> Client:
    """Signed in a while ago: no recent re-authentication, as a person who opens the page from the menu."""
    return _signed_in(subject)


def _nothing_changed(subject) -> None:
    subject.refresh_from_db()
    assert subject.is_active
    assert subject.has_usable_password()
    assert not DataRequest.objects.filter(kind=DataRequest.Kind.ERASURE).exists()


def test_erasure_page_lives_at_its_path_and_needs_sign_in(client):
    assert reverse("data_rights:erasure_confirm") == CONFIRM
    response = client.get(CONFIRM)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_erasure_page_asks_for_the_password_once_without_a_reauthentication_page_first(signed_in):
    response = signed_in.get(CONFIRM)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK  # not a redirect to allauth's "Confirm access"
    assert html.count('type="password"') == 1
    assert 'autocomplete="current-password"' in html
    for words in (
        "face upload",
        "thumbnail",
        "copy of your data",
        "tamper-evident ledger",
        "told",
        "who opened",
        "Your account",
    ):
        assert words in html


def test_the_password_on_the_form_is_the_only_prompt(signed_in, subject, password):
    # given a subject who has not re-authenticated since signing in
    # when the form is sent with the right password
    response = signed_in.post(CONFIRM, {"password": password})

    # then the account is closed at once, with no detour through the re-authentication page
    assert response.status_code == HTTPStatus.OK
    assert "Your account is closed" in response.content.decode()
    subject.refresh_from_db()
    assert not subject.is_active
    stored = [str(s.get_decoded()) for s in Session.objects.all()]
    assert not any(password in data for data in stored)  # the password was never parked in a session


def test_a_wrong_password_is_a_form_error_and_changes_nothing(signed_in, subject):
    response = signed_in.post(CONFIRM, {"password": "not-my-password-1"})

    assert response.status_code == HTTPStatus.OK
    assert "The password is not correct." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    _nothing_changed(subject)
    assert signed_in.get(reverse("data_rights:your_data")).status_code == HTTPStatus.OK  # still signed in


def test_a_missing_password_is_a_form_error_and_changes_nothing(signed_in, subject):
    response = signed_in.post(CONFIRM, {})

    assert response.status_code == HTTPStatus.OK
    assert "This field is required." in response.content.decode()
    _nothing_changed(subject)


def test_the_right_password_closes_the_account_and_shows_the_request_id_and_receipt_link(signed_in, subject, password):
    response = signed_in.post(CONFIRM, {"password": password})

    erasure = DataRequest.objects.get(kind=DataRequest.Kind.ERASURE)
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert erasure.subject == subject
    assert str(erasure.pk) in html
    assert reverse("data_rights:erasure_receipt", args=[erasure.pk]) in html
    subject.refresh_from_db()
    assert not subject.is_active
    assert not subject.has_usable_password()


def test_after_erasure_the_subject_is_signed_out_everywhere(signed_in, subject, password):
    elsewhere = _signed_in(subject)

    signed_in.post(CONFIRM, {"password": password})

    for client in (signed_in, elsewhere):
        response = client.get(reverse("data_rights:your_data"))
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("account_login"))
    assert not any(str(s.get_decoded().get("_auth_user_id")) == str(subject.pk) for s in Session.objects.all())


def test_the_erasure_is_queued_after_commit(signed_in, password, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        signed_in.post(CONFIRM, {"password": password})

    assert len(callbacks) == 1


def test_erasure_post_needs_a_csrf_token(subject, password):
    client = Client(enforce_csrf_checks=True)
    client.force_login(subject)

    response = client.post(CONFIRM, {"password": password})

    assert response.status_code == HTTPStatus.FORBIDDEN
    _nothing_changed(subject)


def test_once_the_background_job_ran_the_receipt_shows_done_and_the_account_is_gone(signed_in, subject, password):
    signed_in.post(CONFIRM, {"password": password})
    erasure = DataRequest.objects.get(kind=DataRequest.Kind.ERASURE)

    subject_erase(request_id=erasure.pk)

    assert not User.objects.filter(pk=subject.pk).exists()
    html = Client().get(reverse("data_rights:erasure_receipt", args=[erasure.pk])).content.decode()
    assert "Finished" in html
    assert subject.email not in html


def test_the_receipt_counts_the_sessions_the_request_ended(signed_in, subject, password):
    # given the subject is signed in here and in a second browser
    _signed_in(subject)

    # when the erasure is asked for here and the background job finishes later
    signed_in.post(CONFIRM, {"password": password})
    erasure = DataRequest.objects.get(kind=DataRequest.Kind.ERASURE)
    subject_erase(request_id=erasure.pk)

    # then the receipt counts both sessions, although they had ended long before the job ran
    html = Client().get(reverse("data_rights:erasure_receipt", args=[erasure.pk])).content.decode()
    assert "<li>2 signed-in sessions</li>" in html
