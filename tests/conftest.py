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
