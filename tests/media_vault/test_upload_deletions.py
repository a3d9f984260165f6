"""Every deletion of a face upload is recorded once for the subject's Activity page (rule 5): who decided it and
why, with the photo's date, which outlives the upload. Reads of the upload keep pointing at it by id."""

from http import HTTPStatus

import pytest
from django.test import Client

from media_vault import services
from media_vault.exceptions import StorageUnavailable
from media_vault.models import AccessEvent, FaceUpload
from media_vault.services import upload_access_record, upload_erase, uploads_erase_interrupted
from tests.media_vault.factories import FaceUploadFactory

pytestmark = pytest.mark.django_db


def _deletions(subject) -> list[tuple[str, str]]:
    return list(
        AccessEvent.objects.filter(subject=subject, action__in=AccessEvent.DELETIONS).values_list(
            "actor_kind", "action"
        )
    )


def test_a_partner_deleting_its_upload_through_the_api_is_recorded_as_that_app(partner_client, link, avatar):
    upload = FaceUploadFactory(subject=link.subject, partner=link.partner, purposes=[avatar])

    response = partner_client.delete(f"/api/v1/subjects/{link.pairwise_id}/uploads/{upload.pk}/")

    assert response.status_code == HTTPStatus.NO_CONTENT
    deletion = AccessEvent.objects.get(subject=link.subject, action=AccessEvent.Action.ERASE)
    assert (deletion.actor_kind, deletion.partner) == (AccessEvent.ActorKind.PARTNER, link.partner)
    assert (deletion.upload_ref, deletion.upload_created_at) == (upload.pk, upload.created_at)


def test_the_subject_deleting_a_photo_on_the_uploads_page_is_recorded_as_the_subject(subject, avatar):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])
    client = Client()
    client.force_login(subject)

    client.post(f"/uploads/{upload.pk}/delete/")

    assert _deletions(subject) == [(AccessEvent.ActorKind.SUBJECT, AccessEvent.Action.ERASE)]


def test_reads_of_an_erased_upload_keep_its_id_and_date(subject, avatar):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])
    upload_access_record(upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)

    upload_erase(upload_id=upload.pk, actor_kind=AccessEvent.ActorKind.SUBJECT)

    rows = AccessEvent.objects.filter(subject=subject).values_list(
        "action", "upload_id", "upload_ref", "upload_created_at"
    )
    assert sorted(rows) == [("erase", None, upload.pk, upload.created_at), ("view", None, upload.pk, upload.created_at)]


def test_an_erasure_finished_after_an_outage_is_recorded_once_as_first_decided(subject, avatar, monkeypatch):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])

    def storage_down(*, name):
        raise StorageUnavailable()

    # given a deletion by the subject that storage broke off
    with monkeypatch.context() as patched:
        patched.setattr(services, "vault_object_delete", storage_down)
        with pytest.raises(StorageUnavailable):
            upload_erase(upload_id=upload.pk, actor_kind=AccessEvent.ActorKind.SUBJECT)
    assert FaceUpload.objects.get(pk=upload.pk).status == FaceUpload.Status.ERASING

    # when the sweep finishes it
    assert uploads_erase_interrupted() == 1

    # then the deletion is recorded once, as the subject's
    assert _deletions(subject) == [(AccessEvent.ActorKind.SUBJECT, AccessEvent.Action.ERASE)]
