"""Downloading an export (rule 6): the owner only, after a recent re-authentication, streamed, never cached; the
password confirmation comes back to Your data, which starts the download once."""

import io
import json
import zipfile
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from data_rights.exceptions import ExportNotAvailable
from data_rights.models import DataRequest
from data_rights.services import export_build, export_request
from media_vault.models import AccessEvent
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

YOUR_DATA = "/your-data/"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reauthenticate(client: Client, password: str) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == HTTPStatus.FOUND


def _ready_export(subject) -> DataRequest:
    return export_build(request_id=export_request(subject=subject).pk)


def _url(export) -> str:
    return reverse("data_rights:export_download", args=[export.pk])


@pytest.fixture
def reauthenticated(subject, password) -> Client:
    client = _signed_in(subject)
    _reauthenticate(client, password)
    return client


def test_download_path_is_the_documented_one(subject):
    export = _ready_export(subject)
    assert _url(export) == f"/your-data/exports/{export.pk}/download"


def test_download_needs_sign_in(client, subject):
    response = client.get(_url(_ready_export(subject)))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_download_right_after_sign_in_asks_to_reauthenticate_first(subject):
    export = _ready_export(subject)

    response = _signed_in(subject).get(_url(export))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not AccessEvent.objects.filter(subject=subject, action=AccessEvent.Action.EXPORT).exists()


def test_the_password_page_comes_back_to_your_data_for_this_download(subject):
    export = _ready_export(subject)

    response = _signed_in(subject).get(_url(export))

    query = parse_qs(urlsplit(response.url).query)
    assert query["next"] == [f"{YOUR_DATA}?download={export.pk}"]


def test_after_the_password_the_download_starts_on_your_data_with_a_message(subject, password):
    # given a ready export and a subject who signed in a while ago
    export = _ready_export(subject)
    client = _signed_in(subject)

    # when they follow the download link and confirm their password
    asked = client.get(_url(export))
    response = client.post(asked.url, {"password": password}, follow=True)

    # then they land on Your data, which says so and starts the download, with no password field left
    assert response.redirect_chain[-1][0] == YOUR_DATA
    html = response.content.decode()
    assert "Password confirmed. Your copy is downloading." in html
    assert f'<a href="{_url(export)}">download it here</a>' in html
    assert f'<meta http-equiv="refresh" content="0; url={_url(export)}">' in html
    assert 'type="password"' not in html
    # and the download itself needs no second password
    download = client.get(_url(export))
    assert download.status_code == HTTPStatus.OK
    assert download["Content-Disposition"].startswith("attachment;")


def test_the_download_starts_only_once(reauthenticated, subject):
    export = _ready_export(subject)
    reauthenticated.get(f"{YOUR_DATA}?download={export.pk}", follow=True)

    again = reauthenticated.get(YOUR_DATA).content.decode()

    assert 'http-equiv="refresh"' not in again
    assert "Your copy is downloading" not in again


def test_your_data_starts_no_download_without_a_recent_password(subject):
    export = _ready_export(subject)

    response = _signed_in(subject).get(f"{YOUR_DATA}?download={export.pk}")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == _url(export)  # which asks for the password first


def test_your_data_says_so_when_the_copy_to_download_is_gone(reauthenticated, subject):
    export = _ready_export(subject)
    DataRequest.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = reauthenticated.get(f"{YOUR_DATA}?download={export.pk}", follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == YOUR_DATA
    assert 'http-equiv="refresh"' not in html
    assert str(ExportNotAvailable.title) in html


def test_an_old_reauthentication_no_longer_counts(reauthenticated, subject, settings):
    session = reauthenticated.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {**record, "at": record["at"] - settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 1}
        for record in session[AUTHENTICATION_METHODS_SESSION_KEY]
    ]
    session.save()

    response = reauthenticated.get(_url(_ready_export(subject)))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_the_owner_gets_the_archive_streamed_as_an_attachment(reauthenticated, subject):
    export = _ready_export(subject)

    response = reauthenticated.get(_url(export))

    assert response.status_code == HTTPStatus.OK
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/zip"
    built = timezone.localdate(export.finished_at).isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="face-privacy-export-{built}.zip"'
    assert {part.strip() for part in response["Cache-Control"].split(",")} >= {"private", "no-store"}
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert "manifest.json" in archive.namelist()
    assert json.loads(archive.read("profile.json"))["email"] == subject.email


def test_a_download_is_logged_as_an_access_event(reauthenticated, subject):
    response = reauthenticated.get(_url(_ready_export(subject)))
    b"".join(response.streaming_content)

    assert AccessEvent.objects.filter(subject=subject, action=AccessEvent.Action.EXPORT).count() == 1


def test_someone_elses_export_answers_404(reauthenticated):
    theirs = _ready_export(UserFactory())

    assert reauthenticated.get(_url(theirs)).status_code == HTTPStatus.NOT_FOUND


def test_an_expired_export_answers_404(reauthenticated, subject):
    export = _ready_export(subject)
    DataRequest.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert reauthenticated.get(_url(export)).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("status", [DataRequest.Status.QUEUED, DataRequest.Status.RUNNING, DataRequest.Status.FAILED])
def test_an_export_that_is_not_ready_answers_404(reauthenticated, subject, status):
    export = export_request(subject=subject)
    DataRequest.objects.filter(pk=export.pk).update(status=status)

    assert reauthenticated.get(_url(export)).status_code == HTTPStatus.NOT_FOUND


def test_an_unknown_id_answers_404(reauthenticated):
    url = reverse("data_rights:export_download", args=["00000000-0000-4000-8000-000000000000"])
    assert reauthenticated.get(url).status_code == HTTPStatus.NOT_FOUND
