"""Partner-side fixtures: API clients holding real bearer tokens, and a real webhook receiver on loopback."""

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from partners.models import PARTNER_SCOPES
from tests.partners.factories import LinkFactory, PartnerFactory


def token_request(client, *, client_id: str, client_secret: str, scope: str | None = None):
    """POST /o/token/ with the client-credentials grant, authenticating with HTTP Basic as partners do."""
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return client.post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def partner_api_client(partner, *, scope: str | None = None) -> APIClient:
    """An APIClient carrying a bearer token that `partner` obtained at /o/token/."""
    client = APIClient()
    response = token_request(client, client_id=partner.client_id, client_secret=partner.client_secret, scope=scope)
    assert response.status_code == HTTPStatus.OK, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
    client.partner = partner
    client.access_token = response.json()["access_token"]
    return client


@pytest.fixture
def make_partner_client(db):
    """Build a partner client: make_partner_client(scopes=[...]) or make_partner_client(partner=...)."""

    def make(*, scopes: list[str] | None = None, partner=None, **partner_fields) -> APIClient:
        if partner is None:
            partner = PartnerFactory(scopes=scopes if scopes is not None else list(PARTNER_SCOPES), **partner_fields)
        return partner_api_client(partner)

    return make


@pytest.fixture
def partner_client(make_partner_client) -> APIClient:
    """A partner with every scope, calling the API with its own bearer token; `.partner` is attached."""
    return make_partner_client()


@pytest.fixture
def other_partner_client(make_partner_client) -> APIClient:
    return make_partner_client()


@pytest.fixture
def linked(partner_client, subject):
    """`subject` linked to `partner_client.partner`."""
    return LinkFactory(partner=partner_client.partner, subject=subject)


# --- A real HTTP receiver on loopback -----------------------------------------------------------
@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records every request; answers with the queued statuses in turn, then with `default_status`."""

    url: str = ""
    requests: list[ReceivedRequest] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200
    delay_seconds: float = 0
    redirect_to: str = "/elsewhere"
    # When set, every request waits for it (at most 30 s) before being answered: a receiver that is still busy.
    hold: threading.Event | None = None
    answered: int = 0

    def wait_for(self, count: int = 1, timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return True
            time.sleep(0.05)
        return len(self.requests) >= count


def _handler_for(receiver: WebhookReceiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            if receiver.delay_seconds:
                time.sleep(receiver.delay_seconds)
            if receiver.hold is not None:
                receiver.hold.wait(timeout=30)
            status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
            receiver.requests.append(
                ReceivedRequest(path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body=body)
            )
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", receiver.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            receiver.answered += 1

        do_GET = do_POST

        def log_message(self, *args):
            pass

    return Handler


@contextmanager
def running_receiver() -> Iterator[WebhookReceiver]:
    """An http.server on 127.0.0.1 (port 0) in a thread, for as long as the block runs."""
    receiver = WebhookReceiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    # server_close() waits for requests still being answered (a slow receiver sleeps), so no handler
    # thread outlives the test and writes to a closed socket while the interpreter shuts down.
    server.daemon_threads, server.block_on_close = False, True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/portal"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def webhook_receiver(settings):
    """A real receiver on loopback; loopback (http, private) webhook URLs are allowed while it runs."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def hooked_partner(webhook_receiver):
    """A partner whose webhook URL is the loopback receiver; its plaintext webhook secret is attached."""
    return PartnerFactory(webhook_url=webhook_receiver.url)
