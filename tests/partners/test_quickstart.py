"""The partner quick-start client (examples/partner_quickstart.py) against a live portal.

Runs the very file docs/partner-quickstart.md describes, over real HTTP: token, link redemption,
consent checks, the event feed, and a webhook that the portal delivered to a receiver on 127.0.0.1.
Eager Celery delivers on commit inline; with CELERY_BROKER_URL set the in-process worker delivers.
"""

import importlib.util
import queue
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from consents.services import consent_grant
from partners.services import link_code_create, partner_create
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "partner_quickstart.py"
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
