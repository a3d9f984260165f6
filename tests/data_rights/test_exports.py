"""Export lifecycle (rule 6): one at a time, ready for 7 days then deleted, downloads logged, one build per request."""

import base64
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from data_rights.exceptions import ExportInProgress, ExportNotAvailable
from data_rights.models import DataRequest
from data_rights.selectors import export_get_for_download
from data_rights.services import export_build, export_download_stream, export_request, exports_expire
from media_vault.models import AccessEvent
from media_vault.selectors import upload_image_bytes
from tests.data_rights.factories import DataRequestFactory
from tests.media_vault.factories import FaceUploadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_export(subject, avatar):
    FaceUploadFactory(subject=subject, purposes=[avatar])
    return export_build(request_id=export_request(subject=subject).pk)


def test_second_export_while_one_is_queued_is_refused(subject):
    export_request(subject=subject)
    with pytest.raises(ExportInProgress):
        export_request(subject=subject)
    assert DataRequest.objects.filter(subject=subject, kind=DataRequest.Kind.EXPORT).count() == 1


def test_second_export_while_one_is_running_is_refused(subject):
    DataRequestFactory(export=True, subject=subject, status=DataRequest.Status.RUNNING)
    with pytest.raises(ExportInProgress):
        export_request(subject=subject)


def test_new_export_can_be_requested_once_the_last_one_is_ready(ready_export):
    again = export_request(subject=ready_export.subject)
    assert again.status == DataRequest.Status.QUEUED


def test_another_subjects_export_does_not_block_an_export(subject, other_subject):
    export_request(subject=other_subject)
    assert export_request(subject=subject).status == DataRequest.Status.QUEUED


def test_ready_export_expires_seven_days_after_it_finished(ready_export):
    assert ready_export.status == DataRequest.Status.READY
    assert ready_export.archive_object_name
    assert ready_export.expires_at == ready_export.finished_at + timedelta(days=7)


def test_exports_expire_keeps_the_archive_until_its_time(vault_storage, ready_export):
    assert exports_expire(now=ready_export.expires_at - timedelta(seconds=1)) == 0
    ready_export.refresh_from_db()
    assert ready_export.status == DataRequest.Status.READY
    assert default_storage.exists(ready_export.archive_object_name)


def test_exports_expire_deletes_the_archive_and_marks_it_expired(vault_storage, ready_export):
    name = ready_export.archive_object_name
    stored_before = len(vault_storage())
    assert exports_expire(now=ready_export.expires_at) == 1
    ready_export.refresh_from_db()
    assert ready_export.status == DataRequest.Status.EXPIRED
    assert ready_export.archive_object_name == ""
    assert not default_storage.exists(name)
    assert len(vault_storage()) == stored_before - 1


def test_expired_export_cannot_be_downloaded(ready_export):
    exports_expire(now=ready_export.expires_at)
    with pytest.raises(ExportNotAvailable):
        export_get_for_download(subject=ready_export.subject, request_id=ready_export.pk)


def test_export_cannot_be_downloaded_by_another_subject(ready_export, other_subject):
    with pytest.raises(ExportNotAvailable):
        export_get_for_download(subject=other_subject, request_id=ready_export.pk)


def test_download_is_logged_as_an_export_access_event(ready_export):
    subject = ready_export.subject
    export = export_get_for_download(subject=subject, request_id=ready_export.pk)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(export_download_stream(export=export, subject=subject))))
    assert "manifest.json" in archive.namelist()
    logged = AccessEvent.objects.filter(subject=subject, action=AccessEvent.Action.EXPORT)
    assert [(e.actor_kind, e.upload_id) for e in logged] == [(AccessEvent.ActorKind.SUBJECT, None)]


def test_export_ready_email_is_sent_and_holds_no_image_data(subject, avatar, mailoutbox):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])
    export_build(request_id=export_request(subject=subject).pk)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [subject.email]
    assert not message.attachments
    image = upload_image_bytes(upload=upload)
    for body in (message.body, message.alternatives[0][0]):
        assert "data:image" not in body
        assert base64.b64encode(image[:48]).decode() not in body
        assert str(upload.pk) not in body


def test_export_ready_email_names_the_portal_in_a_text_and_an_html_part(subject, avatar, mailoutbox, settings):
    export_build(request_id=export_request(subject=subject).pk)

    (message,) = mailoutbox
    (html, mimetype), *_ = message.alternatives
    assert message.subject == "Your data export is ready"
    assert mimetype == "text/html"
    for part in (message.body, html):
        assert str(settings.PORTAL_NAME) in part
        assert f"{settings.SITE_URL}/your-data/" in part
        assert "example.com" not in part


def test_export_build_twice_for_the_same_request_is_a_no_op(vault_storage, subject, avatar, mailoutbox):
    FaceUploadFactory(subject=subject, purposes=[avatar])
    export = export_request(subject=subject)
    first = export_build(request_id=export.pk)
    stored = len(vault_storage())
    assert export_build(request_id=export.pk) is None
    export.refresh_from_db()
    assert (export.status, export.archive_object_name, export.attempts) == (
        DataRequest.Status.READY,
        first.archive_object_name,
        1,
    )
    assert len(vault_storage()) == stored
    assert len(mailoutbox) == 1


def test_export_build_leaves_an_export_claimed_by_a_live_worker_alone(subject):
    claimed = DataRequestFactory(
        export=True,
        subject=subject,
        status=DataRequest.Status.RUNNING,
        attempts=1,
        lease_until=timezone.now() + timedelta(minutes=2),
    )
    assert export_build(request_id=claimed.pk) is None
    claimed.refresh_from_db()
    assert (claimed.status, claimed.attempts, claimed.archive_object_name) == (DataRequest.Status.RUNNING, 1, "")
