"""Shared fixtures: fast hashing, locmem email, a temporary media dir, clients, and the browser."""

import os

import pytest
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


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path / "media"}},
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
