"""The public erasure receipt (rule 7): proof without personal data; only erasure requests, by id."""

import uuid
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from data_rights.models import DataRequest
from data_rights.services import erasure_request, export_request, subject_erase
from tests.media_vault.factories import FaceUploadFactory

pytestmark = pytest.mark.django_db


def _url(request_id) -> str:
    return reverse("data_rights:erasure_receipt", args=[request_id])


@pytest.fixture
def finished_erasure(subject, password):
    FaceUploadFactory(subject=subject)
    FaceUploadFactory(subject=subject)
    erasure = erasure_request(subject=subject, password=password)
    return subject_erase(request_id=erasure.pk)


def test_receipt_path_is_public_and_stable(finished_erasure):
    assert _url(finished_erasure.pk) == f"/erasure-receipts/{finished_erasure.pk}/"

    response = Client().get(_url(finished_erasure.pk))

    assert response.status_code == HTTPStatus.OK


def test_receipt_shows_id_times_status_and_counts(finished_erasure):
    html = Client().get(_url(finished_erasure.pk)).content.decode()

    assert str(finished_erasure.pk) in html
    assert finished_erasure.created_at.isoformat()[:10] in html
    assert finished_erasure.finished_at.isoformat()[:10] in html
    assert "Finished" in html
    assert "<li>2 face photos and their 4 stored files (images and thumbnails)</li>" in html
    assert "<li>1 account (email address and password)</li>" in html


def test_receipt_shows_a_zero_as_part_of_the_proof(finished_erasure):
    html = Client().get(_url(finished_erasure.pk)).content.decode()

    assert "<li>0 exports of your data</li>" in html


def test_receipt_holds_no_personal_data(subject, password):
    email, name, ref = subject.email, subject.display_name, str(subject.ledger_ref)
    FaceUploadFactory(subject=subject)
    erasure = erasure_request(subject=subject, password=password)
    before = Client().get(_url(erasure.pk)).content.decode()

    subject_erase(request_id=erasure.pk)
    after = Client().get(_url(erasure.pk)).content.decode()

    for html in (before, after):
        assert email not in html
        assert name not in html
        assert ref not in html
    assert 'name="robots" content="noindex"' in after


def test_a_queued_erasure_shows_that_it_is_not_finished_yet(subject, password):
    erasure = erasure_request(subject=subject, password=password)

    html = Client().get(_url(erasure.pk)).content.decode()

    assert "Waiting to start" in html
    assert "Not yet" in html


def test_an_unknown_id_answers_404():
    assert Client().get(_url(uuid.uuid4())).status_code == HTTPStatus.NOT_FOUND


def test_an_export_id_answers_404(subject):
    export = export_request(subject=subject)

    assert Client().get(_url(export.pk)).status_code == HTTPStatus.NOT_FOUND


def test_a_malformed_id_answers_404():
    assert Client().get("/erasure-receipts/not-a-uuid/").status_code == HTTPStatus.NOT_FOUND
    assert not DataRequest.objects.exists()
