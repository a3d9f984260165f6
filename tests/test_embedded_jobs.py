"""config/embedded_jobs.py and config/enqueue.py: without a broker, jobs and sweeps run in a thread of the process.

Each test switches on the embedded default's thread (the suite runs jobs inline) and stops it afterwards. With
a broker configured (CI), the Django setting alone says "no broker" here: `task_enqueue` reads it, and the
thread runs tasks in this process as eager Celery does, so these tests run on PostgreSQL as well.
"""

import itertools
import threading
import time
from http import HTTPStatus

import pytest
from celery import shared_task

from config.embedded_jobs import embedded_jobs, embedded_jobs_stop
from config.enqueue import task_enqueue
from data_rights.models import DataRequest
from media_vault.models import FaceUpload
from tests.consents.factories import PurposeFactory
from tests.data_rights.factories import DataRequestFactory
from tests.media_vault.factories import FaceUploadFactory

_release = threading.Event()
_done: list[str] = []
_sweeps: list[float] = []


@shared_task(ignore_result=True)
def held_job(*, name: str) -> None:
    """A job that runs until the test releases it (at most 10 s)."""
    _release.wait(timeout=10)
    _done.append(name)


@shared_task(ignore_result=True)
def failing_job(*, name: str) -> None:
    raise RuntimeError(f"job {name} failed")


@shared_task(ignore_result=True)
def counted_sweep() -> None:
    _sweeps.append(time.monotonic())


@pytest.fixture
def embedded(settings):
    """The embedded default's jobs thread: no broker, background jobs on, no sweep unless a test sets one."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMBEDDED_BACKGROUND_JOBS = True
    settings.EMBEDDED_SWEEP_SECONDS = 3600
    _release.clear()
    _done.clear()
    _sweeps.clear()
    yield
    _release.set()
    embedded_jobs_stop()


def test_task_enqueue_returns_before_a_slow_job_finishes_and_the_job_then_runs(embedded):
    started = time.monotonic()
    queued = task_enqueue(held_job, name="slow")
    returned_after = time.monotonic() - started

    assert queued is True
    assert returned_after < 1  # inline, it would wait the 10 s the job holds
    assert _done == []
    _release.set()
    assert embedded_jobs().wait_idle(timeout=10)
    assert _done == ["slow"]


def test_jobs_run_one_after_another_in_the_order_queued(embedded):
    for name in ("first", "second", "third"):
        task_enqueue(held_job, name=name)
    _release.set()

    assert embedded_jobs().wait_idle(timeout=10)
    assert _done == ["first", "second", "third"]


def test_a_failing_job_is_logged_and_the_next_job_still_runs(embedded, caplog):
    assert task_enqueue(failing_job, name="broken") is True
    task_enqueue(held_job, name="after")
    _release.set()

    assert embedded_jobs().wait_idle(timeout=10)
    assert _done == ["after"]
    assert "embedded job tests.test_embedded_jobs.failing_job ['name'] failed" in caplog.text


def test_a_countdown_is_honoured(embedded):
    _release.set()
    started = time.monotonic()
    task_enqueue(held_job, countdown=0.5, name="later")

    assert embedded_jobs().wait_idle(timeout=10)
    assert _done == ["later"]
    assert time.monotonic() - started >= 0.5


def test_with_background_jobs_off_the_job_runs_inline(embedded, settings):
    settings.EMBEDDED_BACKGROUND_JOBS = False
    _release.set()

    task_enqueue(held_job, name="inline")

    assert _done == ["inline"]


def test_the_sweeps_of_the_beat_schedule_run_periodically_without_a_beat(embedded, settings):
    settings.CELERY_BEAT_SCHEDULE = {"count": {"task": counted_sweep.name, "schedule": 60.0}}
    settings.EMBEDDED_SWEEP_SECONDS = 0.2

    embedded_jobs()
    deadline = time.monotonic() + 10
    while len(_sweeps) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)

    assert len(_sweeps) >= 3
    assert min(later - earlier for earlier, later in itertools.pairwise(_sweeps)) >= 0.15


# --- The real jobs: the request answers first, the thread does the work after -----------------------
def _hold_the_thread() -> None:
    """Keep the jobs thread busy, so that what a request queues is still waiting when the request has answered."""
    task_enqueue(held_job, name="ahead")


@pytest.mark.django_db(transaction=True)
def test_an_export_is_built_after_the_request_has_answered(embedded, me_api, subject):
    _hold_the_thread()

    response = me_api.post("/api/v1/me/exports/")

    assert response.status_code == HTTPStatus.ACCEPTED
    export = DataRequest.objects.get(pk=response.json()["id"])
    assert export.status == DataRequest.Status.QUEUED
    _release.set()
    assert embedded_jobs().wait_idle(timeout=30)
    export.refresh_from_db()
    assert export.status == DataRequest.Status.READY


@pytest.mark.django_db(transaction=True)
def test_uploads_left_without_purpose_are_erased_after_the_withdrawal_has_answered(embedded, me_api, subject):
    upload = FaceUploadFactory(subject=subject, purposes=[PurposeFactory(slug="avatar")])  # granted by the factory
    _hold_the_thread()

    response = me_api.put("/api/v1/me/consents/avatar/", {"granted": False}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert FaceUpload.objects.filter(pk=upload.pk).exists()
    _release.set()
    assert embedded_jobs().wait_idle(timeout=30)
    assert not FaceUpload.objects.filter(pk=upload.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_an_export_left_queued_by_a_restart_is_built_by_the_sweep(embedded, settings, subject, caplog):
    export = DataRequestFactory(export=True, subject=subject)  # its task was lost: no one will ring for it
    settings.EMBEDDED_SWEEP_SECONDS = 0.2

    runner = embedded_jobs()
    deadline = time.monotonic() + 30
    while runner.sweeps_done < 2 and time.monotonic() < deadline:  # the job it queues runs before the next sweep
        time.sleep(0.05)
    runner.stop()

    export.refresh_from_db()
    assert export.status == DataRequest.Status.READY
    assert "embedded sweep" not in caplog.text  # every task of the beat schedule ran without an error


@pytest.mark.django_db(transaction=True)
def test_a_new_upload_is_compared_with_find_me_templates_in_the_background(embedded, subject, other_subject):
    from find_me.models import Sighting, UploadScan
    from find_me.services import FIND_ME, subject_enrol
    from tests.find_me.conftest import ASTRONAUT, astronaut_elsewhere_bytes, opt_in

    store = PurposeFactory(slug="store-uploads")
    PurposeFactory(slug=FIND_ME)
    opt_in(subject)
    # The grant's enrolment runs in the jobs thread; let it finish before this thread writes consents again: the
    # test database is SQLite in memory with a shared cache, where a reader in another thread makes a writer fail
    # at once ("table is locked") instead of waiting as on the embedded default's database file.
    assert embedded_jobs().wait_idle(timeout=60)
    FaceUploadFactory(subject=subject, image=ASTRONAUT.read_bytes(), purposes=[store])
    assert embedded_jobs().wait_idle(timeout=60)
    subject_enrol(subject_id=subject.pk)  # (the grant's enrolment ran before her photo existed)
    _hold_the_thread()

    upload = FaceUploadFactory(subject=other_subject, image=astronaut_elsewhere_bytes(), purposes=[store])

    assert not UploadScan.objects.filter(upload=upload).exists()  # the upload answered before any comparison
    _release.set()
    assert embedded_jobs().wait_idle(timeout=60)
    assert Sighting.objects.filter(subject=subject, upload=upload).exists()
