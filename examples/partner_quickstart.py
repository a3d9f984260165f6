"""A small, complete client for the face-privacy portal's Partner API v1 (docs/partner-quickstart.md).

Run it against a portal:

    python examples/partner_quickstart.py BASE_URL CLIENT_ID CLIENT_SECRET [LINK_CODE]

or set PORTAL_URL, PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET and PORTAL_LINK_CODE. It needs only
`requests` and `standardwebhooks` (pip install requests standardwebhooks).
"""

import os
import sys

import requests
from standardwebhooks import Webhook, WebhookVerificationError

TIMEOUT = 10  # seconds for every call: never wait forever on the network
BULK_LIMIT = 1000  # the most subject ids one POST /api/v1/consent-checks/ accepts


class PortalError(Exception):
    """An error answer of the portal: RFC 9457 problem details with a machine-readable `code`."""

    def __init__(self, status: int, code: str, detail: str):
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


def _check(response: requests.Response) -> dict:
    if response.ok:
        return response.json()
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    # The token endpoint answers OAuth2 errors ({"error": ...}); the API answers problem details ({"code": ...}).
    raise PortalError(
        response.status_code,
        problem.get("code") or problem.get("error") or "http_error",
        problem.get("detail") or problem.get("error_description") or response.reason,
    )


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def get_token(base_url: str, client_id: str, client_secret: str) -> str:
    """Exchange the client credentials for a bearer token (valid for an hour; fetch a new one on 401)."""
    response = requests.post(
        f"{base_url.rstrip('/')}/o/token/",
        data={"grant_type": "client_credentials"},
        auth=(client_id, client_secret),
        timeout=TIMEOUT,
    )
    return _check(response)["access_token"]


def redeem_link_code(base_url: str, token: str, code: str) -> str:
    """Redeem the code a subject gave you; returns your pairwise subject id (store it, it is stable)."""
    response = requests.post(
        f"{base_url.rstrip('/')}/api/v1/links/", json={"code": code}, headers=_bearer(token), timeout=TIMEOUT
    )
    return _check(response)["subject_id"]


def list_purposes(base_url: str, token: str) -> list[dict]:
    """The active purposes: slug, title, description, version, retention_days."""
    response = requests.get(f"{base_url.rstrip('/')}/api/v1/purposes/", headers=_bearer(token), timeout=TIMEOUT)
    return _check(response)["purposes"]


def check_consent(base_url: str, token: str, subject_id: str) -> dict[str, dict]:
    """One subject's consent for every active purpose, keyed by purpose slug.

    Each value has `granted`, `state`, `purpose_version` and `changed_at`. Only `granted: true` means yes.
    """
    response = requests.get(
        f"{base_url.rstrip('/')}/api/v1/subjects/{subject_id}/consents/", headers=_bearer(token), timeout=TIMEOUT
    )
    return {row["purpose"]: row for row in _check(response)["consents"]}


def check_many(base_url: str, token: str, subject_ids: list[str], purposes: list[str]) -> list[dict]:
    """Bulk check: one result per (subject, purpose), sent in batches of 1,000 subjects.

    Each result has `subject_id`, `purpose`, `granted` and `state`; ids you are not linked to come back
    as `unknown_subject`.
    """
    results = []
    for start in range(0, len(subject_ids), BULK_LIMIT):
        response = requests.post(
            f"{base_url.rstrip('/')}/api/v1/consent-checks/",
            json={"subject_ids": subject_ids[start : start + BULK_LIMIT], "purposes": purposes},
            headers=_bearer(token),
            timeout=TIMEOUT,
        )
        results.extend(_check(response)["results"])
    return results


def read_events(base_url: str, token: str, after: str | None = None, max_pages: int = 100) -> tuple[list[dict], str]:
    """The event feed after a cursor: (events oldest first, the cursor to store for next time)."""
    events, cursor = [], after
    for _ in range(max_pages):
        params = {"limit": 500, **({"after": cursor} if cursor else {})}
        response = requests.get(
            f"{base_url.rstrip('/')}/api/v1/events/", params=params, headers=_bearer(token), timeout=TIMEOUT
        )
        page = _check(response)
        events.extend(page["events"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    return events, cursor


def report_appearance(
    base_url: str,
    token: str,
    subject_id: str,
    *,
    kind: str,
    made_by: str,
    purposes: list[str],
    created_at: str,
    content_sha256: str,
    title: str = "",
    thumbnail: bytes | None = None,
    source_upload_ids: list[str] | None = None,
    c2pa_manifest_id: str = "",
) -> dict:
    """Report media you made with the subject's likeness (scope appearances:write); returns it, with its `id`.

    `kind` is video, image or audio; `made_by` is subject or other_person (a cameo). With a `thumbnail` (JPEG,
    PNG or WebP bytes) it is sent as a multipart form, else as JSON. A purpose not granted now raises
    PortalError 403 `consent_required`, and nothing is stored: do not publish the media.
    """
    fields = {
        "kind": kind,
        "made_by": made_by,
        "purposes": list(purposes),
        "created_at": created_at,
        "content_sha256": content_sha256,
        "title": title,
        "source_upload_ids": list(source_upload_ids or []),
        "c2pa_manifest_id": c2pa_manifest_id,
    }
    url = f"{base_url.rstrip('/')}/api/v1/subjects/{subject_id}/appearances/"
    if thumbnail is None:
        response = requests.post(url, json=fields, headers=_bearer(token), timeout=TIMEOUT)
    else:  # lists become repeated form fields
        response = requests.post(
            url, data=fields, files={"thumbnail": ("thumbnail", thumbnail)}, headers=_bearer(token), timeout=TIMEOUT
        )
    return _check(response)


def list_appearances(base_url: str, token: str, subject_id: str, max_pages: int = 100) -> list[dict]:
    """Your appearances of the subject, newest first (scope appearances:read); follows `next` for you."""
    appearances, url = [], f"{base_url.rstrip('/')}/api/v1/subjects/{subject_id}/appearances/"
    for _ in range(max_pages):
        page = _check(requests.get(url, headers=_bearer(token), timeout=TIMEOUT))
        appearances.extend(page["results"])
        url = page["next"]
        if not url:
            break
    return appearances


def confirm_taken_down(base_url: str, token: str, subject_id: str, appearance_id: str) -> dict:
    """Tell the portal you took an appearance down (scope appearances:write); returns it, `status: taken_down`.

    Do it before the `due_at` of its `appearance.takedown_requested`; confirming again changes nothing.
    """
    response = requests.post(
        f"{base_url.rstrip('/')}/api/v1/subjects/{subject_id}/appearances/{appearance_id}/taken-down/",
        headers=_bearer(token),
        timeout=TIMEOUT,
    )
    return _check(response)


def verify_webhook(secret: str, body: bytes, headers: dict) -> dict:
    """Check a webhook's signature and age (5 minutes); returns {"type", "timestamp", "data"}.

    Pass the raw request body, exactly as received, and its headers. Raises WebhookVerificationError
    when the signature does not match or the message is too old: answer 400 and ignore it.
    """
    try:
        return Webhook(secret).verify(body, dict(headers))
    except (ValueError, UnicodeDecodeError) as error:  # a malformed header or body: the same answer
        raise WebhookVerificationError(str(error)) from error


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    base_url = args[0] if len(args) > 0 else os.environ.get("PORTAL_URL", "")
    client_id = args[1] if len(args) > 1 else os.environ.get("PORTAL_CLIENT_ID", "")
    client_secret = args[2] if len(args) > 2 else os.environ.get("PORTAL_CLIENT_SECRET", "")
    link_code = args[3] if len(args) > 3 else os.environ.get("PORTAL_LINK_CODE", "")
    if not (base_url and client_id and client_secret):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        token = get_token(base_url, client_id, client_secret)
        print("token: ok")
        purposes = [p["slug"] for p in list_purposes(base_url, token)]
        print("purposes:", ", ".join(purposes) or "(none)")
        if not link_code:
            print("No link code given: ask a subject to make one at /connected-apps/ and pass it.")
            return 0
        subject_id = redeem_link_code(base_url, token, link_code)
        print("linked subject:", subject_id)
        for purpose, row in check_consent(base_url, token, subject_id).items():
            print(f"  {purpose}: {row['state']}")
        if purposes:
            granted = [r for r in check_many(base_url, token, [subject_id], purposes) if r["granted"]]
            print("bulk check, granted:", ", ".join(r["purpose"] for r in granted) or "(none)")
        events, cursor = read_events(base_url, token)
        print(f"event feed: {len(events)} events, next cursor {cursor}")
    except PortalError as error:
        print(f"portal error: {error}", file=sys.stderr)
        return 1
    return 0


__all__ = [
    "PortalError",
    "WebhookVerificationError",
    "check_consent",
    "check_many",
    "confirm_taken_down",
    "get_token",
    "list_appearances",
    "list_purposes",
    "main",
    "read_events",
    "redeem_link_code",
    "report_appearance",
    "verify_webhook",
]

if __name__ == "__main__":
    sys.exit(main())
