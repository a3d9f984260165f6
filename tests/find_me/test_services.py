"""Find me, the core: enrolment only while opted in, comparison of new uploads, the answers, and forgetting."""

from datetime import timedelta

import numpy as np
import pytest
from cryptography.exceptions import InvalidTag
from django.db import connection
from django.utils import timezone

from consents.models import Channel
from consents.services import consent_withdraw, ledger_append
from find_me.matching import template_decrypt
from find_me.models import FaceTemplate, Sighting, UploadScan
from find_me.selectors import find_me_records_count, sighting_status_shown
from find_me.services import (
    FIND_ME,
    find_me_forget_ungranted,
    sighting_dismiss,
    sighting_removal_request,
    subject_enrol,
    uploads_scan_pending,
)
from media_vault.services import upload_erase
from media_vault.storage import subject_data_key, subject_data_keys_existing
from partners.models import WebhookEvent
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeVersionFactory
from tests.find_me.conftest import opt_in
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    """Opted in, with one photo of her own face."""
    return UserFactory()


@pytest.fixture
def bob(db):
    """Uploads photos through an app; never opted in."""
    return UserFactory()


@pytest.fixture
def app(db):
    return PartnerFactory(name="Studio B", webhook_url="")


def _enrolled(alice, upload_of, astronaut_photo, find_me, store):
    opt_in(alice)
    upload_of(alice, astronaut_photo, purposes=[store])
    assert subject_enrol(subject_id=alice.pk) == 1


def test_no_template_exists_without_find_me(alice, upload_of, astronaut_photo, find_me, store):
    upload_of(alice, astronaut_photo, purposes=[store])

    assert subject_enrol(subject_id=alice.pk) == 0
    uploads_scan_pending()  # her own new upload is compared, but she has not opted in

    assert FaceTemplate.objects.count() == 0


def _stored_objects() -> set[str]:
    from django.core.files.storage import default_storage

    try:
        return set(default_storage.listdir("vault")[1])  # local files or S3, as configured
    except FileNotFoundError:  # no object stored yet (local files)
        return set()


def test_opting_in_makes_one_template_per_one_face_photo(alice, upload_of, astronaut_photo, find_me, store):
    own = upload_of(alice, astronaut_photo, purposes=[store])
    opt_in(alice)
    objects_before = _stored_objects()

    assert subject_enrol(subject_id=alice.pk) == 1
    assert _stored_objects() == objects_before  # a template lives in its row only, never in storage
    assert subject_enrol(subject_id=alice.pk) == 0  # once per photo

    template = FaceTemplate.objects.get()
    assert template.subject == alice and template.source_upload_id == own.pk


def test_a_template_is_unreadable_without_the_subjects_key(alice, upload_of, astronaut_photo, find_me, store):
    _enrolled(alice, upload_of, astronaut_photo, find_me, store)
    template = FaceTemplate.objects.get()
    blob = bytes(template.vector_encrypted)

    vector = template_decrypt(data_key=subject_data_key(subject=alice), name=template.object_name, blob=blob)
    assert vector.shape == (128,) and np.isfinite(vector).all()
    assert vector.astype("<f4").tobytes() not in blob  # not stored in clear
    with pytest.raises(InvalidTag):
        template_decrypt(data_key=bytes(32), name=template.object_name, blob=blob)
    with pytest.raises(InvalidTag):  # nor moved to another template's row
        template_decrypt(data_key=subject_data_key(subject=alice), name="face-template:other", blob=blob)


def test_a_new_upload_of_her_face_by_someone_else_becomes_one_sighting(
    alice, bob, app, upload_of, astronaut_photo, astronaut_elsewhere, find_me, store
):
    _enrolled(alice, upload_of, astronaut_photo, find_me, store)
    LinkFactory(partner=app, subject=bob)
    theirs = upload_of(bob, astronaut_elsewhere, purposes=[store], partner=app)

    assert uploads_scan_pending() >= 1
    uploads_scan_pending()  # once per upload and person

    sighting = Sighting.objects.get()
    assert sighting.subject == alice and sighting.upload_id == theirs.pk and sighting.partner == app
    assert sighting.distance <= 0.5 and sighting.face_box == theirs.face_boxes[0]
    assert UploadScan.objects.get(upload=theirs).scanned_at is not None
    assert not FaceTemplate.objects.filter(subject=bob).exists()  # his faces are compared, never kept


def test_the_uploaders_own_photos_never_produce_a_sighting_of_themselves(
    alice, upload_of, astronaut_photo, astronaut_elsewhere, find_me, store
):
    _enrolled(alice, upload_of, astronaut_photo, find_me, store)
    upload_of(alice, astronaut_elsewhere, purposes=[store])

    uploads_scan_pending()

    assert not Sighting.objects.exists()


def test_uploads_made_before_she_enrolled_are_not_back_scanned(
    alice, bob, upload_of, astronaut_photo, astronaut_elsewhere, find_me, store
):
    upload_of(bob, astronaut_elsewhere, purposes=[store])  # before she opted in
    _enrolled(alice, upload_of, astronaut_photo, find_me, store)

    uploads_scan_pending()

    assert not Sighting.objects.exists()


def test_uploads_older_than_the_window_are_never_compared(
    alice, bob, upload_of, astronaut_photo, astronaut_elsewhere, find_me, store
):
    _enrolled(alice, upload_of, astronaut_photo, find_me, store)
    upload_of(bob, astronaut_elsewhere, purposes=[store])

    assert uploads_scan_pending(now=timezone.now() + timedelta(days=3)) == 0
    assert not Sighting.objects.exists()


@pytest.fixture
def sighting(alice, bob, app, upload_of, astronaut_photo, astronaut_elsewhere, find_me, store):
    _enrolled(alice, upload_of, astronaut_photo, find_me, store)
    LinkFactory(partner=app, subject=bob)
    upload_of(bob, astronaut_elsewhere, purposes=[store], partner=app)
    uploads_scan_pending()
    return Sighting.objects.get()


def test_withdrawing_find_me_leaves_no_template_and_no_sighting(alice, sighting):
    assert find_me_records_count(subject=alice) == (1, 1)
    # storage holds the two photos (image and thumbnail each) and nothing of find-me
    assert len(_stored_objects()) == 4

    consent_withdraw(subject=alice, purpose_slug=FIND_ME, channel=Channel.WEB, actor=alice)

    assert FaceTemplate.objects.count() == 0 and Sighting.objects.count() == 0
    assert len(_stored_objects()) == 4  # the photos stay (other purposes keep them); nothing else was stored
    if connection.vendor == "postgresql":  # and nothing left in the database's tables either
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM find_me_facetemplate UNION ALL SELECT count(*) FROM find_me_sighting")
            assert [row[0] for row in cursor.fetchall()] == [0, 0]


def test_a_rolled_back_withdrawal_keeps_them(alice, sighting):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        consent_withdraw(subject=alice, purpose_slug=FIND_ME, channel=Channel.WEB, actor=alice)
        raise RuntimeError

    assert find_me_records_count(subject=alice) == (1, 1)


def test_a_new_version_that_asks_again_forgets_her_at_the_sweep(alice, sighting, find_me):
    PurposeVersionFactory(purpose=find_me, requires_reconsent=True)

    assert find_me_forget_ungranted() == 1
    assert find_me_records_count(subject=alice) == (0, 0)


def test_deleting_the_source_upload_destroys_its_template(alice, sighting):
    template = FaceTemplate.objects.get()

    upload_erase(upload_id=template.source_upload_id)

    assert not FaceTemplate.objects.exists()


def test_no_sighting_is_written_once_find_me_is_withdrawn(
    alice, bob, upload_of, astronaut_photo, astronaut_elsewhere, find_me, store
):
    _enrolled(alice, upload_of, astronaut_photo, find_me, store)
    upload_of(bob, astronaut_elsewhere, purposes=[store])
    # withdrawn as a ledger event only: her templates stay, as if the comparison had loaded them a moment before
    ledger_append(subject=alice, purpose=find_me, granted=False, channel=Channel.WEB, actor=alice)

    uploads_scan_pending()

    assert not Sighting.objects.exists()


def test_not_me_dismisses_it_and_the_upload_is_not_matched_again(sighting):
    dismissed = sighting_dismiss(sighting=sighting)
    UploadScan.objects.all().delete()  # even if that upload were compared again

    uploads_scan_pending()

    assert dismissed.status == Sighting.Status.NOT_ME and Sighting.objects.get().status == Sighting.Status.NOT_ME


def test_remove_me_tells_the_app_that_holds_the_photo_with_its_own_ids_only(alice, bob, app, sighting):
    requested = sighting_removal_request(sighting=sighting)

    assert requested.status == Sighting.Status.REMOVAL_REQUESTED
    assert requested.removal_due_at - requested.answered_at == timedelta(hours=48)
    event = WebhookEvent.objects.get(event_type="sighting.removal_requested")
    link = bob.links.get(partner=app)
    assert event.partner == app and event.payload["data"] == {
        "subject_id": str(link.pairwise_id),
        "upload_id": str(sighting.upload_ref),
        "due_at": requested.removal_due_at.isoformat().replace("+00:00", "Z"),
    }
    assert str(alice.ledger_ref) not in str(event.payload) and alice.email not in str(event.payload)
    sighting_removal_request(sighting=sighting)  # asking again changes nothing
    assert WebhookEvent.objects.filter(event_type="sighting.removal_requested").count() == 1


def test_a_removal_request_and_its_webhook_commit_together(sighting):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        sighting_removal_request(sighting=sighting)
        raise RuntimeError

    assert Sighting.objects.get().status == Sighting.Status.FOUND
    assert not WebhookEvent.objects.filter(event_type="sighting.removal_requested").exists()


def test_the_app_deleting_the_upload_shows_the_sighting_removed_and_overdue_before(sighting):
    requested = sighting_removal_request(sighting=sighting)
    assert sighting_status_shown(sighting=requested, now=requested.removal_due_at + timedelta(seconds=1)) == "overdue"

    upload_erase(upload_id=sighting.upload_ref)

    sighting.refresh_from_db()
    assert sighting.upload_id is None and sighting_status_shown(sighting=sighting) == "removed"


def test_erased_subjects_templates_cannot_be_read(alice, sighting):
    from media_vault.services import data_key_erase_for_subject

    data_key_erase_for_subject(subject=alice)

    assert alice.pk not in subject_data_keys_existing(subject_ids=[alice.pk])


def test_no_to_find_me_for_one_app_forgets_its_sightings_and_finds_none_there(
    alice, bob, app, sighting, upload_of, astronaut_elsewhere, store
):
    from consents.services import consent_exception_set
    from find_me.selectors import sightings_count_for_app

    alice_link = LinkFactory(partner=app, subject=alice)
    assert sightings_count_for_app(subject=alice, link_ref=alice_link.pk) == 1

    consent_exception_set(subject=alice, purpose_slug=FIND_ME, link_ref=alice_link.pk, granted=False, actor=alice)

    assert not Sighting.objects.exists() and FaceTemplate.objects.filter(subject=alice).count() == 1
    upload_of(bob, astronaut_elsewhere, purposes=[store], partner=app)  # a new photo of her in that app
    uploads_scan_pending()
    assert not Sighting.objects.exists()
    upload_of(bob, astronaut_elsewhere, purposes=[store])  # but elsewhere she is still found
    uploads_scan_pending()
    assert Sighting.objects.filter(subject=alice, partner=None).count() == 1
