"""With Redis and real workers (CI): an erasure sent through the broker finishes, and one whose worker is killed
with SIGKILL in the middle is taken up again and finishes. Skipped in eager mode (no CELERY_BROKER_URL)."""

import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from data_rights.models import DataRequest
from data_rights.services import data_requests_sweep, erasure_request
from data_rights.tasks import subject_erase as subject_erase_task
from media_vault.models import FaceUpload
from media_vault.selectors import upload_image_bytes
from media_vault.storage import subject_data_key, vault_object_put
from tests.data_rights.factories import DataRequestFactory
from tests.media_vault.factories import FaceUploadFactory

pytestmark = pytest.mark.django_db(transaction=True)

User = get_user_model()
WAIT_SECONDS = 60
LEASE_SECONDS = 3
KILLED_UPLOADS = 2000  # four batches of 500: the worker is killed after the first


@pytest.fixture(autouse=True)
def _needs_a_broker(settings):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs Redis and a worker (set CELERY_BROKER_URL)")


def _wait_for(condition, *, what: str, timeout: float = WAIT_SECONDS, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    pytest.fail(f"waited {timeout} s for {what}\n{tail}")


def _request(erasure: DataRequest) -> DataRequest:
    return DataRequest.objects.get(pk=erasure.pk)


def test_erasure_sent_through_the_broker_finishes(celery_worker, subject, password, avatar):
    FaceUploadFactory(subject=subject, purposes=[avatar])
    erasure = erasure_request(subject=subject, password=password)  # committed: the worker gets it after commit
    _wait_for(lambda: _request(erasure).status == DataRequest.Status.DONE, what="the erasure to finish")
    assert not User.objects.filter(pk=subject.pk).exists()
    assert not FaceUpload.objects.exists()


# --- A worker killed with SIGKILL in the middle of an erasure -----------------------------------


def _database_url(database: dict) -> str:
    assert database["NAME"].startswith("test_"), "a worker must only ever see the test database"
    auth = quote(database["USER"] or "") + (f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else "")
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{quote(database['NAME'])}"


def _worker_env(settings, media: Path) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(settings.DATABASES["default"]),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DATA_REQUEST_LEASE_SECONDS": str(LEASE_SECONDS),
        "MEDIA_ROOT": str(media),
        "MEDIA_MASTER_KEYS": ",".join(settings.MEDIA_MASTER_KEYS),
        "RECEIPT_SIGNING_KEYS": ",".join(settings.RECEIPT_SIGNING_KEYS),
    }
    env.pop("AWS_STORAGE_BUCKET_NAME", None)  # this test keeps media in local files the test can list
    return env


def _worker_start(*, queues: str, env: dict, log: Path, settings):
    import subprocess

    celery = Path(settings.BASE_DIR) / ".venv" / "bin" / "celery"
    if not celery.exists():
        celery = Path(sys.executable).parent / "celery"
    command = [
        str(celery),
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queues,
        "-n",
        f"{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)


def _uploads_like(upload: FaceUpload, *, count: int) -> None:
    """Many more uploads of the same subject, each with its own stored objects (the gate is too slow for thousands)."""
    data_key = subject_data_key(subject=upload.subject)
    image, thumbnail = upload_image_bytes(upload=upload), upload_image_bytes(upload=upload, thumbnail=True)
    fields = {
        f.attname: getattr(upload, f.attname)
        for f in FaceUpload._meta.concrete_fields
        if f.attname not in ("id", "object_name", "thumbnail_object_name")
    }
    copies = [
        FaceUpload(
            **fields,
            object_name=vault_object_put(data_key=data_key, plaintext=image),
            thumbnail_object_name=vault_object_put(data_key=data_key, plaintext=thumbnail),
        )
        for _ in range(count)
    ]
    FaceUpload.objects.bulk_create(copies, batch_size=500)
    through = FaceUpload.purposes.through
    purpose_ids = list(upload.purposes.values_list("pk", flat=True))
    through.objects.bulk_create(
        [through(faceupload_id=c.pk, purpose_id=p) for c in copies for p in purpose_ids], batch_size=1000
    )


@pytest.mark.postgres_only
def test_erasure_finishes_after_its_worker_is_killed_mid_job(subject, avatar, settings, tmp_path):
    # given: a subject with thousands of uploads in local files that the worker processes also use
    media = tmp_path / "worker-media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{FileSystemStorage.__module__}.FileSystemStorage", "OPTIONS": {"location": media}},
    }
    settings.DATA_REQUEST_LEASE_SECONDS = LEASE_SECONDS
    _uploads_like(FaceUploadFactory(subject=subject, purposes=[avatar]), count=KILLED_UPLOADS - 1)
    erasure = DataRequestFactory(erasure=True, subject=subject)
    queue = f"test-erasure-{uuid.uuid4().hex[:12]}"
    env = _worker_env(settings, media)
    first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
    workers = []
    try:
        # when: a worker takes the job, is killed once the first batch is gone, and another worker comes up
        workers.append(_worker_start(queues=queue, env=env, log=first_log, settings=settings))
        subject_erase_task.apply_async(kwargs={"request_id": str(erasure.pk)}, queue=queue)
        _wait_for(lambda: _request(erasure).progress_done > 0, what="the first batch", log=first_log)
        workers[0].kill()  # SIGKILL: no cleanup, the message stays unacknowledged
        workers[0].wait(timeout=10)
        killed = _request(erasure)
        assert killed.status == DataRequest.Status.RUNNING
        assert 0 < FaceUpload.objects.filter(subject=subject).count() < KILLED_UPLOADS
        workers.append(_worker_start(queues=f"{queue},celery", env=env, log=second_log, settings=settings))
        _wait_for(lambda: timezone.now() > killed.lease_until, what="the dead worker's lease to run out")
        assert data_requests_sweep() == 1  # what beat does every few minutes
        _wait_for(
            lambda: _request(erasure).status == DataRequest.Status.DONE, what="the erasure to finish", log=second_log
        )
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    # then: everything went, and the receipt counts what every attempt erased
    finished = _request(erasure)
    assert finished.attempts == 2
    assert finished.receipt["face_uploads"] == KILLED_UPLOADS
    assert finished.receipt["storage_objects"] == 2 * KILLED_UPLOADS
    assert not [path for path in media.rglob("*") if path.is_file()]
    assert not User.objects.filter(pk=subject.pk).exists()
