"""config/settings.py: embedded defaults with nothing set; production backends and checks from the environment.

Settings are read once per process, so each environment is loaded in a subprocess of its own.
"""

import base64
import importlib
import json
import os
import secrets
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.module_loading import import_string

BASE_DIR = Path(__file__).resolve().parent.parent

# Every variable config/settings.py reads, so that the caller's own environment cannot leak in.
_SETTINGS_VARIABLES = {
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "CACHE_URL",
    "MEDIA_ROOT",
    "RECEIPT_SIGNING_KEYS",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "CELERY_BROKER_URL",
    "LOG_LEVEL",
    "SQLITE_TIMEOUT_SECONDS",
    "EMBEDDED_BACKGROUND_JOBS",
    "EMBEDDED_SWEEP_SECONDS",
}

HTTP_SETTINGS = (
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_HSTS_SECONDS",
    "SECURE_SSL_REDIRECT",
)

_READ_SETTINGS = """
import json, sys
from django.conf import settings
names = sys.argv[1:]
print(json.dumps({name: getattr(settings, name) for name in names}, default=str))
"""


def _environment(**variables: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AWS_")) and key not in _SETTINGS_VARIABLES
    }
    return {**env, "DJANGO_SETTINGS_MODULE": "config.settings", **variables}


def _production_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    production = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "MEDIA_MASTER_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "RECEIPT_SIGNING_KEYS": "r1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    }
    return _environment(**{**production, **variables})


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _settings_in(env: dict[str, str], *names: str) -> dict:
    result = _run(["-c", "import django; django.setup()\n" + _READ_SETTINGS, *names], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Embedded default ----------------------------------------------------------------------------
def test_with_nothing_set_the_portal_runs_embedded():
    values = _settings_in(
        _environment(),
        "DEBUG",
        "DATABASES",
        "STORAGES",
        "CELERY_TASK_ALWAYS_EAGER",
        "EMBEDDED_BACKGROUND_JOBS",
        "EMAIL_BACKEND",
        "ALLOWED_HOSTS",
    )

    assert values["DEBUG"] is True
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["STORAGES"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["EMBEDDED_BACKGROUND_JOBS"] is True  # jobs and sweeps in a thread of the process
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert "127.0.0.1" in values["ALLOWED_HOSTS"]


def test_with_nothing_set_sqlite_lets_readers_on_while_one_writes_and_writers_wait_for_the_lock(tmp_path):
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode'); journal = cursor.fetchone()[0]\n"
        "    cursor.execute('PRAGMA synchronous'); synchronous = cursor.fetchone()[0]\n"
        "options = connection.settings_dict['OPTIONS']\n"
        "print(journal, synchronous, options['transaction_mode'], options['timeout'])"
    )

    result = _run(["-c", script], _environment(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "1", "IMMEDIATE", "20.0"]  # synchronous 1 is NORMAL


def test_with_nothing_set_plain_http_cookies_are_allowed():
    values = _settings_in(
        _environment(),
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    )

    assert values == {
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
    }


@pytest.mark.django_db
def test_embedded_default_serves_plain_http_on_loopback(client, subject, password, settings):
    """The embedded default must work from `runserver` on http://127.0.0.1 with no TLS in front."""
    # given this process running with the values the embedded default loads
    for name, value in _settings_in(_environment(), *HTTP_SETTINGS).items():
        setattr(settings, name, value)

    # when a browser signs in over plain http on loopback
    page = client.get(reverse("account_login"), HTTP_HOST="127.0.0.1")
    login = client.post(reverse("account_login"), {"login": subject.email, "password": password}, HTTP_HOST="127.0.0.1")

    # then nothing redirects to https and the cookies come back over http
    assert page.status_code == HTTPStatus.OK
    assert login.status_code == HTTPStatus.FOUND
    assert login.url == reverse("home")
    assert not page.cookies["csrftoken"]["secure"]
    assert not login.cookies["sessionid"]["secure"]


# --- Production -----------------------------------------------------------------------------------
def test_production_settings_pass_the_deploy_check_with_nothing_silenced(tmp_path):
    result = _run(["manage.py", "check", "--deploy"], _production_environment(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_deploy_check_flags_a_short_secret_key(tmp_path):
    """The deploy check is live, not silenced: a weak key is reported."""
    env = _production_environment(tmp_path)
    env["DJANGO_SECRET_KEY"] = "too-short"

    result = _run(["manage.py", "check", "--deploy"], env)

    assert "security.W009" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_environment(tmp_path, DJANGO_DEBUG="false")
    del env["DJANGO_SECRET_KEY"]

    result = _run(["manage.py", "check"], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_receipt_signing_keys(tmp_path):
    env = _production_environment(tmp_path)
    del env["RECEIPT_SIGNING_KEYS"]

    result = _run(["manage.py", "check"], env)

    assert result.returncode != 0
    assert "RECEIPT_SIGNING_KEYS must be set" in result.stderr


def test_with_nothing_set_the_receipt_key_is_derived_from_the_secret_key_and_survives_restarts():
    first = _settings_in(_environment(), "RECEIPT_SIGNING_KEYS")
    again = _settings_in(_environment(), "RECEIPT_SIGNING_KEYS")

    assert first == again
    assert [entry.split(":")[0] for entry in first["RECEIPT_SIGNING_KEYS"]] == ["local-1"]


def test_a_secret_key_switches_debug_off(tmp_path):
    values = _settings_in(_production_environment(tmp_path), "DEBUG")

    assert values == {"DEBUG": False}


def test_no_check_is_silenced_or_switched_off(tmp_path):
    values = _settings_in(_production_environment(tmp_path), "SILENCED_SYSTEM_CHECKS", "SPECTACULAR_SETTINGS")

    assert values["SILENCED_SYSTEM_CHECKS"] == []
    assert values["SPECTACULAR_SETTINGS"].get("ENABLE_DJANGO_DEPLOY_CHECK", True) is True  # schema warnings count


def test_production_environment_switches_every_backend(tmp_path):
    env = _production_environment(
        tmp_path,
        DATABASE_URL="postgres://portal:secret@db.example.com:5432/portal",
        CELERY_BROKER_URL="redis://redis.example.com:6379/0",
        AWS_STORAGE_BUCKET_NAME="faces",
        AWS_S3_ENDPOINT_URL="https://s3.example.com",
        EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587",
        CACHE_URL="redis://redis.example.com:6379/1",
    )

    values = _settings_in(env, "DATABASES", "CELERY_TASK_ALWAYS_EAGER", "STORAGES", "EMAIL_BACKEND", "EMAIL_HOST")

    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert values["DATABASES"]["default"]["HOST"] == "db.example.com"
    assert values["DATABASES"]["default"].get("OPTIONS", {}) == {}  # the SQLite options are SQLite's alone
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert values["STORAGES"]["default"]["OPTIONS"]["bucket_name"] == "faces"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["EMAIL_HOST"] == "smtp.example.com"


def test_production_cookies_are_secure_httponly_and_lax_with_one_year_hsts(tmp_path):
    values = _settings_in(_production_environment(tmp_path), *HTTP_SETTINGS)

    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "SECURE_SSL_REDIRECT": True,
    }


@pytest.mark.django_db
def test_production_responses_redirect_to_https_and_send_secure_cookies(client, subject, password, settings, tmp_path):
    # given this process running with the values production loads
    for name, value in _settings_in(_production_environment(tmp_path), *HTTP_SETTINGS).items():
        setattr(settings, name, value)

    # when a browser comes over plain http, then over https
    plain = client.get(reverse("account_login"))
    page = client.get(reverse("account_login"), secure=True)
    login = client.post(reverse("account_login"), {"login": subject.email, "password": password}, secure=True)

    # then http is sent to https, and https answers with HSTS and Secure, HttpOnly, Lax cookies
    assert plain.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert plain.url.startswith("https://")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    for cookie in (page.cookies["csrftoken"], login.cookies["sessionid"]):
        assert cookie["secure"]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"


# --- Passwords ------------------------------------------------------------------------------------
def test_argon2id_is_the_first_password_hasher():
    # The tests swap in MD5 for speed through the `settings` fixture; the module keeps the real list.
    config = importlib.import_module("config.settings")

    assert config.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = import_string(config.PASSWORD_HASHERS[0])()
    assert hasher.encode("correct-horse-battery-9", hasher.salt()).startswith("argon2$argon2id$")


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_a_serving_process_loads_every_view_and_freezes_it_out_of_the_garbage_collectors_way(tmp_path, module):
    script = (
        f"import gc, sys\nimport {module}\n"
        "print(gc.get_freeze_count(), 'partners.api.views' in sys.modules, 'data_rights.views' in sys.modules)"
    )

    result = _run(["-c", script], _production_environment(tmp_path))

    assert result.returncode == 0, result.stderr
    frozen, partner_views_loaded, page_views_loaded = result.stdout.split()
    assert int(frozen) > 10_000
    assert (partner_views_loaded, page_views_loaded) == ("True", "True")
