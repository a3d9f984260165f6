"""The partner's side of appearances: report (only for granted purposes), list its own, confirm a takedown."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from appearances.models import Appearance
from appearances.services import appearance_report
from tests.media_vault.factories import FaceUploadFactory, jpeg_bytes

pytestmark = pytest.mark.django_db

SHA = "0f" * 32


def _url(link, appearance_id=None) -> str:
    base = f"/api/v1/subjects/{link.pairwise_id}/appearances/"
    return f"{base}{appearance_id}/taken-down/" if appearance_id else base


def _body(**fields) -> dict:
    return {
        "kind": "video",
        "purposes": ["cameo"],
        "made_by": "other_person",
        "created_at": "2024-05-01T10:00:00Z",
        "content_sha256": SHA,
        **fields,
    }


def _vault_objects() -> list[str]:
    return default_storage.listdir("vault")[1] if default_storage.exists("vault") else []


def _report(link, **fields) -> Appearance:
    return appearance_report(
        subject=link.subject,
        partner=link.partner,
        kind="image",
        made_by="subject",
        purpose_slugs=["cameo"],
        created_at=timezone.now(),
        content_sha256=SHA,
        **fields,
    )


def test_report_as_json_answers_201_live_with_the_fields(partner_client, link, granted):
    response = partner_client.post(_url(link), _body(title="Beach day"), format="json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    body = response.json()
    assert body["status"] == "live"
    assert (body["kind"], body["made_by"], body["title"], body["purposes"]) == (
        "video",
        "other_person",
        "Beach day",
        ["cameo"],
    )
    appearance = Appearance.objects.get(pk=body["id"])
    assert (appearance.subject, appearance.partner) == (link.subject, link.partner)


def test_report_as_multipart_stores_the_thumbnail_encrypted(partner_client, link, granted):
    thumbnail = SimpleUploadedFile("t.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = partner_client.post(_url(link), {**_body(), "thumbnail": thumbnail}, format="multipart")

    assert response.status_code == HTTPStatus.CREATED, response.content
    appearance = Appearance.objects.get(pk=response.json()["id"])
    assert appearance.thumbnail_object_name
    with default_storage.open(appearance.thumbnail_object_name, "rb") as handle:
        assert b"JFIF" not in handle.read()  # only the ciphertext is stored


def test_report_for_a_purpose_not_granted_is_refused_and_stores_nothing(partner_client, link, cameo, avatar):
    thumbnail = SimpleUploadedFile("t.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = partner_client.post(_url(link), {**_body(), "thumbnail": thumbnail}, format="multipart")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "consent_required"
    assert not Appearance.objects.exists()
    assert _vault_objects() == []


def test_report_whose_row_fails_removes_its_thumbnail(link, granted, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Appearance.objects, "create", broken)
    with pytest.raises(RuntimeError):
        _report(link, thumbnail=jpeg_bytes())
    assert _vault_objects() == []


def test_report_with_bad_input_answers_a_400_problem(partner_client, link, granted):
    response = partner_client.post(_url(link), _body(kind="hologram", content_sha256="nope"), format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == {"kind", "content_sha256"}


def test_source_uploads_must_be_the_partners_own_uploads_of_that_subject(
    partner_client, other_client, link, granted, cameo
):
    own = FaceUploadFactory(subject=link.subject, partner=link.partner, purposes=[cameo])
    others = FaceUploadFactory(subject=link.subject, partner=other_client.partner, purposes=[cameo])

    refused = partner_client.post(_url(link), _body(source_upload_ids=[str(others.pk)]), format="json")
    accepted = partner_client.post(_url(link), _body(source_upload_ids=[str(own.pk)]), format="json")

    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert refused.json()["code"] == "invalid_source_uploads"
    assert accepted.status_code == HTTPStatus.CREATED
    assert accepted.json()["source_upload_ids"] == [str(own.pk)]


def test_unknown_subject_answers_404(partner_client, granted):
    response = partner_client.get("/api/v1/subjects/8a1f7b6e-0000-4000-8000-000000000000/appearances/")
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_reporting_needs_the_write_scope_and_listing_the_read_scope(make_partner_client, subject, granted):
    from tests.partners.factories import LinkFactory

    reader = make_partner_client(scopes=["appearances:read"])
    link = LinkFactory(partner=reader.partner, subject=subject)

    assert reader.post(_url(link), _body(), format="json").status_code == HTTPStatus.FORBIDDEN
    assert reader.get(_url(link)).status_code == HTTPStatus.OK


def test_a_partner_lists_only_its_own_appearances(partner_client, other_client, link, granted):
    own = _report(link)
    _report(other_client.link)

    response = partner_client.get(_url(link))

    assert response.status_code == HTTPStatus.OK
    assert [row["id"] for row in response.json()["results"]] == [str(own.pk)]
    assert set(response.json()) == {"next", "previous", "results"}


def test_partner_confirms_a_takedown(partner_client, link, granted):
    appearance = _report(link)

    response = partner_client.post(_url(link, appearance.pk))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "taken_down"
    appearance.refresh_from_db()
    assert appearance.status == Appearance.Status.TAKEN_DOWN
    assert appearance.taken_down_at is not None


def test_another_partners_appearance_answers_404_like_an_unknown_one(partner_client, other_client, link, granted):
    theirs = _report(other_client.link)

    foreign = partner_client.post(_url(link, theirs.pk))
    unknown = partner_client.post(_url(link, "8a1f7b6e-0000-4000-8000-000000000000"))

    assert foreign.status_code == unknown.status_code == HTTPStatus.NOT_FOUND
    assert foreign.json() == unknown.json()
    theirs.refresh_from_db()
    assert theirs.status == Appearance.Status.LIVE


def test_partner_list_is_paginated_newest_first(partner_client, link, granted):
    now = timezone.now()
    for days in range(3):
        appearance = _report(link)
        Appearance.objects.filter(pk=appearance.pk).update(created_at=now - timedelta(days=days))

    first = partner_client.get(_url(link), {"page_size": 2}).json()
    second = partner_client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
