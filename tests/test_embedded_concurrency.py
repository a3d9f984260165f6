"""The embedded default under concurrent use: several tabs or one script must not break it.

What `make run` serves, in a process of its own: `manage.py runserver` on a SQLite file, eager Celery, no
broker, after `migrate` and `seed_demo`. The test suite's own database (SQLite in memory, or PostgreSQL in CI)
would show neither SQLite's file locking nor the embedded background thread, so this runs the same way
whatever the environment selects.
"""

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from http import HTTPStatus
from pathlib import Path

import pytest
import requests

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-portal-2026"  # demo/seed.py
DEMO, DEMO2 = "demo@example.com", "demo2@example.com"
PURPOSES = ["store-uploads", "generate-likeness", "cameos", "train-models", "find-me"]
THREADS = 8
CHANGES_PER_THREAD = 5
EXPORT_READY_WITHIN_SECONDS = 10

# What the embedded default reads from the environment: none of the caller's values may leak in.
_ENVIRONMENT_PREFIXES = ("DJANGO_", "AWS_", "CELERY_", "WEBHOOK_", "EMBEDDED_", "SQLITE_")
_ENVIRONMENT_NAMES = {"DATABASE_URL", "CACHE_URL", "MEDIA_ROOT", "EMAIL_URL", "ALLOWED_HOSTS", "CONN_MAX_AGE"}


def _embedded_environment(directory: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_ENVIRONMENT_PREFIXES) and key not in _ENVIRONMENT_NAMES
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{directory / 'db.sqlite3'}",
        "MEDIA_ROOT": str(directory / "media"),
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A job a restart cut off: an export row left queued, with no task anywhere to build it.
_LOST_EXPORT = """
from accounts.models import User
from data_rights.models import DataRequest
DataRequest.objects.create(subject=User.objects.get(email="demo2@example.com"), kind=DataRequest.Kind.EXPORT)
"""


class EmbeddedServer:
    def __init__(self, *, url: str, database: Path, env: dict[str, str], log: Path):
        self.url, self.database, self.env, self.log = url, database, env, log

    def sign_in(self, email: str) -> requests.Session:
        """A browser's session: the sign-in form with its CSRF token, then the token the pages send."""
        session = requests.Session()
        session.get(f"{self.url}/accounts/login/", timeout=30).raise_for_status()
        response = session.post(
            f"{self.url}/accounts/login/",
            data={"login": email, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            timeout=30,
        )
        assert response.status_code == HTTPStatus.OK and "sessionid" in session.cookies, self.log_tail()
        session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
        return session

    def log_tail(self) -> str:
        return self.log.read_text()[-5000:]


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    """`make run` in a subprocess: migrate, seed_demo, runserver (threaded, as Django serves it)."""
    directory = tmp_path_factory.mktemp("embedded")
    env = _embedded_environment(directory)
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    _manage(env, "shell", "-c", _LOST_EXPORT)
    port = _free_port()
    log = directory / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    embedded = EmbeddedServer(url=f"http://127.0.0.1:{port}", database=directory / "db.sqlite3", env=env, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{embedded.url}/accounts/login/", timeout=5).raise_for_status()
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, embedded.log_tail()
                time.sleep(0.2)
        yield embedded
    finally:
        server.terminate()
        server.wait(timeout=30)


def _exports(session: requests.Session, url: str) -> list[dict]:
    response = session.get(f"{url}/api/v1/me/exports/", timeout=30)
    assert response.status_code == HTTPStatus.OK
    return response.json()["exports"]


def _wait_until_ready(session: requests.Session, url: str, *, export_id: str) -> tuple[str, float]:
    """Poll the person's export list until the export leaves queued/running; (its status, seconds waited)."""
    started, status = time.monotonic(), None
    while time.monotonic() - started < EXPORT_READY_WITHIN_SECONDS * 3:
        status = next(export["status"] for export in _exports(session, url) if export["id"] == export_id)
        if status not in {"queued", "running"}:
            break
        time.sleep(0.1)
    return status, time.monotonic() - started


def _recorded_decisions(database: Path) -> Counter:
    """Consent events written through the API, per subject's email, read from the server's database file."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=20) as db:
        rows = db.execute(
            "SELECT u.email, count(*) FROM consents_consentevent e JOIN accounts_user u ON u.id = e.subject_id"
            " WHERE e.channel = 'api' GROUP BY u.email"
        ).fetchall()
    return Counter(dict(rows))


def _states_behind_their_last_event(database: Path) -> int:
    """Current-decision rows that are not the subject's last event for that purpose (always 0, rule 8)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=20) as db:
        (behind,) = db.execute(
            "SELECT count(*) FROM consents_consentstate s JOIN consents_consentevent last ON last.id = s.last_event_id"
            " WHERE s.granted != last.granted OR last.seq != (SELECT max(e.seq) FROM consents_consentevent e"
            " WHERE e.subject_id = s.subject_id AND e.purpose_id = s.purpose_id)"
        ).fetchone()
    return behind


def test_eight_threads_changing_consents_during_an_export_get_no_server_error(embedded_server):
    # given two signed-in people; every thread of one person shares their session, as tabs do
    url = embedded_server.url
    sessions = {DEMO: embedded_server.sign_in(DEMO), DEMO2: embedded_server.sign_in(DEMO2)}
    watching = embedded_server.sign_in(DEMO)  # a tab of its own, polling the export (sessions are per thread)
    answers: list[tuple[str, int]] = []
    answers_lock = threading.Lock()

    def change_consents(email: str, worker: int, start: threading.Barrier) -> None:
        session = requests.Session()
        session.cookies.update(sessions[email].cookies)
        session.headers.update(sessions[email].headers)
        start.wait()
        for change in range(CHANGES_PER_THREAD):
            purpose = PURPOSES[(worker + change) % len(PURPOSES)]
            response = session.put(
                f"{url}/api/v1/me/consents/{purpose}/", json={"granted": (worker + change) % 2 == 0}, timeout=60
            )
            with answers_lock:
                answers.append((email, response.status_code))

    def run_threads(emails: list[str]) -> None:
        start = threading.Barrier(len(emails))
        threads = [threading.Thread(target=change_consents, args=(e, n, start)) for n, e in enumerate(emails)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # when 8 threads change one person's consents while that person asks for an export
    started = time.monotonic()
    one_subject = threading.Thread(target=run_threads, args=([DEMO] * THREADS,))
    one_subject.start()
    export = sessions[DEMO].post(f"{url}/api/v1/me/exports/", timeout=60)
    assert export.status_code == HTTPStatus.ACCEPTED, export.text
    export_status: list[tuple[str, float]] = []
    watcher = threading.Thread(
        target=lambda: export_status.append(_wait_until_ready(watching, url, export_id=export.json()["id"]))
    )
    watcher.start()
    one_subject.join()
    # and then 8 threads change two people's consents, four each
    run_threads([DEMO, DEMO2] * (THREADS // 2))
    elapsed = time.monotonic() - started
    watcher.join()

    # then no answer is a server error, every decision is in the ledger and the chain still holds
    statuses = Counter(status for _, status in answers)
    server_errors = sum(count for status, count in statuses.items() if status >= HTTPStatus.INTERNAL_SERVER_ERROR)
    assert export_status, "the export watcher stopped early: " + embedded_server.log_tail()
    [(export_final, ready_after)] = export_status
    print(
        f"\n{len(answers)} consent changes by {THREADS} threads and 1 export request in {elapsed:.1f} s:"
        f" {server_errors} server errors {dict(statuses)}; export {export_final} {ready_after:.1f} s after"
        " it was asked for"
    )
    assert server_errors == 0, (statuses, embedded_server.log_tail())
    assert statuses == {HTTPStatus.OK: 2 * THREADS * CHANGES_PER_THREAD}, statuses
    assert _recorded_decisions(embedded_server.database) == Counter(email for email, _ in answers)
    assert _states_behind_their_last_event(embedded_server.database) == 0
    _manage(embedded_server.env, "verify_ledger")
    # and the export, built by the background thread, is ready within a few seconds of being asked for
    assert export_final == "ready", embedded_server.log_tail()
    assert ready_after < EXPORT_READY_WITHIN_SECONDS


def test_an_export_that_a_restart_cut_off_is_built_when_the_server_starts(embedded_server):
    # given an export left queued before the server started (the fixture), and no beat anywhere
    session = embedded_server.sign_in(DEMO2)
    (lost,) = _exports(session, embedded_server.url)

    # when the server has started, then its background thread's first sweep builds it
    status, waited = _wait_until_ready(session, embedded_server.url, export_id=lost["id"])

    assert status == "ready", embedded_server.log_tail()
    assert waited < EXPORT_READY_WITHIN_SECONDS
