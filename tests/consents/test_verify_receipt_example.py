"""examples/verify_receipt.py: a receipt fetched from a live portal verifies offline against the saved JWKS."""

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.test import Client

from consents.services import consent_grant
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "verify_receipt.py"


def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def fetched(live_server, tmp_path):
    """A receipt and the JWKS, as a person would save them from the live portal."""
    subject = UserFactory()
    PurposeFactory(slug="avatar")
    event = consent_grant(subject=subject, purpose_slug="avatar", actor=subject)
    browser = Client()
    browser.force_login(subject)
    cookies = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}
    receipt = requests.get(f"{live_server.url}/api/v1/me/receipts/{event.seq}", cookies=cookies, timeout=10)
    jwks = requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=10)
    assert receipt.status_code == 200 and receipt.headers["Content-Type"] == "application/jose"
    (tmp_path / "jwks.json").write_text(jwks.text)
    (tmp_path / "receipt.jws").write_text(receipt.text)
    return {"dir": tmp_path, "event": event, "token": receipt.text}


@pytest.mark.django_db(transaction=True)
def test_a_receipt_from_the_live_portal_verifies_offline(fetched):
    result = _run(str(fetched["dir"] / "jwks.json"), str(fetched["dir"] / "receipt.jws"))

    assert result.returncode == 0, result.stderr
    assert f"VALID receipt {fetched['event'].seq}" in result.stdout
    assert "purpose: avatar (version 1)" in result.stdout
    assert "decision: granted (all_apps)" in result.stdout
    assert fetched["event"].created_at.isoformat(timespec="microseconds") in result.stdout


@pytest.mark.django_db(transaction=True)
def test_the_receipt_can_come_on_stdin(fetched):
    result = _run(str(fetched["dir"] / "jwks.json"), "-", stdin=fetched["token"])

    assert result.returncode == 0, result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_tampered_receipt_exits_1(fetched):
    header, body, signature = fetched["token"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["decision"]["status"] = "withdrawn"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()

    result = _run(str(fetched["dir"] / "jwks.json"), "-", stdin=f"{header}.{forged}.{signature}")

    assert result.returncode == 1
    assert "INVALID" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_receipt_whose_key_is_not_in_the_jwks_exits_1(fetched):
    jwks = json.loads((fetched["dir"] / "jwks.json").read_text())
    jwks["keys"][0]["kid"] = "someone-else"
    (fetched["dir"] / "other.json").write_text(json.dumps(jwks))

    result = _run(str(fetched["dir"] / "other.json"), str(fetched["dir"] / "receipt.jws"))

    assert result.returncode == 1
    assert "unknown key id" in result.stderr


def test_usage_and_unreadable_input_exit_2(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")

    assert _run().returncode == 2
    assert _run(str(tmp_path / "missing.json"), str(tmp_path / "missing.jws")).returncode == 2
    assert _run(str(tmp_path / "broken.json"), "-", stdin="a.b.c").returncode == 2
