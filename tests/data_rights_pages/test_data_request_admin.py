"""The privacy officer's queue of data requests: deadlines, an overdue filter, retry, read-only, no personal data."""

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffAction
from data_rights.models import DataRequest
from data_rights.services import (
    data_request_retry,
    data_requests_retry,
    erasure_request,
    export_request,
    subject_erase,
)
from tests.accounts.audit import AuditRefused, staff_audit_refused
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:data_rights_datarequest_changelist")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer():
    return UserFactory(staff=True, groups=["Privacy officer"])


@pytest.fixture
def officer_client(officer) -> Client:
    return _client_for(officer)


def _export(**state) -> DataRequest:
    export = export_request(subject=UserFactory())
    DataRequest.objects.filter(pk=export.pk).update(**state)
    export.refresh_from_db()
    return export


def _ids_listed(response) -> set[str]:
    return {str(obj.pk) for obj in response.context["cl"].result_list}


def test_only_privacy_officers_get_the_data_request_permissions():
    officer = set(Group.objects.get(name="Privacy officer").permissions.values_list("codename", flat=True))
    support = set(Group.objects.get(name="Support").permissions.values_list("codename", flat=True))

    assert {"view_datarequest", "change_datarequest"} <= officer
    assert "add_datarequest" not in officer
    assert "delete_datarequest" not in officer
    assert not {c for c in support if c.endswith("_datarequest")}


def test_support_cannot_open_the_queue():
    support = _client_for(UserFactory(staff=True, groups=["Support"]))

    assert support.get(CHANGELIST).status_code == HTTPStatus.FORBIDDEN


def test_the_queue_shows_kind_status_attempts_error_and_deadline(officer_client):
    failed = _export(status=DataRequest.Status.FAILED, attempts=5, last_error="StorageUnavailable: bucket down")

    response = officer_client.get(CHANGELIST)

    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert str(failed.pk) in html
    assert "StorageUnavailable: bucket down" in html
    # The request date is on the detail page: the deadline is 30 days after it.
    for column in ("kind", "status", "tries", "last_error_shown", "deadline_on", "overdue"):
        assert f"column-{column}" in html


def test_the_overdue_filter_lists_unfinished_requests_past_their_deadline(officer_client):
    past = timezone.now() - timedelta(days=1)
    overdue_queued = _export(status=DataRequest.Status.QUEUED, deadline=past)
    overdue_failed = _export(status=DataRequest.Status.FAILED, deadline=past)
    finished_late = _export(status=DataRequest.Status.READY, deadline=past)
    expired_late = _export(status=DataRequest.Status.EXPIRED, deadline=past)
    in_time = _export(status=DataRequest.Status.RUNNING)

    overdue = _ids_listed(officer_client.get(CHANGELIST, {"overdue": "yes"}))
    not_overdue = _ids_listed(officer_client.get(CHANGELIST, {"overdue": "no"}))

    assert overdue == {str(overdue_queued.pk), str(overdue_failed.pk)}
    assert not_overdue == {str(finished_late.pk), str(expired_late.pk), str(in_time.pk)}


def test_retry_requeues_only_failed_requests_and_logs_the_staff_action(officer_client, officer):
    failed = _export(status=DataRequest.Status.FAILED, attempts=5, lease_until=None)
    ready = _export(status=DataRequest.Status.READY, attempts=1)

    response = officer_client.post(
        CHANGELIST, {"action": "retry", "_selected_action": [str(failed.pk), str(ready.pk)]}, follow=True
    )

    assert response.status_code == HTTPStatus.OK
    failed.refresh_from_db()
    ready.refresh_from_db()
    assert (failed.status, failed.attempts) == (DataRequest.Status.QUEUED, 0)
    assert (ready.status, ready.attempts) == (DataRequest.Status.READY, 1)
    assert StaffAction.objects.filter(actor=officer, target=f"data_rights.DataRequest:{failed.pk}").count() == 1
    assert not StaffAction.objects.filter(target=f"data_rights.DataRequest:{ready.pk}").exists()
    assert "1 request queued again." in response.content.decode()


def test_retry_tells_how_many_were_queued_and_how_many_were_left(officer_client):
    failed = [_export(status=DataRequest.Status.FAILED) for _ in range(2)]
    running = _export(status=DataRequest.Status.RUNNING)
    selected = [str(r.pk) for r in [*failed, running]]

    response = officer_client.post(CHANGELIST, {"action": "retry", "_selected_action": selected}, follow=True)

    html = response.content.decode()
    assert "2 requests queued again." in html
    assert "1 request was not failed and was left as it is." in html


def test_data_requests_retry_queues_the_failed_ones_and_counts_them(officer, django_capture_on_commit_callbacks):
    failed = [_export(status=DataRequest.Status.FAILED, attempts=5) for _ in range(2)]
    ready = _export(status=DataRequest.Status.READY)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        retried = data_requests_retry(requests=DataRequest.objects.all(), actor=officer)

    assert retried == 2
    assert len(callbacks) == 2
    assert set(DataRequest.objects.filter(status=DataRequest.Status.QUEUED).values_list("pk", flat=True)) == {
        r.pk for r in failed
    }
    assert StaffAction.objects.filter(actor=officer, reason="retry").count() == 2
    assert DataRequest.objects.get(pk=ready.pk).status == DataRequest.Status.READY


def test_a_retry_is_undone_when_its_staff_action_cannot_be_written(officer, django_capture_on_commit_callbacks):
    failed = _export(status=DataRequest.Status.FAILED, attempts=5)

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        staff_audit_refused(),
        pytest.raises(AuditRefused),
    ):
        data_request_retry(request=failed, actor=officer)

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DataRequest.Status.FAILED, 5)
    assert callbacks == []


def test_a_retry_needs_a_staff_member():
    failed = _export(status=DataRequest.Status.FAILED)

    with pytest.raises(TypeError):
        data_request_retry(request=failed)  # type: ignore[call-arg]


def test_a_view_only_staff_member_gets_no_retry_action():
    viewer = UserFactory(staff=True)
    viewer.user_permissions.add(
        *Group.objects.get(name="Privacy officer").permissions.filter(codename="view_datarequest")
    )
    failed = _export(status=DataRequest.Status.FAILED)
    client = _client_for(viewer)

    assert 'value="retry"' not in client.get(CHANGELIST).content.decode()
    client.post(CHANGELIST, {"action": "retry", "_selected_action": [str(failed.pk)]})
    failed.refresh_from_db()
    assert failed.status == DataRequest.Status.FAILED


def test_the_queue_is_read_only(officer_client):
    export = _export(status=DataRequest.Status.FAILED)
    change_url = reverse("admin:data_rights_datarequest_change", args=[export.pk])

    assert officer_client.get(reverse("admin:data_rights_datarequest_add")).status_code == HTTPStatus.FORBIDDEN
    delete_url = reverse("admin:data_rights_datarequest_delete", args=[export.pk])
    assert officer_client.post(delete_url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    detail = officer_client.get(change_url)
    assert detail.status_code == HTTPStatus.OK
    assert 'name="_save"' not in detail.content.decode()
    officer_client.post(change_url, {"status": "ready", "attempts": "0"})
    export.refresh_from_db()
    assert export.status == DataRequest.Status.FAILED
    assert "delete_selected" not in officer_client.get(CHANGELIST).content.decode()


def test_erasure_rows_show_no_email_before_or_after_the_erasure(officer_client, subject, password):
    email = subject.email
    erasure = erasure_request(subject=subject, password=password)
    change_url = reverse("admin:data_rights_datarequest_change", args=[erasure.pk])

    pending = [officer_client.get(CHANGELIST).content.decode(), officer_client.get(change_url).content.decode()]
    subject_erase(request_id=erasure.pk)
    done = [officer_client.get(CHANGELIST).content.decode(), officer_client.get(change_url).content.decode()]

    for html in pending + done:
        assert email not in html
        assert subject.display_name not in html
    assert '<td class="field-subject_shown">erased</td>' in done[0]
    assert '<div class="readonly">erased</div>' in done[1]
    assert f'<td class="field-subject_shown">#{subject.pk}</td>' in pending[0]


def _row(html: str, request: DataRequest) -> str:
    """The change list's row for `request`, found by its short id."""
    return re.search(rf">{str(request.pk)[:8]}</a>.*?</tr>", html, re.S).group(0)


def test_overdue_reads_as_a_word_on_overdue_requests_and_a_dash_on_the_rest(officer_client):
    past = timezone.now() - timedelta(days=1)
    overdue = _export(status=DataRequest.Status.FAILED, deadline=past)
    in_time = _export(status=DataRequest.Status.QUEUED)
    finished_late = _export(status=DataRequest.Status.READY, deadline=past)

    html = officer_client.get(CHANGELIST).content.decode()

    assert '<td class="field-overdue"><strong class="overdue">Overdue</strong></td>' in _row(html, overdue)
    assert '<td class="field-overdue">—</td>' in _row(html, in_time)
    assert '<td class="field-overdue">—</td>' in _row(html, finished_late)
    assert "icon-no.svg" not in html  # no red cross on requests that are fine
    assert "icon-yes.svg" not in html


def test_the_queue_shows_short_ids_and_cuts_a_long_error_but_keeps_it_whole_in_its_title(officer_client):
    error = "StorageUnavailable: " + "the bucket did not answer in time; " * 5
    failed = _export(status=DataRequest.Status.FAILED, last_error=error)

    html = officer_client.get(CHANGELIST).content.decode()

    assert f">{str(failed.pk)[:8]}</a>" in html
    assert f'<span class="cut" title="{error}">{error}</span>' in html
