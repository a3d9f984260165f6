"""Erasure and find-me (rule 7, DESIGN "Find me"): erasing an account destroys the person's face templates and
sightings before their photos and key, counts them on the receipt once however often the job is resumed, and another
opted-in person's sighting in the erased person's photo then shows as removed."""

import pytest

from data_rights import erasure as erasure_steps
from data_rights.models import DataRequest
from data_rights.receipt import receipt_lines
from data_rights.services import erasure_request, subject_erase
from find_me.models import FaceTemplate, Sighting
from find_me.selectors import sighting_status_shown
from find_me.services import subject_enrol, uploads_scan_pending
from media_vault.exceptions import StorageUnavailable
from media_vault.models import FaceUpload
from media_vault.storage import subject_data_key_existing
from tests.accounts.factories import UserFactory
from tests.find_me.conftest import opt_in
from tests.media_vault.factories import FaceUploadFactory
from tests.partners.factories import LinkFactory

pytestmark = pytest.mark.django_db


def _erase(subject, password) -> DataRequest:
    erasure = erasure_request(subject=subject, password=password)
    subject_erase(request_id=erasure.pk)
    return DataRequest.objects.get(pk=erasure.pk)


def test_erasure_destroys_the_templates_and_sightings_and_counts_them(found, password):
    subject_id = found.subject.pk
    templates = FaceTemplate.objects.filter(subject_id=subject_id).count()
    sightings = Sighting.objects.filter(subject_id=subject_id).count()
    assert (templates, sightings) == (1, 1)

    erasure = _erase(found.subject, password)

    assert erasure.status == DataRequest.Status.DONE
    assert not FaceTemplate.objects.filter(subject_id=subject_id).exists()
    assert not Sighting.objects.filter(subject_id=subject_id).exists()
    assert (erasure.receipt["face_templates"], erasure.receipt["sightings"]) == (templates, sightings)
    lines = receipt_lines(receipt=erasure.receipt)
    assert "1 face template (what Find me used to recognise your face)" in lines
    assert "1 place where Find me found your face in someone else's photo" in lines


def test_templates_and_sightings_go_before_the_photos_and_the_key(found, password, monkeypatch):
    subject = found.subject
    seen = {}
    erase_uploads = erasure_steps.uploads_erase_for_subject

    def uploads_erase_watched(*, subject, on_batch):
        seen["when the photos go"] = (
            FaceTemplate.objects.filter(subject=subject).count(),
            Sighting.objects.filter(subject=subject).count(),
            subject_data_key_existing(subject=subject) is not None,
        )
        return erase_uploads(subject=subject, on_batch=on_batch)

    monkeypatch.setattr(erasure_steps, "uploads_erase_for_subject", uploads_erase_watched)

    _erase(subject, password)

    assert seen == {"when the photos go": (0, 0, True)}


def test_a_resumed_erasure_counts_the_templates_and_sightings_once(found, password, monkeypatch):
    erase_uploads = erasure_steps.uploads_erase_for_subject
    calls = []

    def storage_down_the_first_time(*, subject, on_batch):
        calls.append(subject.pk)
        if len(calls) == 1:
            raise StorageUnavailable()
        return erase_uploads(subject=subject, on_batch=on_batch)

    monkeypatch.setattr(erasure_steps, "uploads_erase_for_subject", storage_down_the_first_time)
    erasure = erasure_request(subject=found.subject, password=password)
    with pytest.raises(StorageUnavailable):
        subject_erase(request_id=erasure.pk)
    interrupted = DataRequest.objects.get(pk=erasure.pk)
    assert interrupted.status == DataRequest.Status.QUEUED
    assert (interrupted.receipt["face_templates"], interrupted.receipt["sightings"]) == (1, 1)  # committed with them

    finished = subject_erase(request_id=erasure.pk)

    assert finished.status == DataRequest.Status.DONE and finished.attempts == 2
    assert (finished.receipt["face_templates"], finished.receipt["sightings"]) == (1, 1)


def test_a_find_me_step_that_fails_midway_erases_and_counts_nothing_then_everything(found, password, monkeypatch):
    forget = erasure_steps.find_me_forget_for_subject

    def crashes_after_deleting(*, subject):
        forget(subject=subject)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(erasure_steps, "find_me_forget_for_subject", crashes_after_deleting)
    erasure = erasure_request(subject=found.subject, password=password)
    with pytest.raises(RuntimeError):
        subject_erase(request_id=erasure.pk)
    assert FaceTemplate.objects.filter(subject=found.subject).count() == 1  # rolled back with its tally
    assert "face_templates" not in DataRequest.objects.get(pk=erasure.pk).receipt
    monkeypatch.undo()

    finished = subject_erase(request_id=erasure.pk)

    assert (finished.receipt["face_templates"], finished.receipt["sightings"]) == (1, 1)


def test_a_sighting_found_while_the_erasure_runs_is_erased_and_counted(
    found, password, avatar, astronaut_elsewhere, monkeypatch
):
    """A comparison batch that decrypted the templates before the first pass may write a sighting after it (the
    consents still say yes until their step): the second pass, in the consents' own transaction, takes it."""
    from find_me import services as find_me_services

    in_memory = find_me_services.enrolled_templates_load()  # the batch started before the erasure
    monkeypatch.setattr(find_me_services, "enrolled_templates_load", lambda: in_memory)
    late_uploader = UserFactory()
    LinkFactory(partner=found.partner, subject=late_uploader)
    links_erase = erasure_steps.links_erase_for_subject

    def links_erase_while_the_batch_ends(*, subject):
        assert not FaceTemplate.objects.filter(subject=subject).exists()  # the first pass ran
        FaceUploadFactory(subject=late_uploader, purposes=[avatar], partner=found.partner, image=astronaut_elsewhere)
        uploads_scan_pending()
        assert Sighting.objects.filter(subject=subject).count() == 1
        return links_erase(subject=subject)

    monkeypatch.setattr(erasure_steps, "links_erase_for_subject", links_erase_while_the_batch_ends)

    erasure = _erase(found.subject, password)

    assert not Sighting.objects.filter(subject_id=found.subject.pk).exists()
    assert (erasure.receipt["face_templates"], erasure.receipt["sightings"]) == (1, 2)


def test_another_persons_sighting_in_the_erased_persons_photo_shows_removed(
    subject, password, other_subject, avatar, find_me, astronaut_photo, astronaut_elsewhere
):
    # given another person who opted in, and was found in a photo that the subject uploaded
    opt_in(other_subject)
    FaceUploadFactory(subject=other_subject, purposes=[avatar], image=astronaut_photo)
    assert subject_enrol(subject_id=other_subject.pk) == 1
    theirs = FaceUploadFactory(subject=subject, purposes=[avatar], image=astronaut_elsewhere)
    uploads_scan_pending()
    sighting = Sighting.objects.get(subject=other_subject)
    assert sighting.upload_id == theirs.pk and sighting_status_shown(sighting=sighting) == "found"

    # when the subject's account is erased
    erasure = _erase(subject, password)

    # then the other person's sighting stays theirs, shown as removed; it is not the erased person's to count
    sighting.refresh_from_db()
    assert sighting.upload_id is None and not FaceUpload.objects.filter(pk=theirs.pk).exists()
    assert sighting_status_shown(sighting=sighting) == "removed"
    assert FaceTemplate.objects.filter(subject=other_subject).count() == 1
    assert (erasure.receipt["face_templates"], erasure.receipt["sightings"]) == (0, 0)
