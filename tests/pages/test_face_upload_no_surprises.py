"""Face uploads without surprises: a distinct name for every upload, repeated reads grouped, and a photo with no
face found is brought up, to keep or to delete."""

import importlib
import io
import re
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import Client
from django.utils import timezone
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from consents.services import consent_grant
from media_vault.models import AccessEvent, FaceUpload, SubjectKey
from media_vault.selectors import upload_label
from media_vault.services import upload_access_record, upload_erase, upload_ingest, upload_reveal
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/uploads/"
ASTRONAUT = Path(__file__).resolve().parent.parent / "media_vault" / "files" / "astronaut.png"


@pytest.fixture
def purpose(subject):
    purpose = PurposeFactory(slug="store-uploads", title="Keep my face uploads", retention_days=365)
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    return purpose


@pytest.fixture
def cameo(subject):
    return LinkFactory(partner=PartnerFactory(name="Cameo Studio"), subject=subject).partner


def png_bytes() -> bytes:
    """A plain grey square: a valid image with no face in it."""
    out = io.BytesIO()
    Image.new("RGB", (48, 48), (120, 160, 140)).save(out, "PNG")
    return out.getvalue()


def ingest(subject, purpose, *, face: bool = True, partner=None, now=None) -> FaceUpload:
    data = ASTRONAUT.read_bytes() if face else png_bytes()
    return upload_ingest(subject=subject, data=data, purpose_slugs=[purpose.slug], partner=partner, now=now)


def token(client: Client) -> str:
    client.get(LIST_URL)
    return client.cookies["csrftoken"].value


def titles(response) -> list[str]:
    """The headings of the upload cards, in order."""
    html = response.content.decode()
    return re.findall(r'<h3 id="upload-[^"]+-title"><a href="[^"]+">([^<]+)</a></h3>', html)


# --- A distinct name for every upload -----------------------------------------------------------
def test_two_uploads_of_the_same_minute_get_distinct_labels(subject_client, subject, purpose, cameo):
    at = timezone.now().replace(second=0, microsecond=0)
    first = ingest(subject, purpose, now=at)
    second = ingest(subject, purpose, now=at + timedelta(seconds=20))
    third = ingest(subject, purpose, partner=cameo, now=at + timedelta(seconds=40))

    response = subject_client.get(LIST_URL)

    when = at.strftime("%-d %b %Y, %H:%M")
    assert titles(response) == [
        f"Photo 3 · from Cameo Studio · {when}",
        f"Photo 2 · uploaded by you · {when}",
        f"Photo 1 · uploaded by you · {when}",
    ]
    assert [upload_label(upload=u) for u in (third, second, first)] == titles(response)


def test_the_label_is_the_same_from_the_selector_and_the_template_filter(subject, purpose, cameo):
    upload = ingest(subject, purpose, partner=cameo)

    rendered = Template("{% load uploads %}{{ upload|upload_label }}").render(Context({"upload": upload}))

    assert rendered == upload_label(upload=upload)
    assert rendered.startswith("Photo 1 · from Cameo Studio · ")


def test_a_number_is_never_given_twice_even_after_its_photo_is_deleted(subject, purpose):
    uploads = [ingest(subject, purpose, face=False) for _ in range(3)]
    upload_erase(upload_id=uploads[-1].pk)

    newest = ingest(subject, purpose, face=False)

    assert [u.number for u in uploads] == [1, 2, 3]
    assert newest.number == 4


def test_each_person_counts_their_own_uploads(subject, other_subject, purpose):
    consent_grant(subject=other_subject, purpose_slug=purpose.slug, actor=other_subject)
    ingest(subject, purpose, face=False)

    theirs = ingest(other_subject, purpose, face=False)

    assert theirs.number == 1


def test_the_detail_and_delete_pages_name_the_upload_by_its_label(subject_client, subject, purpose):
    ingest(subject, purpose)
    upload = ingest(subject, purpose)

    detail = subject_client.get(f"/uploads/{upload.pk}/")
    confirm = subject_client.get(f"/uploads/{upload.pk}/delete/")

    label = upload_label(upload=upload)
    assert label.startswith("Photo 2 · ")
    assertContains(detail, f"<h1>{label}</h1>", html=False)
    assertContains(detail, f"<title>{label} · Face privacy portal</title>")
    assertContains(confirm, label)


def test_existing_uploads_are_numbered_in_upload_order_by_the_migration(subject, other_subject, purpose):
    # given uploads made before numbers existed (number 0, no count on the key)
    consent_grant(subject=other_subject, purpose_slug=purpose.slug, actor=other_subject)
    now = timezone.now()
    older, newer = ingest(subject, purpose, now=now - timedelta(days=1)), ingest(subject, purpose, now=now)
    theirs = ingest(other_subject, purpose)
    FaceUpload.objects.update(number=0)
    SubjectKey.objects.update(uploads_numbered=0)
    migration = importlib.import_module("media_vault.migrations.0004_upload_number_and_no_face_answer")

    # when the migration's data step runs
    migration.number_existing_uploads(django_apps, None)

    # then each person's uploads are 1, 2, … oldest first, and the next upload goes on from there
    assert [FaceUpload.objects.get(pk=u.pk).number for u in (older, newer, theirs)] == [1, 2, 1]
    assert ingest(subject, purpose).number == 3


# --- Repeated reads grouped ---------------------------------------------------------------------
def test_the_list_groups_reads_by_who_and_what_with_a_count(subject_client, subject, purpose, cameo):
    upload = ingest(subject, purpose, partner=cameo)
    for _ in range(3):
        upload_access_record(upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)
    for _ in range(2):
        upload_access_record(
            upload=upload, actor_kind=AccessEvent.ActorKind.PARTNER, action=AccessEvent.Action.CONTENT, partner=cameo
        )
    upload_reveal(upload=upload, staff=UserFactory(staff=True), reason="Checking a report about this photo")
    last_view = AccessEvent.objects.filter(action=AccessEvent.Action.VIEW).latest("created_at").created_at

    response = subject_client.get(LIST_URL)

    html = response.content.decode()
    assert html.count("You</strong> viewed it") == 1
    assert f'You</strong> viewed it 3 times, last on <time datetime="{last_view.isoformat()}">' in html
    assert "Cameo Studio</strong> downloaded it 2 times, last on" in html
    assert "Privacy staff</strong> revealed the original on" in html
    assertContains(response, "Reason: Checking a report about this photo")


def test_the_list_links_to_the_detail_page_when_more_people_opened_it_than_it_shows(subject_client, subject, purpose):
    upload = ingest(subject, purpose)
    for n in range(6):  # six reveals for six reasons: six lines, more than the list shows
        upload_reveal(upload=upload, staff=UserFactory(staff=True), reason=f"Reason number {n} for a look")

    response = subject_client.get(LIST_URL)

    assert response.content.decode().count("revealed the original on") == 5
    assertContains(response, f'<a href="/uploads/{upload.pk}/#history-title">See everyone who opened it</a>')


def test_the_detail_page_says_how_often_and_when_first_and_last(subject_client, subject, purpose):
    upload = ingest(subject, purpose)
    start = timezone.now() - timedelta(days=3)
    for days in range(3):
        event = upload_access_record(
            upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW
        )
        AccessEvent.objects.filter(pk=event.pk).update(created_at=start + timedelta(days=days))

    response = subject_client.get(f"/uploads/{upload.pk}/")

    first, last = start.strftime("%-d %b %Y, %H:%M"), (start + timedelta(days=2)).strftime("%-d %b %Y, %H:%M")
    html = " ".join(response.content.decode().split())
    assert re.search(
        rf"viewed it 3 times, last on <time [^>]+>{last}</time> \(first on <time [^>]+>{first}</time>\)", html
    )
    assertContains(response, 'href="/activity/"')


# --- A photo with no face found -----------------------------------------------------------------
def test_uploading_a_photo_with_no_face_warns_and_asks_to_keep_or_delete_it(subject_client, subject, purpose):
    response = subject_client.post(
        LIST_URL,
        {
            "csrfmiddlewaretoken": token(subject_client),
            "purposes": [purpose.slug],
            "image": _file(png_bytes()),
        },
        follow=True,
    )

    upload = FaceUpload.objects.get(subject=subject)
    assert upload.faces_detected == 0
    assertContains(response, "Your photo is stored, but we found no face in it.")
    assertContains(response, 'class="message message-warning"')
    notice = _notice(response)
    assert "We found no face in a photo" in notice
    assert upload_label(upload=upload) in notice
    assert f'action="/uploads/{upload.pk}/keep/"' in notice
    assert ">Keep it</button>" in notice
    assert f'href="/uploads/{upload.pk}/delete/"' in notice
    assert ">Delete it</a>" in notice


def test_a_photo_with_a_face_is_not_asked_about(subject_client, subject, purpose):
    upload = ingest(subject, purpose)

    assertNotContains(subject_client.get(LIST_URL), 'data-testid="no-face-notice"')
    assertNotContains(subject_client.get(f"/uploads/{upload.pk}/"), 'data-testid="no-face-notice"')


def test_the_detail_page_asks_too_and_comes_back_there_after_keep_it(subject_client, subject, purpose):
    upload = ingest(subject, purpose, face=False)
    detail = subject_client.get(f"/uploads/{upload.pk}/")
    assert "We found no face in this photo" in _notice(detail)
    assert 'name="return_to" value="detail"' in _notice(detail)

    response = subject_client.post(
        f"/uploads/{upload.pk}/keep/", {"csrfmiddlewaretoken": token(subject_client), "return_to": "detail"}
    )

    assertRedirects(response, f"/uploads/{upload.pk}/", fetch_redirect_response=False)
    assertNotContains(subject_client.get(f"/uploads/{upload.pk}/"), 'data-testid="no-face-notice"')


def test_keep_it_keeps_the_photo_and_is_not_asked_again(subject_client, subject, purpose):
    upload = ingest(subject, purpose, face=False)

    response = subject_client.post(f"/uploads/{upload.pk}/keep/", {"csrfmiddlewaretoken": token(subject_client)})

    assertRedirects(response, LIST_URL, fetch_redirect_response=False)
    after = subject_client.get(LIST_URL)
    assertContains(after, f"“{upload_label(upload=upload)}” stays. We will not ask about it again.")
    assertNotContains(after, 'data-testid="no-face-notice"')
    assert [u.pk for u in after.context["uploads"]] == [upload.pk]
    assert FaceUpload.objects.get(pk=upload.pk).no_face_kept_at is not None


def test_delete_it_asks_for_confirmation_then_erases_the_photo(subject_client, subject, purpose):
    upload = ingest(subject, purpose, face=False)
    delete_url = re.search(r'href="([^"]+)"[^>]*>Delete it</a>', _notice(subject_client.get(LIST_URL))).group(1)

    confirm = subject_client.get(delete_url)
    assertContains(confirm, "Delete this photo?")
    assert FaceUpload.objects.filter(pk=upload.pk).exists()
    response = subject_client.post(delete_url, {"csrfmiddlewaretoken": token(subject_client)}, follow=True)

    assert not FaceUpload.objects.filter(pk=upload.pk).exists()
    assertContains(response, "is erased.")
    assertNotContains(response, 'data-testid="no-face-notice"')


def test_the_list_asks_about_the_newest_five_and_says_how_many_more(subject_client, subject, purpose):
    now = timezone.now()
    uploads = [ingest(subject, purpose, face=False, now=now - timedelta(minutes=i)) for i in range(7)]

    notice = _notice(subject_client.get(LIST_URL))

    assert "We found no face in 7 photos" in notice
    assert [f"/uploads/{u.pk}/keep/" in notice for u in uploads] == [True] * 5 + [False] * 2
    assert "We will ask about 2 more once you have answered these." in notice


def test_someone_else_cannot_keep_my_photo(subject, purpose):
    upload = ingest(subject, purpose, face=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.post(f"/uploads/{upload.pk}/keep/", {"csrfmiddlewaretoken": token(client)})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert FaceUpload.objects.get(pk=upload.pk).no_face_kept_at is None


def test_keep_it_needs_a_signed_in_person_and_the_csrf_token(subject, purpose):
    upload = ingest(subject, purpose, face=False)
    anonymous = Client().post(f"/uploads/{upload.pk}/keep/")
    no_token = Client(enforce_csrf_checks=True)
    no_token.force_login(subject)

    assert anonymous.status_code == HTTPStatus.FOUND
    assert anonymous["Location"].startswith("/accounts/login/")
    assert no_token.post(f"/uploads/{upload.pk}/keep/").status_code == HTTPStatus.FORBIDDEN
    assert FaceUpload.objects.get(pk=upload.pk).no_face_kept_at is None


# --- The file picker ----------------------------------------------------------------------------
def test_the_file_picker_has_a_label_and_its_own_style(subject_client, purpose):
    response = subject_client.get(LIST_URL)

    assertContains(response, '<label for="id_image">Photo of your face</label>')
    assert re.search(r'<input type="file" class="file-picker" name="image" id="id_image"', response.content.decode())


def _file(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("me.png", data, content_type="image/png")


def _notice(response) -> str:
    found = re.search(r'data-testid="no-face-notice">(.*?)</section>', response.content.decode(), re.S)
    assert found, "no notice about a photo without a face"
    return found.group(1)
