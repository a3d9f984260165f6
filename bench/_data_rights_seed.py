"""Shared pieces of bench/export and bench/erasure (see bench/DATA_RIGHTS.md).

PostgreSQL on 127.0.0.1 (a throw-away database whose name contains "bench"), an S3 server on loopback
(moto_server, started and stopped here), the portal's production settings given through the environment,
and two ways to give a subject face uploads:

- `seed_ingest`: real uploads through media_vault.services.upload_ingest (decode, face detection,
  re-encode, thumbnail, two encrypted objects, the row), from a few threads;
- `seed_direct`: FaceUpload rows written in bulk plus small encrypted objects written with
  media_vault.storage.vault_object_put (for 10,000 uploads, where real ingests would take too long).
"""

import argparse
import base64
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from _portal import db_drop, db_recreate  # noqa: F401 - the data-rights benches call them through this module

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
HOST = "127.0.0.1"
PASSWORD = "bench-Password-1234"  # the bench subject's password (erasure_request checks it)
PURPOSE_SLUG = "bench-data-rights"


def ensure_venv(script: str) -> None:
    """Run with the project's virtualenv whatever `python3` the shebang found."""
    if Path(sys.prefix).resolve() != VENV.resolve() and (VENV / "bin" / "python").exists():
        os.execv(str(VENV / "bin" / "python"), [str(VENV / "bin" / "python"), script, *sys.argv[1:]])
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


# --- Arguments and time limit ----------------------------------------------------------------------


class TimeLimitExceeded(Exception):
    pass


def add_common_arguments(parser: argparse.ArgumentParser, *, db_name: str, time_limit: int) -> None:
    parser.add_argument("--local", action="store_true", help="local files (FileSystemStorage) instead of S3")
    parser.add_argument("--db-name", default=db_name, help="dropped and recreated; must contain 'bench'")
    parser.add_argument("--db-host", default=HOST)
    parser.add_argument("--db-port", type=int, default=5432)
    parser.add_argument("--db-user", default="postgres")
    parser.add_argument("--time-limit", type=int, default=time_limit, help="hard limit for the whole run, seconds")
    parser.add_argument("--seed-workers", type=int, default=4, help="threads that seed uploads (1..16)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")


def check_common_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if "bench" not in args.db_name:
        parser.error("--db-name must contain 'bench': this script drops it")
    if args.db_host not in (HOST, "localhost"):
        parser.error("the benchmark runs on 127.0.0.1 only")
    if not 10 <= args.time_limit <= 3600 or not 1 <= args.seed_workers <= 16:
        parser.error("--time-limit 10..3600, --seed-workers 1..16")


def _on_alarm(signum, frame):
    raise TimeLimitExceeded("the benchmark's --time-limit passed")


def _on_term(signum, frame):
    raise SystemExit(143)


def time_limit_install(seconds: int) -> None:
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    signal.alarm(seconds)


# --- S3 on loopback (moto_server) ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class S3Server:
    """moto_server on a free 127.0.0.1 port, in its own process group; one bucket created with boto3."""

    def __init__(self, *, bucket: str, log_path: Path):
        self.bucket = bucket
        self.port = free_port()
        self.endpoint = f"http://{HOST}:{self.port}"
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "moto_server"), "-H", HOST, "-p", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.log_path = log_path

    def environment(self) -> dict[str, str]:
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def wait_and_create_bucket(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"moto_server exited ({self.process.returncode}):\n{self.log_path.read_text()[-2000:]}"
                )
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not listen within {timeout:.0f} s") from None
                time.sleep(0.1)
        self.client().create_bucket(Bucket=self.bucket)

    def object_count(self) -> int:
        paginator = self.client().get_paginator("list_objects_v2")
        return sum(page.get("KeyCount", 0) for page in paginator.paginate(Bucket=self.bucket))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own process group (start_new_session)
                self.process.wait(timeout=5)
        self.log.close()


def local_object_count(media_root: Path) -> int:
    vault = media_root / "vault"
    return sum(1 for p in vault.rglob("*") if p.is_file()) if vault.exists() else 0


# --- Settings ------------------------------------------------------------------------------------------


def portal_environment(args, *, media_root: Path, s3: S3Server | None) -> dict[str, str]:
    """Production settings (DEBUG off: no SQL query log), the bench database, quiet email and logs."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_DEBUG": "false",
        "DJANGO_HTTPS": "false",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"postgres://{args.db_user}@{args.db_host}:{args.db_port}/{args.db_name}",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "memorymail://",
        # The same master key for this process and the build subprocess (it wraps the subject's data key).
        "MEDIA_MASTER_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        # Production settings demand a receipt signing key (Ed25519, 32 raw bytes) as they do media keys.
        "RECEIPT_SIGNING_KEYS": "bench:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "MEDIA_ROOT": str(media_root),
        "NO_PROXY": HOST,
        "no_proxy": HOST,
    }
    if s3 is not None:
        env.update(s3.environment())
    else:  # an inherited bucket would switch the portal to S3
        for name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "CELERY_BROKER_URL"):
            os.environ.pop(name, None)
    os.environ.pop("CELERY_BROKER_URL", None)  # no broker: nothing is sent anywhere
    return env


def enqueue_disable() -> None:
    """The seeding process never runs jobs: requests stay queued for the measured call (no eager Celery)."""
    import data_rights.services

    data_rights.services._enqueue = lambda task_name, request_id: None


# --- Memory ------------------------------------------------------------------------------------------


def vm_hwm_kib(pid: str = "self") -> int:
    """Peak resident set size of a process (VmHWM in /proc/<pid>/status), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


# --- S3 request counting -------------------------------------------------------------------------------


class S3Calls:
    """Counts S3 API calls (per operation) and HTTP requests sent by the client behind default_storage."""

    def __init__(self):
        self.calls: Counter[str] = Counter()
        self.http_requests = 0
        self._lock = threading.Lock()

    def install(self) -> "S3Calls":
        from django.core.files.storage import default_storage

        bucket = getattr(default_storage, "bucket", None)
        if bucket is not None:
            events = bucket.meta.client.meta.events
            events.register("before-call.s3", self._on_call)
            events.register("before-send.s3", self._on_send)
        return self

    def _on_call(self, model=None, **kwargs):
        with self._lock:
            self.calls[model.name] += 1

    def _on_send(self, **kwargs):
        with self._lock:
            self.http_requests += 1

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.http_requests = 0

    def line(self) -> str:
        ops = ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items()))
        return f"{ops or 'none'} ({self.http_requests} HTTP requests)"


# --- Subjects and images -------------------------------------------------------------------------------


def purpose_get():
    from consents.models import Purpose
    from consents.services import purpose_create

    existing = Purpose.objects.filter(slug=PURPOSE_SLUG).first()
    return existing or purpose_create(
        slug=PURPOSE_SLUG,
        title="Bench purpose",
        description="A purpose for the data-rights benchmarks.",
        retention_days=365,
    )


def subject_create(*, email: str):
    """A subject who granted the bench purpose through the consent service (so the ledger has an event)."""
    from accounts.models import User
    from consents.services import consent_grant

    purpose = purpose_get()
    subject = User.objects.create_user(email=email, password=PASSWORD)
    consent_grant(subject=subject, purpose_slug=purpose.slug)
    return subject


def jpeg_noise(rng, *, side: int = 300, amplitude: float = 30.0) -> bytes:
    """A 300x300 gradient plus Gaussian noise; amplitude 30 makes ~50 KB once the portal re-encodes it (q90)."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:side, 0:side]
    shift = rng.integers(0, 255)
    base = np.stack([(x * 255 / side + shift) % 256, y * 255 / side, (x + y) * 127 / side], axis=-1)
    pixels = np.clip(base + rng.normal(0, amplitude, (side, side, 3)), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90)
    return out.getvalue()


def _threads(count: int, workers: int, work) -> None:
    """Run work(start, stop) over `count` items split across threads; each closes its own DB connection."""
    from django.db import connection

    errors: list[BaseException] = []

    def run(start: int, stop: int) -> None:
        try:
            work(start, stop)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    step = -(-count // workers)
    threads = [
        threading.Thread(target=run, args=(start, min(count, start + step)), daemon=True)
        for start in range(0, count, step)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():  # join in slices, so SIGALRM (the time limit) still reaches the main thread
            thread.join(0.5)
    if errors:
        raise errors[0]


def seed_ingest(*, subject, count: int, workers: int, seed: int = 1) -> float:
    """`count` real uploads through media_vault.services.upload_ingest; returns seconds."""
    import numpy as np

    from media_vault.services import upload_ingest

    began = time.monotonic()

    def work(start: int, stop: int) -> None:
        rng = np.random.default_rng([seed, start])
        for _ in range(start, stop):
            upload_ingest(subject=subject, data=jpeg_noise(rng), purpose_slugs=[PURPOSE_SLUG])

    _threads(count, workers, work)
    return time.monotonic() - began


def _object_writer(s3: "S3Server | None", workers: int, data_key: bytes):
    """put(worker, plaintext) -> name. Local files: media_vault.storage.vault_object_put. S3: the same
    encrypted object under the same kind of name (object_encrypt), written with one PutObject by a boto3
    client per thread; vault_object_put through django-storages adds a HeadObject and a transfer manager
    per object, which makes 20,000 objects take minutes."""
    from media_vault.crypto import object_encrypt
    from media_vault.storage import vault_object_put

    if s3 is None:
        return "vault_object_put", lambda worker, plaintext: vault_object_put(data_key=data_key, plaintext=plaintext)
    clients = [s3.client() for _ in range(workers)]

    def put(worker: int, plaintext: bytes) -> str:
        name = f"vault/{secrets.token_hex(20)}"
        body = object_encrypt(data_key=data_key, name=name, plaintext=plaintext)
        clients[worker].put_object(Bucket=s3.bucket, Key=name, Body=body)
        return name

    return "object_encrypt + boto3 put_object", put


def seed_direct(
    *,
    subject,
    count: int,
    workers: int,
    object_bytes: int = 1024,
    access_every: int = 5,
    s3: S3Server | None = None,
) -> tuple[float, str]:
    """`count` FaceUpload rows (bulk) with two encrypted objects each (image `object_bytes`, thumbnail a
    quarter of it), their purpose rows, and one access event per `access_every` uploads.

    With `s3`, objects are written straight with boto3 (see _object_writer); without, with
    vault_object_put. Returns (seconds, how the objects were written)."""
    from django.utils import timezone

    from media_vault.models import AccessEvent, FaceUpload
    from media_vault.storage import subject_data_key

    began = time.monotonic()
    purpose = purpose_get()
    data_key = subject_data_key(subject=subject)
    how, put = _object_writer(s3, workers, data_key)
    names: list[tuple[str, str] | None] = [None] * count
    step = -(-count // workers)

    def work(start: int, stop: int) -> None:
        worker = start // step
        for i in range(start, stop):
            names[i] = (put(worker, os.urandom(object_bytes)), put(worker, os.urandom(object_bytes // 4)))

    _threads(count, workers, work)
    now = timezone.now()
    uploads = [
        FaceUpload(
            subject=subject,
            source=FaceUpload.Source.PORTAL,
            width=300,
            height=300,
            format="JPEG",
            size_bytes=object_bytes,
            sha256="0" * 64,
            object_name=image,
            thumbnail_object_name=thumbnail,
            created_at=now - timedelta(seconds=count - i),
            retention_until=now + timedelta(days=365),
        )
        for i, (image, thumbnail) in enumerate(names)
    ]
    FaceUpload.objects.bulk_create(uploads, batch_size=2000)
    through = FaceUpload.purposes.through
    through.objects.bulk_create([through(faceupload_id=u.pk, purpose_id=purpose.pk) for u in uploads], batch_size=5000)
    AccessEvent.objects.bulk_create(
        [
            AccessEvent(
                subject=subject,
                upload=u,
                upload_ref=u.pk,
                actor_kind=AccessEvent.ActorKind.SUBJECT,
                action=AccessEvent.Action.VIEW,
            )
            for u in uploads[::access_every]
        ],
        batch_size=5000,
    )
    return time.monotonic() - began, how


def workdir_remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
