"""Erasure (rule 7): at once for the account, then complete in the background, told to partners, proven by a receipt."""

import io
import json
from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.test import Client

from consents.models import ConsentEvent, ConsentState
from data_rights.exceptions import ErasureInProgress, InvalidPassword
from data_rights.models import DataRequest
from data_rights.receipt import RECEIPT_WORDS
from data_rights.services import erasure_request, subject_erase, subject_erase_now
from media_vault.models import AccessEvent, FaceUpload
from media_vault.selectors import upload_image_bytes
from partners.models import Link, WebhookEvent
from tests.media_vault.factories import FaceUploadFactory, jpeg_bytes
from tests.partners.factories import LinkFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def _erase(subject, password) -> DataRequest:
    """What the portal does: the request (at once), then the background job (here, run in place)."""
    erasure = erasure_request(subject=subject, password=password)
    subject_erase(request_id=erasure.pk)
    return DataRequest.objects.get(pk=erasure.pk)


def _signed_in_users() -> set[str]:
    return {str(session.get_decoded().get("_auth_user_id")) for session in Session.objects.all()}


# --- At once ---------------------------------------------------------------------------------


def test_erasure_request_with_a_wrong_password_changes_nothing(subject, password, subject_client):
    with pytest.raises(InvalidPassword):
        erasure_request(subject=subject, password="not-the-password")
    subject.refresh_from_db()
    assert subject.is_active
    assert subject.check_password(password)
    assert not DataRequest.objects.exists()
    assert str(subject.pk) in _signed_in_users()
    assert subject_client.get("/consents/").status_code == HTTPStatus.OK


def test_erasure_request_disables_the_account_at_once(subject, password):
    erasure = erasure_request(subject=subject, password=password)
    subject.refresh_from_db()
    assert not subject.is_active
    assert not subject.has_usable_password()
    assert (erasure.kind, erasure.status, erasure.notify_email) == (
        DataRequest.Kind.ERASURE,
        DataRequest.Status.QUEUED,
        subject.email,
    )


def test_erasure_request_ends_every_session_of_the_subject_only(subject, password, subject_client, other_subject):
    other_client = Client()
    other_client.force_login(other_subject)
    erasure_request(subject=subject, password=password)
    assert _signed_in_users() == {str(other_subject.pk)}


def test_signed_in_subject_is_signed_out_on_the_next_request(subject, password, subject_client):
    assert subject_client.get("/consents/").status_code == HTTPStatus.OK
    erasure_request(subject=subject, password=password)
    response = subject_client.get("/consents/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")


def test_erasure_request_queues_the_job_after_commit(subject, password, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        erasure_request(subject=subject, password=password)
    assert len(callbacks) == 1


# --- Complete --------------------------------------------------------------------------------


def test_erasure_leaves_no_storage_object_of_the_subject(vault_storage, holdings, password, other_subject, avatar):
    other_upload = FaceUploadFactory(subject=other_subject, purposes=[avatar], image=jpeg_bytes(color=(0, 120, 0)))
    names = [name for u in holdings.uploads for name in (u.object_name, u.thumbnail_object_name)]
    names.append(holdings.earlier_export.archive_object_name)
    names.append(holdings.appearance.thumbnail_object_name)
    assert len(vault_storage()) == len(names) + 2
    _erase(holdings.subject, password)
    assert not [name for name in names if default_storage.exists(name)]
    assert len(vault_storage()) == 2  # the other subject's image and thumbnail
    assert upload_image_bytes(upload=other_upload)


def test_erasure_leaves_no_row_pointing_to_the_subject_in_any_table(holdings, password):
    pk = holdings.subject.pk
    _erase(holdings.subject, password)
    pointing = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is User and model.objects.filter(**{field.attname: pk}).exists()
    ]
    assert pointing == []
    assert str(pk) not in _signed_in_users()


def _text_of(field, value) -> str:
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=DjangoJSONEncoder)
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


def test_erasure_leaves_the_email_and_ledger_ref_nowhere_but_in_ledger_tombstones(holdings, password):
    email, ref = holdings.subject.email.lower(), str(holdings.subject.ledger_ref)
    _erase(holdings.subject, password)
    found = set()
    for model in apps.get_models(include_auto_created=True):
        fields = [
            f
            for f in model._meta.concrete_fields
            if isinstance(
                f, models.CharField | models.TextField | models.JSONField | models.UUIDField | models.BinaryField
            )
        ]
        for row in model.objects.all():
            for field in fields:
                text = _text_of(field, field.value_from_object(row)).lower()
                if email in text or ref in text or ref.replace("-", "") in text:
                    found.add((model._meta.label, field.name, row.pk))
    tombstones = ConsentEvent.objects.filter(subject_ref=ref)
    # the ledger's tombstones: the events, and the head of the chain they form (which checkpoints sign)
    assert found == {("consents.ConsentEvent", "subject_ref", event.pk) for event in tombstones} | {
        ("consents.LedgerChain", "subject_ref", holdings.subject.ledger_ref)
    }
    assert tombstones.exists()
    assert not tombstones.filter(subject__isnull=False).exists()
    assert not User.objects.filter(ledger_ref=ref).exists()


def test_erasure_keeps_the_ledger_verifiable_with_tombstones(holdings, password):
    event_ids = list(ConsentEvent.objects.filter(subject=holdings.subject).values_list("pk", flat=True))
    _erase(holdings.subject, password)
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)  # raises CommandError if the chain is broken
    assert "Ledger intact" in out.getvalue()
    events = ConsentEvent.objects.filter(pk__in=event_ids)
    assert events.count() == len(event_ids) == 5
    assert set(events.values_list("subject_id", flat=True)) == {None}


def test_linked_partner_is_told_subject_erased_with_its_pairwise_id(holdings, password):
    _erase(holdings.subject, password)
    told = list(WebhookEvent.objects.filter(event_type="subject.erased"))
    assert [(e.partner_id, e.payload["type"], e.payload["data"]) for e in told] == [
        (holdings.partner.pk, "subject.erased", {"subject_id": str(holdings.link.pairwise_id)})
    ]
    assert told[0].link_id is None  # written while the link existed; the link went after it
    assert not Link.objects.filter(pk__in=[holdings.link.pk, holdings.old_link.pk]).exists()


def test_erasure_removes_every_other_partner_payload_about_the_subject(holdings, password):
    assert WebhookEvent.objects.filter(link__subject=holdings.subject).count() > 0
    _erase(holdings.subject, password)
    pairwise = (str(holdings.link.pairwise_id), str(holdings.old_link.pairwise_id))
    left = [e.event_type for e in WebhookEvent.objects.all() if e.payload["data"].get("subject_id") in pairwise]
    assert left == ["subject.erased"]


def test_receipt_counts_what_went_and_holds_no_personal_data(holdings, password):
    subject = holdings.subject
    access_events = AccessEvent.objects.filter(subject=subject).count()
    personal = [
        subject.email,
        subject.display_name,
        str(subject.ledger_ref),
        str(holdings.link.pairwise_id),
        str(holdings.old_link.pairwise_id),
        *(str(u.pk) for u in holdings.uploads),
    ]
    erasure = _erase(subject, password)
    receipt = erasure.receipt
    assert erasure.status == DataRequest.Status.DONE
    assert erasure.subject_id is None
    assert all(isinstance(value, int) for value in receipt.values())
    assert {key: receipt[key] for key in ("face_uploads", "storage_objects", "exports", "links", "accounts")} == {
        "face_uploads": 2,
        "storage_objects": 4,
        "exports": 1,
        "links": 2,
        "accounts": 1,
    }
    assert receipt["consent_events_anonymised"] == 5
    assert receipt["data_keys"] == 1
    assert receipt["sessions"] == 1  # holdings' signed-in browser, ended at request time, long before the job ran
    assert access_events > 0
    assert receipt["access_events"] == access_events  # those tied to uploads and the rest, all counted
    text = json.dumps(receipt)
    assert not [value for value in personal if value and value in text]


def test_receipt_email_is_sent_and_then_the_address_is_forgotten(holdings, password, mailoutbox):
    email = holdings.subject.email
    erasure = _erase(holdings.subject, password)
    receipts = [m for m in mailoutbox if "erased" in m.subject]
    assert [m.to for m in receipts] == [[email]]
    assert f"/erasure-receipts/{erasure.pk}/" in receipts[0].body
    assert erasure.notify_email == ""


def test_receipt_email_words_every_count_in_a_text_and_an_html_part(holdings, password, mailoutbox, settings):
    erasure = _erase(holdings.subject, password)

    (message,) = [m for m in mailoutbox if "erased" in m.subject]
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    assert "2 face photos and their 4 stored files (images and thumbnails)" in message.body
    assert "without any link to you" in message.body
    for part in (message.body, html):
        assert str(settings.PORTAL_NAME) in part
        assert f"{settings.SITE_URL}/erasure-receipts/{erasure.pk}/" in part
        for key, count in erasure.receipt.items():
            assert f"{key}:" not in part  # no raw key ("consent_events_anonymised: 6")
            assert "_" not in key or key not in part
            if count:
                assert str(RECEIPT_WORDS[key] % {"count": count}) in part


def test_every_count_an_erasure_makes_has_words(holdings, password):
    erasure = _erase(holdings.subject, password)

    assert set(erasure.receipt) <= set(RECEIPT_WORDS)


def test_erasure_leaves_other_subjects_untouched(holdings, password, other_subject, avatar):
    other_upload = FaceUploadFactory(subject=other_subject, purposes=[avatar], image=jpeg_bytes(color=(0, 0, 160)))
    other_link = LinkFactory(partner=holdings.partner, subject=other_subject)
    _erase(holdings.subject, password)
    assert FaceUpload.objects.filter(pk=other_upload.pk).exists()
    assert upload_image_bytes(upload=other_upload)
    assert Link.objects.filter(pk=other_link.pk).exists()
    assert ConsentState.objects.filter(subject=other_subject).exists()
    assert User.objects.filter(pk=other_subject.pk, is_active=True).exists()


def test_subject_erase_for_a_finished_request_is_a_no_op(holdings, password, mailoutbox):
    erasure = _erase(holdings.subject, password)
    sent = len(mailoutbox)
    assert subject_erase(request_id=erasure.pk) is None
    again = DataRequest.objects.get(pk=erasure.pk)
    assert (again.status, again.receipt, again.attempts) == (erasure.status, erasure.receipt, erasure.attempts)
    assert len(mailoutbox) == sent


def test_receipt_address_is_forgotten_even_when_the_mail_cannot_be_sent(holdings, password, settings, closed_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2
    erasure = erasure_request(subject=holdings.subject, password=password)
    subject_erase(request_id=erasure.pk)
    erasure.refresh_from_db()
    assert erasure.status == DataRequest.Status.DONE
    assert erasure.notify_email == ""


# --- At once, for operators' commands (the demo reset) ------------------------------------------


def test_subject_erase_now_erases_everything_and_sends_no_receipt(holdings, mailoutbox):
    erasure = subject_erase_now(subject=holdings.subject)

    assert erasure.status == DataRequest.Status.DONE
    assert erasure.subject is None
    assert erasure.receipt["face_uploads"] == 2
    assert not User.objects.filter(pk=holdings.subject.pk).exists()
    assert not [m for m in mailoutbox if "erased" in m.subject]


def test_subject_erase_now_takes_up_the_erasure_the_subject_asked_for(
    subject, password, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the background job never ran
        asked = erasure_request(subject=subject, password=password)

    erasure = subject_erase_now(subject=subject)

    assert erasure.pk == asked.pk
    assert DataRequest.objects.filter(kind=DataRequest.Kind.ERASURE).count() == 1


def test_subject_erase_now_refuses_while_a_worker_holds_the_job(subject, password, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        asked = erasure_request(subject=subject, password=password)
    DataRequest.objects.filter(pk=asked.pk).update(status=DataRequest.Status.RUNNING, lease_until=asked.deadline)

    with pytest.raises(ErasureInProgress):
        subject_erase_now(subject=subject)

    assert User.objects.filter(pk=subject.pk).exists()
