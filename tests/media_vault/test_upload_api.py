"""Partner API v1 upload endpoints (DESIGN.md) and the subject's own GET /api/v1/me/uploads/."""

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from consents.services import consent_withdraw
from media_vault.models import AccessEvent, FaceUpload
from media_vault.selectors import upload_image_bytes
from tests.media_vault.conftest import bearer_client
from tests.media_vault.factories import FaceUploadFactory, grant_all, image_bytes, jpeg_bytes
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

CONTRACT_FIELDS = {"id", "purposes", "faces_detected", "width", "height", "created_at", "retention_until"}


def _file(content: bytes, name: str = "face.jpg") -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def _post(client, link, *, image: bytes | None = None, purposes=("avatar",)):
    return client.post(
        f"/api/v1/subjects/{link.pairwise_id}/uploads/",
        {"image": _file(image if image is not None else jpeg_bytes()), "purposes": list(purposes)},
        format="multipart",
    )


def _content_url(link, upload) -> str:
    return f"/api/v1/subjects/{link.pairwise_id}/uploads/{upload.pk}/content"


def _upload_url(link, upload) -> str:
    return f"/api/v1/subjects/{link.pairwise_id}/uploads/{upload.pk}/"


@pytest.fixture
def partner_upload(link, avatar):
    return FaceUploadFactory(subject=link.subject, partner=link.partner, purposes=[avatar])


# --- POST /api/v1/subjects/{subject_id}/uploads/ --------------------------------------------------
def test_upload_answers_201_with_the_fields_of_the_contract(partner_client, link, avatar, cameo):
    grant_all(subject=link.subject, purposes=[avatar, cameo])

    response = _post(partner_client, link, image=jpeg_bytes(size=(90, 60)), purposes=["cameo", "avatar"])

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert set(body) == CONTRACT_FIELDS
    assert body["purposes"] == ["avatar", "cameo"]
    assert (body["width"], body["height"], body["faces_detected"]) == (90, 60, 0)
    created_at = parse_datetime(body["created_at"])
    assert parse_datetime(body["retention_until"]) == created_at + timedelta(days=90)
    upload = FaceUpload.objects.get(pk=body["id"])
    assert (upload.source, upload.partner, upload.subject) == ("partner", link.partner, link.subject)


def test_upload_of_a_face_reports_the_faces_found(partner_client, link, avatar, astronaut_png):
    grant_all(subject=link.subject, purposes=[avatar])

    response = _post(partner_client, link, image=astronaut_png)

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["faces_detected"] >= 1


def test_upload_for_a_purpose_not_granted_is_403_consent_required_and_stores_nothing(
    partner_client, link, avatar, vault_storage
):
    response = _post(partner_client, link)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "consent_required"
    assert not FaceUpload.objects.exists()
    assert vault_storage() == []


def test_upload_after_withdrawal_is_403_consent_required(partner_client, link, avatar):
    grant_all(subject=link.subject, purposes=[avatar])
    consent_withdraw(subject=link.subject, purpose_slug="avatar", actor=link.subject)

    response = _post(partner_client, link)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "consent_required"


def test_upload_naming_one_purpose_not_granted_is_refused_whole(partner_client, link, avatar, cameo, vault_storage):
    grant_all(subject=link.subject, purposes=[avatar])

    response = _post(partner_client, link, purposes=["avatar", "cameo"])

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "consent_required"
    assert not FaceUpload.objects.exists()
    assert vault_storage() == []


def test_upload_of_a_bad_image_is_400_invalid_image(partner_client, link, avatar):
    grant_all(subject=link.subject, purposes=[avatar])

    response = _post(partner_client, link, image=b"GIF89a not really")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_image"


def test_upload_over_the_default_10_mb_is_413_too_large(partner_client, link, avatar, vault_storage):
    grant_all(subject=link.subject, purposes=[avatar])

    response = _post(partner_client, link, image=jpeg_bytes() + b"\0" * 10_000_000)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    body = response.json()
    assert (body["code"], body["detail"]) == ("too_large", "The file is larger than 10 MB.")
    assert not FaceUpload.objects.exists()
    assert vault_storage() == []


def test_upload_limit_follows_the_setting(partner_client, link, avatar, settings):
    grant_all(subject=link.subject, purposes=[avatar])
    settings.FACE_UPLOAD_MAX_BYTES = 500_000

    response = _post(partner_client, link, image=jpeg_bytes() + b"\0" * 500_000)

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.json()["detail"] == "The file is larger than 0.5 MB."


def test_upload_without_a_purpose_is_400(partner_client, link, avatar):
    grant_all(subject=link.subject, purposes=[avatar])

    response = _post(partner_client, link, purposes=[])

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not FaceUpload.objects.exists()


def test_upload_for_a_subject_not_linked_to_the_partner_is_404(partner_client, other_subject, avatar):
    grant_all(subject=other_subject, purposes=[avatar])
    elsewhere = LinkFactory(subject=other_subject)  # linked to another partner only

    response = _post(partner_client, elsewhere)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not FaceUpload.objects.exists()


# --- GET /api/v1/subjects/{subject_id}/uploads/ ---------------------------------------------------
def test_list_shows_only_the_calling_partners_uploads_for_that_subject(partner_client, link, avatar):
    mine = FaceUploadFactory(subject=link.subject, partner=link.partner, purposes=[avatar])
    other = LinkFactory(subject=link.subject)
    FaceUploadFactory(subject=link.subject, partner=other.partner, purposes=[avatar])
    FaceUploadFactory(subject=link.subject, purposes=[avatar])  # the subject's own, in the portal

    response = partner_client.get(f"/api/v1/subjects/{link.pairwise_id}/uploads/")

    assert response.status_code == HTTPStatus.OK
    results = response.json()["results"]
    assert [r["id"] for r in results] == [str(mine.pk)]
    assert set(results[0]) == CONTRACT_FIELDS


# --- GET .../{upload_id}/content ------------------------------------------------------------------
def test_content_is_the_decrypted_stored_image_for_the_uploading_partner(partner_client, link, partner_upload):
    response = partner_client.get(_content_url(link, partner_upload))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == upload_image_bytes(upload=partner_upload)


def test_content_is_never_cached_nor_sniffed(partner_client, link, partner_upload):
    response = partner_client.get(_content_url(link, partner_upload))

    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_reading_content_writes_an_access_event(partner_client, link, partner_upload):
    partner_client.get(_content_url(link, partner_upload))

    event = AccessEvent.objects.get(upload=partner_upload)
    assert (event.actor_kind, event.action, event.partner) == ("partner", "content", link.partner)
    assert event.subject == link.subject


def test_content_for_another_partner_linked_to_the_same_subject_is_404(make_partner_client, link, partner_upload):
    other_client = make_partner_client()
    other_link = LinkFactory(partner=other_client.partner, subject=link.subject)

    response = other_client.get(_content_url(other_link, partner_upload))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AccessEvent.objects.exists()


def test_content_for_an_unlinked_partner_is_404(make_partner_client, link, partner_upload):
    stranger = make_partner_client()

    response = stranger.get(_content_url(link, partner_upload))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_content_cannot_be_read_with_the_subjects_session(link, partner_upload):
    session = APIClient()
    session.force_login(link.subject)

    response = session.get(_content_url(link, partner_upload))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert not AccessEvent.objects.exists()


def test_content_of_an_unknown_upload_is_404(partner_client, link, partner_upload):
    response = partner_client.get(f"/api/v1/subjects/{link.pairwise_id}/uploads/{link.pairwise_id}/content")

    assert response.status_code == HTTPStatus.NOT_FOUND


# --- DELETE .../{upload_id}/ ----------------------------------------------------------------------
def test_delete_answers_204_and_erases_object_thumbnail_and_row(partner_client, link, avatar, vault_storage):
    upload = FaceUploadFactory(subject=link.subject, partner=link.partner, purposes=[avatar])
    assert len(vault_storage()) == 2

    response = partner_client.delete(_upload_url(link, upload))

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert not FaceUpload.objects.filter(pk=upload.pk).exists()
    assert vault_storage() == []


def test_delete_sends_upload_erased_to_the_partner(partner_client, link, partner_upload):
    partner_client.delete(_upload_url(link, partner_upload))

    events = partner_client.get("/api/v1/events/").json()["events"]
    erased = [e for e in events if e["type"] == "upload.erased"]
    assert [e["data"] for e in erased] == [{"subject_id": str(link.pairwise_id), "upload_id": str(partner_upload.pk)}]


def test_delete_of_another_partners_upload_is_404_and_keeps_it(make_partner_client, link, partner_upload):
    other_client = make_partner_client()
    other_link = LinkFactory(partner=other_client.partner, subject=link.subject)

    response = other_client.delete(_upload_url(other_link, partner_upload))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert FaceUpload.objects.filter(pk=partner_upload.pk).exists()


# --- Scopes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "target", "needed", "given"),
    [
        ("post", "list", "uploads:write", ["uploads:read"]),
        ("get", "list", "uploads:read", ["uploads:write"]),
        ("get", "content", "uploads:read", ["uploads:write"]),
        ("delete", "upload", "uploads:write", ["uploads:read"]),
    ],
)
def test_each_upload_endpoint_needs_its_scope(make_partner_client, subject, avatar, method, target, needed, given):
    client = make_partner_client(scopes=given)
    link = LinkFactory(partner=client.partner, subject=subject)
    upload = FaceUploadFactory(subject=subject, partner=client.partner, purposes=[avatar])
    url = {
        "list": f"/api/v1/subjects/{link.pairwise_id}/uploads/",
        "content": _content_url(link, upload),
        "upload": _upload_url(link, upload),
    }[target]
    data = {"image": _file(jpeg_bytes()), "purposes": ["avatar"]} if method == "post" else None

    response = getattr(client, method)(url, data, format="multipart" if data else None)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "insufficient_scope"
    assert FaceUpload.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "target", "scopes", "expected"),
    [
        ("post", "list", ["uploads:write"], HTTPStatus.CREATED),
        ("get", "list", ["uploads:read"], HTTPStatus.OK),
        ("get", "content", ["uploads:read"], HTTPStatus.OK),
        ("delete", "upload", ["uploads:write"], HTTPStatus.NO_CONTENT),
    ],
)
def test_each_upload_endpoint_works_with_only_its_scope(
    make_partner_client, subject, avatar, method, target, scopes, expected
):
    client = make_partner_client(scopes=scopes)
    link = LinkFactory(partner=client.partner, subject=subject)
    upload = FaceUploadFactory(subject=subject, partner=client.partner, purposes=[avatar])
    url = {
        "list": f"/api/v1/subjects/{link.pairwise_id}/uploads/",
        "content": _content_url(link, upload),
        "upload": _upload_url(link, upload),
    }[target]
    data = {"image": _file(jpeg_bytes()), "purposes": ["avatar"]} if method == "post" else None

    response = getattr(client, method)(url, data, format="multipart" if data else None)

    assert response.status_code == expected


# --- GET /api/v1/me/uploads/ ----------------------------------------------------------------------
def test_me_uploads_lists_every_upload_of_the_subject_from_every_source(me_api, subject, avatar, cameo):
    first = LinkFactory(subject=subject)
    second = LinkFactory(subject=subject)
    own = FaceUploadFactory(subject=subject, purposes=[avatar])
    by_first = FaceUploadFactory(subject=subject, partner=first.partner, purposes=[avatar, cameo])
    by_second = FaceUploadFactory(subject=subject, partner=second.partner, purposes=[cameo])
    FaceUploadFactory(purposes=[avatar])  # somebody else's

    response = me_api.get("/api/v1/me/uploads/")

    assert response.status_code == HTTPStatus.OK
    rows = {row["id"]: row for row in response.json()["uploads"]}
    assert set(rows) == {str(own.pk), str(by_first.pk), str(by_second.pk)}
    assert rows[str(own.pk)]["source"] == "portal"
    assert rows[str(by_first.pk)]["source"] == "partner"
    assert rows[str(by_first.pk)]["purposes"] == ["avatar", "cameo"]


def test_me_uploads_shows_source_purposes_date_and_retention_deadline(me_api, subject, avatar):
    upload = FaceUploadFactory(subject=subject, purposes=[avatar])

    row = me_api.get("/api/v1/me/uploads/").json()["uploads"][0]

    assert {"source", "purposes", "created_at", "retention_until"} <= set(row)
    assert (row["source"], row["purposes"]) == ("portal", ["avatar"])
    assert parse_datetime(row["created_at"]) == upload.created_at
    assert parse_datetime(row["retention_until"]) == upload.created_at + timedelta(days=30)


def test_me_uploads_needs_a_signed_in_subject(subject, avatar):
    FaceUploadFactory(subject=subject, purposes=[avatar])

    response = APIClient().get("/api/v1/me/uploads/")

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_me_uploads_is_not_for_partner_tokens(partner_client, link, partner_upload):
    response = partner_client.get("/api/v1/me/uploads/")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "not_authenticated"


def test_list_for_an_unlinked_partner_is_404(partner_client, link, partner_upload):
    stranger = bearer_client(PartnerFactory())

    response = stranger.get(f"/api/v1/subjects/{link.pairwise_id}/uploads/")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_png_upload_content_is_served_as_png(partner_client, link, avatar):
    from PIL import Image

    grant_all(subject=link.subject, purposes=[avatar])
    created = _post(partner_client, link, image=image_bytes(Image.new("RGB", (20, 20), "red"), "PNG")).json()

    response = partner_client.get(f"/api/v1/subjects/{link.pairwise_id}/uploads/{created['id']}/content")

    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_delete_while_storage_is_down_answers_503_problem_and_keeps_the_upload(
    s3_with_outage, partner_client, link, partner_upload
):
    # given an upload stored on S3, and then S3 going away
    upload = partner_upload
    s3_with_outage.down()

    # when the partner deletes it
    response = partner_client.delete(_upload_url(link, upload))

    # then it is told to try again, with no internal detail, and nothing is reported erased
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "storage_unavailable"
    assert "127.0.0.1" not in response.json()["detail"]
    assert FaceUpload.objects.filter(pk=upload.pk).exists()
    assert upload.object_name in s3_with_outage.keys()  # noqa: SIM118 (a method of the fixture, not a dict)
