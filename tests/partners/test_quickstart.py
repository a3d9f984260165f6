"""The partner quick-start (docs/partner-quickstart.md and examples/partner_quickstart.py) against a live portal.

Runs the very file the quick-start describes, over real HTTP: token, link redemption, consent checks, the event
feed, appearances and their takedown, and webhooks that the portal delivered to a receiver on 127.0.0.1. The
quick-start's own curl commands for appearances run too, each with a token of only the scope the page names.
Eager Celery delivers on commit inline; with CELERY_BROKER_URL set the in-process worker delivers.
"""

import hashlib
import importlib.util
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import uuid
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from appearances.selectors import appearance_get_for_subject
from appearances.services import appearance_takedown_request
from consents.services import consent_grant
from partners.services import link_code_create, partner_create
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.media_vault.factories import jpeg_bytes

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "partner_quickstart.py"
QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "partner-quickstart.md"
WEBHOOK_WAIT_SECONDS = 30


def _load_example():
    spec = importlib.util.spec_from_file_location("partner_quickstart", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


quickstart = _load_example()


class _Receiver(BaseHTTPRequestHandler):
    """A partner's webhook endpoint: keeps the raw body and headers, answers 204."""

    def do_POST(self):
        length = min(int(self.headers.get("content-length", "0")), 1_000_000)
        self.server.received.put((self.path, self.rfile.read(length), dict(self.headers.items())))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def webhook_receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = queue.Queue()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def portal(live_server, webhook_receiver, celery_worker, settings):
    """A partner whose webhooks go to the receiver, a subject with a fresh link code, and one purpose."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver is on loopback, over http
    port = webhook_receiver.server_address[1]
    credentials = partner_create(name="Quick-start app", webhook_url=f"http://127.0.0.1:{port}/webhooks")
    subject = UserFactory()
    _, code = link_code_create(subject=subject)
    return {
        "url": live_server.url,
        "credentials": credentials,
        "subject": subject,
        "code": code,
        "purpose": PurposeFactory(slug="cameo-video"),
        "received": webhook_receiver.received,
    }


def _next_webhook(received: queue.Queue) -> tuple[str, bytes, dict]:
    try:
        return received.get(timeout=WEBHOOK_WAIT_SECONDS)
    except queue.Empty:
        pytest.fail(f"the portal delivered no webhook within {WEBHOOK_WAIT_SECONDS} s")


@pytest.mark.django_db(transaction=True)
def test_quickstart_client_redeems_and_sees_consent_change(portal):
    # given a token and a redeemed link code
    creds, purpose = portal["credentials"], portal["purpose"]
    token = quickstart.get_token(portal["url"], creds.client_id, creds.client_secret)
    subject_id = quickstart.redeem_link_code(portal["url"], token, portal["code"])
    assert uuid.UUID(subject_id)
    assert quickstart.check_consent(portal["url"], token, subject_id)[purpose.slug]["state"] == "not_asked"

    # when the subject grants the purpose
    consent_grant(subject=portal["subject"], purpose_slug=purpose.slug, actor=portal["subject"])

    # then the single and the bulk check both say granted, and unlinked ids are unknown
    row = quickstart.check_consent(portal["url"], token, subject_id)[purpose.slug]
    assert (row["state"], row["granted"], row["purpose_version"]) == ("granted", True, 1)
    stranger = str(uuid.uuid4())
    results = quickstart.check_many(portal["url"], token, [subject_id, stranger], [purpose.slug])
    assert [(r["subject_id"], r["state"], r["granted"]) for r in results] == [
        (subject_id, "granted", True),
        (stranger, "unknown_subject", False),
    ]


@pytest.mark.django_db(transaction=True)
def test_quickstart_client_verifies_the_webhook_the_portal_delivered(portal):
    # given a linked subject
    creds, purpose = portal["credentials"], portal["purpose"]
    token = quickstart.get_token(portal["url"], creds.client_id, creds.client_secret)
    subject_id = quickstart.redeem_link_code(portal["url"], token, portal["code"])

    # when the subject grants a purpose, the portal delivers a webhook after commit
    consent_grant(subject=portal["subject"], purpose_slug=purpose.slug, actor=portal["subject"])
    path, body, headers = _next_webhook(portal["received"])

    # then the example verifies it with the partner's webhook secret, and it matches the event feed
    payload = quickstart.verify_webhook(creds.webhook_secret, body, headers)
    assert path == "/webhooks"
    assert payload["type"] == "consent.granted"
    assert payload["data"]["subject_id"] == subject_id
    assert payload["data"]["purpose"] == purpose.slug
    events, cursor = quickstart.read_events(portal["url"], token)
    assert [(e["id"], e["type"]) for e in events] == [(headers["webhook-id"], "consent.granted")]
    assert quickstart.read_events(portal["url"], token, after=cursor) == ([], cursor)


@pytest.mark.django_db(transaction=True)
def test_quickstart_client_rejects_a_tampered_or_foreign_webhook(portal):
    creds, purpose = portal["credentials"], portal["purpose"]
    token = quickstart.get_token(portal["url"], creds.client_id, creds.client_secret)
    quickstart.redeem_link_code(portal["url"], token, portal["code"])
    consent_grant(subject=portal["subject"], purpose_slug=purpose.slug, actor=portal["subject"])
    _, body, headers = _next_webhook(portal["received"])

    with pytest.raises(quickstart.WebhookVerificationError):
        quickstart.verify_webhook(creds.webhook_secret, body.replace(b"granted", b"withdrawn"), headers)
    other_secret = partner_create(name="Another app").webhook_secret
    with pytest.raises(quickstart.WebhookVerificationError):
        quickstart.verify_webhook(other_secret, body, headers)


@pytest.mark.django_db(transaction=True)
def test_quickstart_client_reports_problem_codes(portal):
    creds = portal["credentials"]
    with pytest.raises(quickstart.PortalError) as bad_secret:
        quickstart.get_token(portal["url"], creds.client_id, "not-the-secret")
    assert bad_secret.value.status == 401

    token = quickstart.get_token(portal["url"], creds.client_id, creds.client_secret)
    with pytest.raises(quickstart.PortalError) as unknown:
        quickstart.check_consent(portal["url"], token, str(uuid.uuid4()))
    assert unknown.value.status == 404


@pytest.mark.django_db(transaction=True)
def test_quickstart_main_runs_end_to_end(portal, capsys):
    creds = portal["credentials"]
    argv = [portal["url"], creds.client_id, creds.client_secret, portal["code"]]

    assert quickstart.main(argv) == 0

    out = capsys.readouterr().out
    assert "token: ok" in out
    assert f"{portal['purpose'].slug}: not_asked" in out


def _webhook_of_type(received: queue.Queue, event_type: str, secret: str) -> tuple[dict, dict]:
    """The next delivered webhook of that type, verified as the quick-start says; earlier ones are skipped."""
    while True:
        _, body, headers = _next_webhook(received)
        payload = quickstart.verify_webhook(secret, body, headers)
        if payload["type"] == event_type:
            return payload, headers


def _linked(portal) -> tuple[str, str]:
    """A token and the pairwise id of the portal's subject, who granted the purpose."""
    creds = portal["credentials"]
    token = quickstart.get_token(portal["url"], creds.client_id, creds.client_secret)
    subject_id = quickstart.redeem_link_code(portal["url"], token, portal["code"])
    consent_grant(subject=portal["subject"], purpose_slug=portal["purpose"].slug, actor=portal["subject"])
    return token, subject_id


@pytest.mark.django_db(transaction=True)
def test_quickstart_client_reports_lists_and_confirms_a_takedown_before_the_deadline(portal):
    # given a linked subject who granted the purpose, and an appearance reported with its thumbnail
    token, subject_id = _linked(portal)
    url, slug, secret = portal["url"], portal["purpose"].slug, portal["credentials"].webhook_secret
    video = b"the video's bytes"
    reported = quickstart.report_appearance(
        url,
        token,
        subject_id,
        kind="video",
        made_by="other_person",
        purposes=[slug],
        created_at="2026-11-24T14:05:00Z",
        content_sha256=hashlib.sha256(video).hexdigest(),
        title="Beach day",
        thumbnail=jpeg_bytes(),
    )
    assert (reported["status"], reported["has_thumbnail"], reported["purposes"]) == ("live", True, [slug])
    assert [a["id"] for a in quickstart.list_appearances(url, token, subject_id)] == [reported["id"]]

    # when the subject asks for a takedown, the app gets a signed appearance.takedown_requested
    appearance = appearance_get_for_subject(subject=portal["subject"], appearance_id=reported["id"])
    appearance_takedown_request(appearance=appearance, reason="not_me")
    event, headers = _webhook_of_type(portal["received"], "appearance.takedown_requested", secret)
    data = event["data"]
    assert (data["subject_id"], data["appearance_id"]) == (subject_id, reported["id"])
    (listed,) = quickstart.list_appearances(url, token, subject_id)
    assert listed["status"] == "takedown_requested"
    assert datetime.fromisoformat(listed["takedown_due_at"]) == datetime.fromisoformat(data["due_at"])

    # then the app confirms it before the deadline, and the feed holds the same event
    confirmed = quickstart.confirm_taken_down(url, token, data["subject_id"], data["appearance_id"])
    assert confirmed["status"] == "taken_down"
    assert datetime.fromisoformat(confirmed["taken_down_at"]) < datetime.fromisoformat(data["due_at"])
    assert quickstart.confirm_taken_down(url, token, subject_id, reported["id"])["status"] == "taken_down"
    events, _ = quickstart.read_events(url, token)
    assert headers["webhook-id"] in [e["id"] for e in events if e["type"] == "appearance.takedown_requested"]


@pytest.mark.django_db(transaction=True)
def test_quickstart_client_report_under_a_purpose_not_granted_raises_consent_required(portal):
    creds = portal["credentials"]
    token = quickstart.get_token(portal["url"], creds.client_id, creds.client_secret)
    subject_id = quickstart.redeem_link_code(portal["url"], token, portal["code"])

    with pytest.raises(quickstart.PortalError) as refused:
        quickstart.report_appearance(
            portal["url"],
            token,
            subject_id,
            kind="image",
            made_by="subject",
            purposes=[portal["purpose"].slug],
            created_at="2026-11-24T14:05:00Z",
            content_sha256="ab" * 32,
            thumbnail=jpeg_bytes(),
        )

    assert (refused.value.status, refused.value.code) == (403, "consent_required")
    assert quickstart.list_appearances(portal["url"], token, subject_id) == []
    with pytest.raises(quickstart.PortalError) as unknown:
        quickstart.confirm_taken_down(portal["url"], token, subject_id, str(uuid.uuid4()))
    assert (unknown.value.status, unknown.value.code) == (404, "not_found")


def _appearances_section() -> str:
    text = QUICKSTART.read_text()
    start = text.index("## 6. ")
    return text[start : text.index("\n## ", start + 1)]


def _blocks(section: str) -> list[tuple[str, str]]:
    """(language, text) of every fenced block, in order."""
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def _scopes_by_call(section: str) -> dict[tuple[str, str], str]:
    """The section's table: (method, path template) -> the scope it names."""
    rows = re.findall(r"^\| `(GET|POST) (/api/v1/\S+)` \| [^|]+ \| `([a-z:]+)` \|$", section, re.M)
    return {(method, path): scope for method, path, scope in rows}


def _call_of(command: str) -> tuple[str, str]:
    method = "POST" if re.search(r"(-X POST|\s-F\s|\s-d\s)", command) else "GET"
    path = re.search(r'"\$PORTAL(/api/v1/[^"]+)"', command).group(1)
    return method, path.replace("$SUBJECT_ID", "{subject_id}").replace("$APPEARANCE_ID", "{appearance_id}")


def _scoped_token(url: str, creds, scope: str) -> str:
    response = requests.post(
        f"{url}/o/token/",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(creds.client_id, creds.client_secret),
        timeout=10,
    )
    response.raise_for_status()
    assert response.json()["scope"] == scope
    return response.json()["access_token"]


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("sha256sum")), reason="needs curl and sha256sum")
@pytest.mark.django_db(transaction=True)
def test_quickstart_curl_examples_for_appearances_work_with_the_scopes_the_page_names(portal, tmp_path):
    # given the section's curl commands, the JSON shown after each, and the scope its table names for each call
    section = _appearances_section()
    blocks = _blocks(section)
    scopes = _scopes_by_call(section)
    assert set(scopes.values()) == {"appearances:write", "appearances:read"}
    commands = [(i, text) for i, (lang, text) in enumerate(blocks) if lang == "sh"]
    assert len(commands) == 4
    _, subject_id = _linked(portal)
    (tmp_path / "beach-day.mp4").write_bytes(b"the video's bytes")
    (tmp_path / "beach-day.jpg").write_bytes(jpeg_bytes())
    env = {"PATH": os.environ["PATH"], "PORTAL": portal["url"], "SUBJECT_ID": subject_id, "APPEARANCE_ID": ""}
    answers = []

    for index, command in commands:
        # when each runs, with a token of only that scope (the taken-down one after the subject asked)
        call = _call_of(command)
        env["TOKEN"] = _scoped_token(portal["url"], portal["credentials"], scopes[call])
        if call[1].endswith("/taken-down/"):
            appearance = appearance_get_for_subject(subject=portal["subject"], appearance_id=env["APPEARANCE_ID"])
            appearance_takedown_request(appearance=appearance)
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
        )
        answer = json.loads(done.stdout)
        answers.append(answer)
        env["APPEARANCE_ID"] = env["APPEARANCE_ID"] or answer.get("id", "")

        # then it answers what the page shows after it: the same fields (and, for a list, in each result)
        shown = next((text for lang, text in blocks[index + 1 : index + 2] if lang == "json"), None)
        if shown is not None:
            shown = json.loads(shown)
            assert set(answer) == set(shown), command
            if "results" in shown:
                assert {frozenset(r) for r in answer["results"]} == {frozenset(shown["results"][0])}

    # and the answers are what the page says they are
    with_thumbnail, as_json, listed, taken_down = answers
    assert (with_thumbnail["status"], with_thumbnail["has_thumbnail"], with_thumbnail["made_by"]) == (
        "live",
        True,
        "other_person",
    )
    assert with_thumbnail["content_sha256"] == hashlib.sha256(b"the video's bytes").hexdigest()
    assert (as_json["kind"], as_json["has_thumbnail"]) == ("audio", False)
    assert [a["id"] for a in listed["results"]] == [as_json["id"], with_thumbnail["id"]]  # newest first
    assert (taken_down["id"], taken_down["status"]) == (with_thumbnail["id"], "taken_down")
    event = next(
        json.loads(text) for lang, text in blocks if lang == "json" and '"appearance.takedown_requested"' in text
    )
    payload, _ = _webhook_of_type(
        portal["received"], "appearance.takedown_requested", portal["credentials"].webhook_secret
    )
    assert set(payload) == set(event) and set(payload["data"]) == set(event["data"])
