"""The "Your data" page (rule 6): ask for an export, see each one's status; htmx polling is optional."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from data_rights.models import DataRequest
from data_rights.services import export_build, export_request
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/your-data/"


@pytest.fixture
def signed_in(subject) -> Client:
    client = Client()
    client.force_login(subject)
    return client


def _export(subject, **state) -> DataRequest:
    """An export asked for through the service, then moved to the wanted state as the worker would."""
    export = export_request(subject=subject)
    DataRequest.objects.filter(pk=export.pk).update(**state)
    export.refresh_from_db()
    return export


def test_your_data_page_needs_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_page_lives_at_the_contract_path(signed_in):
    assert reverse("data_rights:your_data") == PAGE
    response = signed_in.get(PAGE)
    assert response.status_code == HTTPStatus.OK
    assert "You have not asked for a copy yet." in response.content.decode()


def test_asking_for_an_export_queues_one_and_says_so(signed_in, subject, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = signed_in.post(reverse("data_rights:export_create"), follow=True)

    export = DataRequest.objects.get(subject=subject)
    assert export.kind == DataRequest.Kind.EXPORT
    assert export.status == DataRequest.Status.QUEUED
    assert len(callbacks) == 1  # the build is enqueued only after commit
    assert response.redirect_chain[-1][0] == PAGE
    assert "We are building your export" in response.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not settings.CELERY_TASK_ALWAYS_EAGER, reason="built inside the request only in eager mode")
def test_an_export_built_at_once_shows_no_building_banner_next_to_its_ready_row(signed_in, subject):
    # given the embedded default, where eager Celery builds the export as soon as the request commits
    response = signed_in.post(reverse("data_rights:export_create"), follow=True)

    # then the page shows the ready row and says it is ready, not that it is being built
    export = DataRequest.objects.get(subject=subject)
    html = response.content.decode()
    assert export.status == DataRequest.Status.READY
    assert reverse("data_rights:export_download", args=[export.pk]) in html
    assert "Your copy is ready. Download it below." in html
    assert "We are building your export" not in html
    assert "Ask for a copy</button>" in html


def test_the_building_banner_is_part_of_the_list_that_refreshes(signed_in, subject):
    # given an export waiting for the worker: the refreshed list says it is being built
    export = export_request(subject=subject)
    assert "We are building your export" in signed_in.get(PAGE, headers={"HX-Request": "true"}).content.decode()

    # when the worker has built it, the next refresh drops the banner and offers the download and a new copy
    export_build(request_id=export.pk)
    fragment = signed_in.get(PAGE, headers={"HX-Request": "true"}).content.decode()

    assert "We are building your export" not in fragment
    assert reverse("data_rights:export_download", args=[export.pk]) in fragment
    assert "Ask for a copy</button>" in fragment


def test_a_second_export_while_one_is_built_is_a_readable_message_not_an_error(signed_in, subject):
    _export(subject, status=DataRequest.Status.RUNNING)

    response = signed_in.post(reverse("data_rights:export_create"), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "An export is already being built; wait for it to finish." in response.content.decode()
    assert DataRequest.objects.filter(subject=subject).count() == 1


def test_export_request_needs_a_csrf_token(subject):
    client = Client(enforce_csrf_checks=True)
    client.force_login(subject)

    response = client.post(reverse("data_rights:export_create"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not DataRequest.objects.exists()


def test_export_request_refuses_get(signed_in, subject):
    assert signed_in.get(reverse("data_rights:export_create")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not DataRequest.objects.exists()


def test_a_running_export_shows_its_progress(signed_in, subject):
    _export(subject, status=DataRequest.Status.RUNNING, progress_done=50, progress_total=120)

    html = signed_in.get(PAGE).content.decode()

    assert "Being built" in html
    assert '<progress class="export-progress" max="120" value="50"' in html
    assert "50 of 120 photos packed" in html
    assert "Ask for a copy</button>" not in html  # one at a time


def test_a_ready_export_shows_size_expiry_and_a_download_link(signed_in, subject):
    export = export_request(subject=subject)
    export = export_build(request_id=export.pk)

    html = signed_in.get(PAGE).content.decode()

    assert export.status == DataRequest.Status.READY
    assert "Ready" in html
    assert reverse("data_rights:export_download", args=[export.pk]) in html
    assert "Available until" in html
    assert dateformat.format(timezone.localtime(export.expires_at), "j M Y, H:i") in html
    assert "ZIP, " in html


def test_failed_and_expired_exports_say_so_and_offer_no_download(signed_in, subject):
    failed = _export(subject, status=DataRequest.Status.FAILED, last_error="StorageUnavailable: secret detail")
    expired = _export(subject, status=DataRequest.Status.EXPIRED)

    html = signed_in.get(PAGE).content.decode()

    assert "It could not be built." in html
    assert "Deleted after 7 days." in html
    assert "secret detail" not in html  # staff-only error text
    for export in (failed, expired):
        assert reverse("data_rights:export_download", args=[export.pk]) not in html


def test_a_ready_export_past_its_expiry_shows_as_expired_before_the_sweep(signed_in, subject):
    export = _export(
        subject,
        status=DataRequest.Status.READY,
        archive_object_name="vault/x",
        archive_size=10,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    html = signed_in.get(PAGE).content.decode()

    assert "Expired" in html
    assert reverse("data_rights:export_download", args=[export.pk]) not in html


def test_the_page_lists_only_the_subjects_own_exports(signed_in, subject):
    stranger = UserFactory()
    theirs = _export(stranger, status=DataRequest.Status.FAILED)

    html = signed_in.get(PAGE).content.decode()

    assert str(theirs.pk) not in html


def test_the_list_polls_with_htmx_only_while_an_export_is_active(signed_in, subject):
    export = _export(subject, status=DataRequest.Status.QUEUED)
    assert 'hx-trigger="every 3s"' in signed_in.get(PAGE).content.decode()

    DataRequest.objects.filter(pk=export.pk).update(status=DataRequest.Status.FAILED)

    assert 'hx-trigger="every 3s"' not in signed_in.get(PAGE).content.decode()


def test_htmx_gets_only_the_list_fragment_with_the_new_state(signed_in, subject):
    export = _export(subject, status=DataRequest.Status.RUNNING, progress_done=1, progress_total=4)
    first = signed_in.get(PAGE, headers={"HX-Request": "true"})
    DataRequest.objects.filter(pk=export.pk).update(progress_done=3)

    second = signed_in.get(PAGE, headers={"HX-Request": "true"})

    assert "<html" not in first.content.decode()
    assert 'id="export-list"' in first.content.decode()
    assert "3 of 4 photos packed" in second.content.decode()
    assert "HX-Request" in second["Vary"]


def test_without_javascript_a_reload_shows_the_new_state(signed_in, subject):
    export = _export(subject, status=DataRequest.Status.QUEUED)
    assert "It starts in a moment." in signed_in.get(PAGE).content.decode()

    export_build(request_id=export.pk)

    html = signed_in.get(PAGE).content.decode()
    assert "It starts in a moment." not in html
    assert reverse("data_rights:export_download", args=[export.pk]) in html


def test_the_page_states_what_erasure_removes_and_links_to_it(signed_in):
    html = signed_in.get(PAGE).content.decode()

    assert reverse("data_rights:erasure_confirm") in html
    for words in ("thumbnail", "tamper-evident ledger", "told that you were erased", "who opened", "signed-in session"):
        assert words in html
