"""Shared fixtures: fast hashing, locmem email, a temporary media dir, clients, and the browser."""

import base64
import hashlib
import os
import socket

import pytest
from botocore.config import Config
from django.conf import settings as django_settings
from pytest_django.fixtures import validate_django_db
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls in browser tests are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def _database_order(item: pytest.Item) -> int:
    """pytest-django's order: 0 database tests in a rolled-back transaction, 1 tests that flush, 2 the rest."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    transaction, reset_sequences, *_ = validate_django_db(marker) if marker else (False, False)
    if transaction or reset_sequences or "transactional_db" in fixtures or "live_server" in fixtures:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep flushing tests after all rolled-back ones, as pytest-django orders them.

    A flush also empties what migrations wrote (the staff groups). pytest runs after pytest-django and groups the
    tests of one browser parameter together, so a rolled-back test that opens a page (the export's index.html)
    would pull every live-server browser test in front of the database tests that follow it. A stable sort keeps
    each group's own order.
    """
    items.sort(key=_database_order)


# A fixed Ed25519 key (32 bytes, base64) for consent receipts in tests; never a deployment's.
RECEIPT_TEST_KEY = "test-1:" + base64.b64encode(hashlib.sha256(b"consent-receipt-test-key").digest()).decode()


@pytest.fixture(autouse=True)
def _fast_and_isolated(request, settings, tmp_path):
    """Fast hashing, locmem email, and media of this test's own: a temp dir, or a fresh S3 bucket in CI."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PARTNER_READ_FLUSH_SECONDS = 0  # partners' consent reads are written at once (batching has its own test)
    settings.WEBHOOK_EMBEDDED_BACKGROUND = False  # eager Celery sends inline (the thread has its own tests)
    settings.EMBEDDED_BACKGROUND_JOBS = False  # eager Celery runs jobs inline too (tests/test_embedded_jobs.py)
    settings.RECEIPT_SIGNING_KEYS = [RECEIPT_TEST_KEY]  # receipts are signed by a fixed key, kid "test-1"
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path / "media"}},
        }
    else:  # S3 (CI): each test gets its own bucket on the loopback server, so listings see only its objects
        _client, bucket = request.getfixturevalue("s3_bucket")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage_settings(endpoint=request.getfixturevalue("s3_endpoint"), bucket=bucket),
        }


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def password() -> str:
    return "correct-horse-battery-9"


@pytest.fixture
def subject(db, password):
    return UserFactory(password=password)


@pytest.fixture
def other_subject(db, password):
    return UserFactory(password=password)


@pytest.fixture
def subject_client(subject):
    """A browser-like client signed in as `subject`, with CSRF checks on."""
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(subject)
    return client


@pytest.fixture
def me_api(subject):
    """An API client signed in with a session, sending the CSRF token as the pages do."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(subject)
    client.get("/consents/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else None
    if token is None:
        from django.middleware.csrf import _get_new_csrf_string

        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
    client.credentials(HTTP_X_CSRFTOKEN=token)
    return client


# --- Browser (Playwright on Debian's Chromium) -----------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


# --- Celery: a real worker on the broker when CELERY_BROKER_URL is set (CI), eager otherwise --
@pytest.fixture(scope="session")
def _celery_worker_session(django_db_setup, django_db_blocker):
    """One in-process worker for the session, started only if a test asks for it and a broker is set."""
    from django.conf import settings

    from config.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    app.control.purge()  # tasks left on the broker by an earlier run must not run against this database
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING") as worker:
        yield worker


@pytest.fixture
def celery_worker(_celery_worker_session):
    """Use with django_db(transaction=True): the worker sees only committed rows."""
    return _celery_worker_session


# --- Storage: local files, and S3 through django-storages against moto's server on loopback ---
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3 endpoint on loopback: the one CI started (AWS_S3_ENDPOINT_URL), else moto's server in a thread."""
    endpoint = os.environ.get("AWS_S3_ENDPOINT_URL")
    if endpoint:
        yield endpoint
        return
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_storage_settings(*, endpoint: str, bucket: str) -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": "testing",
            "secret_key": "testing",
            "region_name": "us-east-1",
            "addressing_style": "path",
            "signature_version": "s3v4",
            "default_acl": None,
            "file_overwrite": False,
            "max_memory_size": 8 * 1024 * 1024,
        },
    }


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh bucket per test; yields a boto3 client and the bucket name."""
    import uuid

    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    client.create_bucket(Bucket=bucket)
    yield client, bucket
    objects = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


@pytest.fixture(params=["local", "s3"])
def vault_storage(request, settings, tmp_path):
    """Run a storage test twice: on local files and on S3 (Zulip's pair). Yields a `list_objects()` callable."""
    if request.param == "local":
        root = tmp_path / "vault-media"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": root}},
        }

        def list_objects() -> list[bytes]:
            return [p.read_bytes() for p in root.rglob("*") if p.is_file()] if root.exists() else []

        yield list_objects
        return
    client, bucket = request.getfixturevalue("s3_bucket")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_settings(endpoint=request.getfixturevalue("s3_endpoint"), bucket=bucket),
    }

    def list_objects() -> list[bytes]:
        keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        return [client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys]

    yield list_objects


# --- Live server ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _live_server_media_url():
    """Give MEDIA_URL a string while the live server starts, and return the real value.

    The portal sets MEDIA_URL = None (face images are never served from a URL), but Django's live server
    wraps its app in a media handler that parses MEDIA_URL and fails on None for every request. A prefix
    that no page links to keeps that handler out of the way; it is put back once the server runs.
    """
    original = django_settings.MEDIA_URL
    django_settings.MEDIA_URL = "/__live-server-media-not-served__/"
    return original


@pytest.fixture(scope="session")
def live_server(_live_server_media_url, live_server):
    django_settings.MEDIA_URL = _live_server_media_url
    return live_server


# --- Storage outages -------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens here once the socket is closed


@pytest.fixture
def s3_with_outage(settings, s3_bucket, s3_endpoint):
    """Media on the loopback S3; `.down()` points storage at a closed port, `.up()` back at the server."""
    client, bucket = s3_bucket
    fail_fast = Config(
        s3={"addressing_style": "path"}, signature_version="s3v4", retries={"total_max_attempts": 1}, connect_timeout=2
    )

    def point_at(endpoint: str) -> None:
        storage = s3_storage_settings(endpoint=endpoint, bucket=bucket)
        storage["OPTIONS"]["client_config"] = fail_fast
        settings.STORAGES = {**settings.STORAGES, "default": storage}

    class Switch:
        def up(self):
            point_at(s3_endpoint)

        def down(self):
            point_at(f"http://127.0.0.1:{_closed_port()}")

        def keys(self) -> set[str]:
            return {item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])}

    switch = Switch()
    switch.up()
    return switch
