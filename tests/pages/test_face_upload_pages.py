"""The subject's face-upload pages (rules 1, 4, 5): /uploads/, its detail, images and delete (/activity/ is in
tests/data_rights_pages/test_activity_page.py)."""

import io
import re
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consents.services import consent_grant, consent_withdraw
from media_vault.models import AccessEvent, FaceUpload
from media_vault.selectors import upload_list_for_subject, uploads_with_access_groups
from media_vault.services import upload_access_record, upload_ingest, upload_reveal
from partners.models import WebhookEvent
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/uploads/"
ACTIVITY_URL = "/activity/"
ASTRONAUT = Path(__file__).resolve().parent.parent / "media_vault" / "files" / "astronaut.png"


# --- Helpers and fixtures ----------------------------------------------------------------------
def png_bytes(*, size: tuple[int, int] = (48, 48), color: tuple[int, int, int] = (120, 160, 140)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def csrf_token(client: Client) -> str:
    """The token the page's forms carry: fetch the page once, as a browser would."""
    client.get(LIST_URL)
    return client.cookies["csrftoken"].value


def post_upload(client: Client, *, data: bytes | None, purposes: list[str], name: str = "me.png"):
    body: dict = {"csrfmiddlewaretoken": csrf_token(client), "purposes": purposes}
    if data is not None:
        body["image"] = SimpleUploadedFile(name, data, content_type="image/png")
    return client.post(LIST_URL, body)


def stored_objects() -> list[str]:
    """The encrypted objects in the vault, on local files or S3 alike."""
    try:
        return default_storage.listdir("vault")[1]
    except FileNotFoundError:
        return []


def form_errors(response) -> str:
    return " ".join(str(e) for errors in response.context["upload_form"].errors.values() for e in errors)


@pytest.fixture
def purpose(db):
    return PurposeFactory(slug="store-uploads", title="Keep my face uploads", retention_days=365, position=1)


@pytest.fixture
def other_purpose(db):
    return PurposeFactory(slug="cameos", title="Let other people use my likeness", retention_days=90, position=2)


@pytest.fixture
def granted(subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    return purpose


@pytest.fixture
def upload(subject, granted):
    return upload_ingest(subject=subject, data=ASTRONAUT.read_bytes(), purpose_slugs=[granted.slug])


@pytest.fixture
def partner_link(subject):
    return LinkFactory(partner=PartnerFactory(name="Cameo Studio"), subject=subject)


@pytest.fixture
def partner_upload(subject, granted, partner_link):
    return upload_ingest(subject=subject, data=png_bytes(), purpose_slugs=[granted.slug], partner=partner_link.partner)


@pytest.fixture
def other_client(other_subject):
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_subject)
    return client


def image_urls(upload: FaceUpload) -> list[str]:
    return [f"/uploads/{upload.pk}/thumbnail", f"/uploads/{upload.pk}/image", f"/uploads/{upload.pk}/annotated"]


def page_urls(upload: FaceUpload) -> list[str]:
    return [f"/uploads/{upload.pk}/", f"/uploads/{upload.pk}/delete/"]


# --- Access: signed-in owner only --------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in_for_every_page_and_image(upload):
    client = Client()
    for url in [LIST_URL, ACTIVITY_URL, *page_urls(upload), *image_urls(upload)]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_another_subject_gets_404_for_every_page_and_image_of_an_upload(other_client, upload):
    for url in [*page_urls(upload), *image_urls(upload)]:
        assert other_client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    token = csrf_token(other_client)
    response = other_client.post(f"/uploads/{upload.pk}/delete/", {"csrfmiddlewaretoken": token})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert FaceUpload.objects.filter(pk=upload.pk).exists()
    assert not AccessEvent.objects.exists()


def test_another_subjects_uploads_are_not_listed(other_client, upload):
    response = other_client.get(LIST_URL)

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["uploads"]) == []
    assertNotContains(response, str(upload.pk))


# --- The list ----------------------------------------------------------------------------------
def test_list_shows_every_upload_from_every_source_newest_first_with_its_facts(
    subject_client, subject, granted, partner_link
):
    # given one upload by the subject and a newer one by a connected app, which the app downloaded
    now = timezone.now()
    own = upload_ingest(
        subject=subject, data=ASTRONAUT.read_bytes(), purpose_slugs=[granted.slug], now=now - timedelta(days=2)
    )
    app = upload_ingest(
        subject=subject,
        data=png_bytes(),
        purpose_slugs=[granted.slug],
        partner=partner_link.partner,
        now=now - timedelta(days=1),
    )
    upload_access_record(
        upload=app, actor_kind=AccessEvent.ActorKind.PARTNER, action=AccessEvent.Action.CONTENT, partner=app.partner
    )

    # when the subject opens the list
    response = subject_client.get(LIST_URL)

    # then both are there, newest first, each with source, purposes, dates, faces and who opened it
    assert response.status_code == HTTPStatus.OK
    assert [u.pk for u in response.context["uploads"]] == [app.pk, own.pk]
    html = response.content.decode()
    app_card = html[html.index(f'id="upload-{app.pk}"') : html.index(f'id="upload-{own.pk}"')]
    own_card = html[html.index(f'id="upload-{own.pk}"') :]
    assert "Cameo Studio" in app_card
    assert "Cameo Studio</strong> downloaded it on" in app_card
    assert "You, in the portal" in own_card
    assert "Nobody has opened it yet." in own_card
    assert "Keep my face uploads" in own_card
    assert "1 face" in own_card
    assert "No face found" in app_card
    assert own.retention_until.strftime("%-d %b %Y") in own_card
    assert own.created_at.strftime("%-d %b %Y, %H:%M") in own_card
    assert f'src="/uploads/{own.pk}/thumbnail"' in own_card


def test_list_shows_staff_reveals_with_their_reason(subject_client, upload):
    upload_reveal(upload=upload, staff=UserFactory(staff=True), reason="Checking a report about this photo")

    response = subject_client.get(LIST_URL)

    assertContains(response, "Privacy staff</strong> revealed the original")
    assertContains(response, "Checking a report about this photo")


def test_list_filters_by_source_with_a_get_form(subject_client, upload, partner_upload):
    assertContains(subject_client.get(LIST_URL), '<form method="get"')

    portal = subject_client.get(LIST_URL, {"source": "portal"})
    partner = subject_client.get(LIST_URL, {"source": "partner"})

    assert [u.pk for u in portal.context["uploads"]] == [upload.pk]
    assert [u.pk for u in partner.context["uploads"]] == [partner_upload.pk]
    assertContains(partner, '<option value="partner" selected>')


def test_list_filters_by_purpose(subject_client, subject, granted, other_purpose):
    consent_grant(subject=subject, purpose_slug=other_purpose.slug, actor=subject)
    kept = upload_ingest(subject=subject, data=png_bytes(), purpose_slugs=[granted.slug])
    cameo = upload_ingest(subject=subject, data=png_bytes(), purpose_slugs=[other_purpose.slug, granted.slug])

    response = subject_client.get(LIST_URL, {"purpose": other_purpose.slug})

    assert [u.pk for u in response.context["uploads"]] == [cameo.pk]
    assert kept.pk not in [u.pk for u in response.context["uploads"]]


def test_an_unknown_filter_value_shows_everything(subject_client, upload):
    response = subject_client.get(LIST_URL, {"source": "nope", "purpose": "nope"})

    assert response.status_code == HTTPStatus.OK
    assert [u.pk for u in response.context["uploads"]] == [upload.pk]


def test_list_is_paginated_and_pages_keep_the_filters(subject_client, subject, granted):
    now = timezone.now()
    uploads = [
        upload_ingest(subject=subject, data=png_bytes(), purpose_slugs=[granted.slug], now=now - timedelta(minutes=i))
        for i in range(13)
    ]

    first = subject_client.get(LIST_URL, {"source": "portal"})
    second = subject_client.get(LIST_URL, {"source": "portal", "page": 2})

    assert len(first.context["uploads"]) == 12
    assert [u.pk for u in second.context["uploads"]] == [uploads[-1].pk]
    assertContains(first, 'href="?source=portal&amp;page=2"')
    assertContains(first, "Page 1 of 2")
    assert subject_client.get(LIST_URL, {"page": "999"}).context["page"].number == 2


def _make_uploads(*, subject, purpose, partner, count: int) -> None:
    for i in range(count):
        upload = upload_ingest(
            subject=subject,
            data=png_bytes(size=(16, 16)),
            purpose_slugs=[purpose.slug],
            partner=partner if i % 2 else None,
        )
        upload_access_record(upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)
        upload_access_record(
            upload=upload, actor_kind=AccessEvent.ActorKind.PARTNER, action=AccessEvent.Action.CONTENT, partner=partner
        )


def test_list_takes_the_same_number_of_queries_for_3_or_30_uploads(
    subject_client, subject, granted, partner_link, django_assert_num_queries
):
    from django.db import connection

    # given 3 uploads from both sources, each with reads, and the count of queries to show them
    _make_uploads(subject=subject, purpose=granted, partner=partner_link.partner, count=3)
    subject_client.get(LIST_URL)  # the session and the CSRF cookie exist from now on, as in a browser
    with CaptureQueriesContext(connection) as few:
        assert subject_client.get(LIST_URL).status_code == HTTPStatus.OK

    # when there are 30 (a full page of 12 is shown)
    _make_uploads(subject=subject, purpose=granted, partner=partner_link.partner, count=27)

    # then the page takes exactly as many queries
    with django_assert_num_queries(len(few.captured_queries)):
        response = subject_client.get(LIST_URL)
    assert len(response.context["uploads"]) == 12


# --- The upload form ---------------------------------------------------------------------------
def test_form_offers_only_the_purposes_granted_now(subject_client, subject, granted, other_purpose):
    withdrawn = PurposeFactory(slug="train", title="Train models on my face")
    consent_grant(subject=subject, purpose_slug=withdrawn.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=withdrawn.slug, actor=subject)

    response = subject_client.get(LIST_URL)

    assertContains(response, 'enctype="multipart/form-data"')
    assertContains(response, f'name="purposes" value="{granted.slug}"')
    assertNotContains(response, f'name="purposes" value="{other_purpose.slug}"')
    assertNotContains(response, f'name="purposes" value="{withdrawn.slug}"')


def test_with_no_purpose_granted_the_page_says_so_and_links_to_consents(subject_client, purpose):
    response = subject_client.get(LIST_URL)

    assertContains(response, 'data-testid="no-granted-purposes"')
    assertContains(response, "You have not granted any purpose")
    assertContains(response, 'href="/consents/"')
    assertNotContains(response, 'name="image"')


def test_upload_through_the_form_stores_it_and_redirects_with_a_message(subject_client, subject, granted):
    response = post_upload(subject_client, data=ASTRONAUT.read_bytes(), purposes=[granted.slug])

    assertRedirects(response, LIST_URL, fetch_redirect_response=False)
    upload = FaceUpload.objects.get(subject=subject)
    assert upload.source == FaceUpload.Source.PORTAL
    assert upload.partner is None
    assert [p.slug for p in upload.purposes.all()] == [granted.slug]
    assert upload.faces_detected == 1
    assert len(stored_objects()) == 2  # the image and its thumbnail, encrypted
    assertContains(subject_client.get(LIST_URL), "Your photo is stored. We found 1 face in it.")


def test_a_file_that_is_not_an_image_is_a_form_error_and_nothing_is_stored(subject_client, granted):
    response = post_upload(subject_client, data=b"%PDF-1.7 not a photo", purposes=[granted.slug], name="me.pdf")

    assert response.status_code == HTTPStatus.OK
    assert "This file is not a JPEG, PNG or WebP image." in form_errors(response)
    assertContains(response, 'aria-invalid="true"')
    assertContains(response, 'role="alert"')
    assert not FaceUpload.objects.exists()
    assert stored_objects() == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(subject_client, granted, settings):
    settings.FACE_UPLOAD_MAX_BYTES = 1_000

    response = post_upload(subject_client, data=ASTRONAUT.read_bytes(), purposes=[granted.slug])

    assert response.status_code == HTTPStatus.OK
    assert "The file is larger than 0.001 MB." in form_errors(response)
    assert not FaceUpload.objects.exists()
    assert stored_objects() == []


def test_no_purpose_chosen_is_a_form_error_and_nothing_is_stored(subject_client, granted):
    response = post_upload(subject_client, data=ASTRONAUT.read_bytes(), purposes=[])

    assert "Choose at least one purpose" in form_errors(response)
    assert not FaceUpload.objects.exists()
    assert stored_objects() == []


def test_a_purpose_withdrawn_while_the_page_was_open_is_refused_and_nothing_is_stored(
    subject_client, subject, granted, other_purpose
):
    # given the form was shown with both purposes granted, then one was withdrawn in another tab
    consent_grant(subject=subject, purpose_slug=other_purpose.slug, actor=subject)
    csrf_token(subject_client)
    consent_withdraw(subject=subject, purpose_slug=other_purpose.slug, actor=subject)

    # when the form is sent with both
    response = post_upload(subject_client, data=ASTRONAUT.read_bytes(), purposes=[granted.slug, other_purpose.slug])

    # then upload_ingest refuses (rule 1) and the page names the purpose in words
    assert response.status_code == HTTPStatus.OK
    assert "You do not grant “Let other people use my likeness” now" in form_errors(response)
    assert not FaceUpload.objects.exists()
    assert stored_objects() == []


def test_a_purpose_that_does_not_exist_is_a_form_error(subject_client, granted):
    response = post_upload(subject_client, data=ASTRONAUT.read_bytes(), purposes=["no-such-purpose"])

    assert "is not a purpose you can choose" in form_errors(response)
    assert not FaceUpload.objects.exists()


def test_no_file_is_a_form_error(subject_client, granted):
    response = post_upload(subject_client, data=None, purposes=[granted.slug])

    assert "Choose a photo to upload." in form_errors(response)
    assert not FaceUpload.objects.exists()


def test_the_checked_purposes_survive_a_form_error(subject_client, granted):
    response = post_upload(subject_client, data=b"not an image", purposes=[granted.slug])

    assertContains(response, f'value="{granted.slug}" id="purpose-{granted.slug}" checked')


# --- Detail ------------------------------------------------------------------------------------
def test_detail_shows_the_boxed_photo_the_facts_and_the_full_history(subject_client, upload):
    for _ in range(7):  # more than the list shows
        upload_access_record(upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)
    upload_reveal(upload=upload, staff=UserFactory(staff=True), reason="Checking a report about this photo")

    response = subject_client.get(f"/uploads/{upload.pk}/")

    assert response.status_code == HTTPStatus.OK
    assertContains(response, f'<img src="/uploads/{upload.pk}/annotated" width="512" height="512"')
    assertContains(response, "Your photo, with a box around the 1 face found")
    assertContains(response, "You, in the portal")
    assertContains(response, "Keep my face uploads")
    assertContains(response, upload.retention_until.strftime("%-d %b %Y"))
    assertContains(response, f'href="/uploads/{upload.pk}/image"')
    history = re.search(r'data-testid="history">(.*?)</ul>', response.content.decode(), re.S).group(1)
    assert history.count("<li>") == 2  # the seven views are one line, the reveal another
    assert "You</strong> viewed it 7 times, last on" in history
    assert "Privacy staff</strong> revealed the original on" in history
    assert "Checking a report about this photo" in history


def test_the_list_groups_repeated_reads_into_one_line_with_a_count(subject_client, upload):
    for _ in range(6):
        upload_access_record(upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)

    response = subject_client.get(LIST_URL)

    assertContains(response, "You</strong> viewed it 6 times, last on", count=1)
    assertNotContains(response, "viewed the image")


def test_the_list_loads_the_grouped_reads_however_long_the_history(subject, upload):
    for _ in range(12):
        upload_access_record(upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)
    events = AccessEvent.objects.filter(upload=upload).order_by("created_at", "id")

    (listed,) = uploads_with_access_groups(uploads=upload_list_for_subject(subject=subject))

    (group,) = listed.access_groups
    assert (group.actor_kind, group.action, group.times) == ("subject", "view", 12)
    assert (group.first_at, group.last_at) == (events.first().created_at, events.last().created_at)


def test_an_unknown_or_malformed_id_is_404(subject_client, upload):
    assert subject_client.get("/uploads/00000000-0000-0000-0000-000000000000/").status_code == HTTPStatus.NOT_FOUND
    assert subject_client.get("/uploads/not-a-uuid/").status_code == HTTPStatus.NOT_FOUND


# --- Images ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["thumbnail", "image", "annotated"])
def test_images_are_private_and_never_cached(subject_client, upload, kind):
    response = subject_client.get(f"/uploads/{upload.pk}/{kind}")

    assert response.status_code == HTTPStatus.OK
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] in ("image/jpeg", "image/png")
    Image.open(io.BytesIO(response.content)).verify()


def test_the_full_image_is_the_stored_one_and_its_view_is_recorded(subject_client, subject, upload):
    response = subject_client.get(f"/uploads/{upload.pk}/image")

    assert response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size == (upload.width, upload.height)
    event = AccessEvent.objects.get()
    assert (event.subject, event.upload, event.actor_kind, event.action) == (
        subject,
        upload,
        AccessEvent.ActorKind.SUBJECT,
        AccessEvent.Action.VIEW,
    )


def test_the_annotated_image_has_the_face_boxes_drawn_and_its_view_is_recorded(subject_client, upload):
    original = Image.open(io.BytesIO(subject_client.get(f"/uploads/{upload.pk}/image").content)).convert("RGB")

    response = subject_client.get(f"/uploads/{upload.pk}/annotated")

    annotated = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert annotated.size == original.size
    x, y, width, _height = upload.face_boxes[0]
    r, g, b = annotated.getpixel((x + width // 2, y + 1))  # on the top edge of the box: the bright line
    assert r > 200 and g > 150 and b < 110
    assert original.getpixel((x + width // 2, y + 1)) != (r, g, b)
    assert AccessEvent.objects.filter(upload=upload, action=AccessEvent.Action.VIEW).count() == 2


def test_thumbnails_are_not_recorded(subject_client, upload):
    subject_client.get(f"/uploads/{upload.pk}/thumbnail")

    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("kind", ["image", "annotated"])
def test_a_storage_outage_answers_503_for_an_image_and_records_no_view(s3_with_outage, subject_client, upload, kind):
    s3_with_outage.down()

    response = subject_client.get(f"/uploads/{upload.pk}/{kind}")

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert not AccessEvent.objects.exists()


# --- Delete ------------------------------------------------------------------------------------
def test_delete_asks_for_confirmation_first(subject_client, upload):
    response = subject_client.get(f"/uploads/{upload.pk}/delete/")

    assert response.status_code == HTTPStatus.OK
    assertContains(response, "Delete this photo?")
    assertContains(response, f'action="/uploads/{upload.pk}/delete/"')
    assert FaceUpload.objects.filter(pk=upload.pk).exists()


def test_delete_erases_the_upload_and_its_objects_and_redirects_with_a_message(subject_client, upload):
    assert len(stored_objects()) == 2

    response = subject_client.post(f"/uploads/{upload.pk}/delete/", {"csrfmiddlewaretoken": csrf_token(subject_client)})

    assertRedirects(response, LIST_URL, fetch_redirect_response=False)
    assert not FaceUpload.objects.filter(pk=upload.pk).exists()
    assert stored_objects() == []
    assertContains(subject_client.get(LIST_URL), "is erased.")


def test_deleting_an_apps_upload_tells_that_app(subject_client, partner_upload, partner_link):
    confirm = subject_client.get(f"/uploads/{partner_upload.pk}/delete/")
    assertContains(confirm, "Cameo Studio uploaded it, and is told at once to delete its own copy.")

    subject_client.post(f"/uploads/{partner_upload.pk}/delete/", {"csrfmiddlewaretoken": csrf_token(subject_client)})

    event = WebhookEvent.objects.get(link=partner_link, event_type="upload.erased")
    assert event.payload["data"]["upload_id"] == str(partner_upload.pk)
    assertContains(subject_client.get(LIST_URL), "Cameo Studio has been told to delete its copy.")


def test_delete_needs_the_csrf_token(upload):
    client = Client(enforce_csrf_checks=True)
    client.force_login(upload.subject)

    response = client.post(f"/uploads/{upload.pk}/delete/")

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert FaceUpload.objects.filter(pk=upload.pk).exists()


def test_when_storage_fails_the_photo_is_hidden_and_erased_in_the_background(s3_with_outage, subject_client, upload):
    # given a storage outage
    s3_with_outage.down()

    response = subject_client.post(f"/uploads/{upload.pk}/delete/", {"csrfmiddlewaretoken": csrf_token(subject_client)})

    assertRedirects(response, LIST_URL, fetch_redirect_response=False)
    assert FaceUpload.objects.get(pk=upload.pk).status == FaceUpload.Status.ERASING
    listed = subject_client.get(LIST_URL)
    assert list(listed.context["uploads"]) == []
    assertContains(listed, "is hidden and being erased")


# --- Navigation and page hygiene ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "current"), [(LIST_URL, "Face uploads"), (ACTIVITY_URL, "Activity"), ("/consents/", "Consents")]
)
def test_navigation_links_both_pages_and_marks_the_current_one(subject_client, url, current):
    response = subject_client.get(url)

    assertContains(response, '<a href="/uploads/"')
    assertContains(response, '<a href="/activity/"')
    assert re.search(rf'aria-current="page">{current}</a>', response.content.decode())
    assert len(re.findall(r'<a href="[^"]*" aria-current="page">', response.content.decode())) == 1


def test_the_detail_page_keeps_face_uploads_current_in_the_navigation(subject_client, upload):
    assertContains(subject_client.get(f"/uploads/{upload.pk}/"), 'aria-current="page">Face uploads</a>')


def test_pages_have_no_inline_script_or_style_and_every_image_has_alt_text(subject_client, upload):
    upload_access_record(upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)
    for url in [LIST_URL, ACTIVITY_URL, *page_urls(upload)]:
        html = subject_client.get(url).content.decode()
        assert "style=" not in html, url
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], url
        assert all(" alt=" in tag for tag in re.findall(r"<img\b[^>]*>", html)), url


def test_upload_size_limit_shown_on_the_page_follows_the_setting(subject_client, granted):
    assertContains(subject_client.get(LIST_URL), f"up to {settings.FACE_UPLOAD_MAX_BYTES // 1_000_000} MB")
