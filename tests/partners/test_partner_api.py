"""Partner API v1: purposes, a subject's consents, bulk checks, the event feed; scopes, 404s, isolation, throttling."""

import uuid
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from consents.services import consent_grant, consent_withdraw
from partners.api.permissions import PartnerRateThrottle
from partners.api.views import ConsentRowSerializer
from partners.models import PARTNER_SCOPES, Link, WebhookEvent
from partners.selectors import consent_rows_for_partner
from partners.services import link_unlink
from tests.consents.factories import PurposeFactory, PurposeVersionFactory
from tests.partners.conftest import partner_api_client
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

# (method, path, body, the one scope it needs); {sid} is a subject linked to the caller, {uid} an upload id.
ENDPOINTS = [
    ("get", "/api/v1/purposes/", None, "consents:read"),
    ("post", "/api/v1/links/", {"code": "ABCD-EFGH"}, "links:write"),
    ("get", "/api/v1/subjects/{sid}/consents/", None, "consents:read"),
    ("post", "/api/v1/consent-checks/", {"subject_ids": ["{sid}"], "purposes": ["avatar"]}, "consents:read"),
    ("get", "/api/v1/events/", None, "events:read"),
    ("post", "/api/v1/subjects/{sid}/uploads/", {"purposes": ["avatar"]}, "uploads:write"),
    ("get", "/api/v1/subjects/{sid}/uploads/", None, "uploads:read"),
    ("get", "/api/v1/subjects/{sid}/uploads/{uid}/content", None, "uploads:read"),
    ("delete", "/api/v1/subjects/{sid}/uploads/{uid}/", None, "uploads:write"),
]
ENDPOINT_IDS = [f"{method.upper()} {path}" for method, path, _, _ in ENDPOINTS]


def _call(client, method: str, path: str, body, sid: str):
    path = path.format(sid=sid, uid=uuid.uuid4())
    if body is None:
        return getattr(client, method)(path)
    if "subject_ids" in body:
        return getattr(client, method)(path, {**body, "subject_ids": [sid]}, format="json")
    if "/uploads/" in path:
        return getattr(client, method)(path, body, format="multipart")  # the upload endpoint takes a form
    return getattr(client, method)(path, body, format="json")


def _lacking_cases():
    for (method, path, body, needed), endpoint_id in zip(ENDPOINTS, ENDPOINT_IDS, strict=True):
        for held in PARTNER_SCOPES:
            if held != needed:
                yield pytest.param(method, path, body, held, id=f"{endpoint_id} with only {held}")
        others = " ".join(s for s in PARTNER_SCOPES if s != needed)
        yield pytest.param(method, path, body, others, id=f"{endpoint_id} with every scope but {needed}")


@pytest.fixture
def avatar():
    return PurposeFactory(slug="avatar", title="Avatar", retention_days=90)


# --- Scopes and authentication on every endpoint -----------------------------------------------
@pytest.mark.parametrize(("method", "path", "body", "held"), list(_lacking_cases()))
def test_a_token_without_the_endpoints_scope_is_403_insufficient_scope(method, path, body, held, avatar):
    partner = PartnerFactory()
    link = LinkFactory(partner=partner)
    api = partner_api_client(partner, scope=held)

    response = _call(api, method, path, body, str(link.pairwise_id))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "insufficient_scope"


@pytest.mark.parametrize(("method", "path", "body", "needed"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_token_with_only_the_endpoints_scope_is_let_through(method, path, body, needed, avatar):
    partner = PartnerFactory()
    link = LinkFactory(partner=partner)
    api = partner_api_client(partner, scope=needed)

    response = _call(api, method, path, body, str(link.pairwise_id))

    assert response.status_code not in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN)


@pytest.mark.parametrize(("method", "path", "body", "needed"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_no_token_is_401_problem_details(method, path, body, needed, avatar):
    link = LinkFactory()

    response = _call(APIClient(), method, path, body, str(link.pairwise_id))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(("method", "path", "body", "needed"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_an_unknown_token_is_401(method, path, body, needed, avatar):
    link = LinkFactory()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token-we-issued")

    response = _call(client, method, path, body, str(link.pairwise_id))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["Content-Type"] == PROBLEM


def test_a_subjects_session_does_not_open_the_partner_api(me_api, avatar):
    response = me_api.get("/api/v1/purposes/")

    assert response.status_code == HTTPStatus.UNAUTHORIZED


# --- Purposes ------------------------------------------------------------------------------
def test_purposes_lists_active_purposes_with_their_version_and_retention(partner_client, avatar):
    PurposeFactory(slug="retired", active=False)
    PurposeVersionFactory(purpose=avatar, retention_days=60)

    response = partner_client.get("/api/v1/purposes/")

    assert response.status_code == HTTPStatus.OK
    avatar.refresh_from_db()
    assert response.json()["purposes"] == [
        {
            "slug": "avatar",
            "title": avatar.title,
            "description": avatar.description,
            "version": 2,
            "retention_days": 60,
        }
    ]


# --- A subject's consents -------------------------------------------------------------------
@pytest.fixture
def four_states(linked):
    """`linked`'s subject with one purpose in each of the four states."""
    subject = linked.subject
    purposes = {slug: PurposeFactory(slug=slug) for slug in ["p-granted", "p-withdrawn", "p-not-asked", "p-reconsent"]}
    consent_grant(subject=subject, purpose_slug="p-granted", actor=subject)
    consent_withdraw(subject=subject, purpose_slug="p-withdrawn", actor=subject)
    consent_grant(subject=subject, purpose_slug="p-reconsent", actor=subject)
    PurposeVersionFactory(purpose=purposes["p-reconsent"], requires_reconsent=True)
    return linked


def test_subject_consents_show_each_state_and_granted_only_for_granted(partner_client, four_states):
    body = partner_client.get(f"/api/v1/subjects/{four_states.pairwise_id}/consents/").json()

    assert body["subject_id"] == str(four_states.pairwise_id)
    rows = {row["purpose"]: (row["state"], row["granted"]) for row in body["consents"]}
    assert rows == {
        "p-granted": ("granted", True),
        "p-withdrawn": ("withdrawn", False),
        "p-not-asked": ("not_asked", False),
        "p-reconsent": ("reconsent_required", False),
    }


def test_subject_consent_rows_are_exactly_what_the_documented_serializer_gives(partner_client, four_states):
    # The view builds its rows by hand for speed; the schema documents them with ConsentRowSerializer.
    body = partner_client.get(f"/api/v1/subjects/{four_states.pairwise_id}/consents/").json()

    _, rows, _ = consent_rows_for_partner(partner=partner_client.partner, subject_id=four_states.pairwise_id)
    assert body["consents"] == ConsentRowSerializer(rows, many=True).data
    changed = {row["purpose"]: row["changed_at"] for row in body["consents"]}
    assert changed["p-not-asked"] is None
    assert changed["p-granted"].endswith("Z")  # UTC, as DRF writes it


def test_a_withdrawal_is_effective_on_the_next_read(partner_client, linked, avatar):
    consent_grant(subject=linked.subject, purpose_slug="avatar", actor=linked.subject)

    consent_withdraw(subject=linked.subject, purpose_slug="avatar", actor=linked.subject)

    rows = partner_client.get(f"/api/v1/subjects/{linked.pairwise_id}/consents/").json()["consents"]
    assert rows[0]["state"] == "withdrawn"
    assert rows[0]["granted"] is False


def test_reading_consents_records_last_consent_read_at(partner_client, linked, avatar):
    assert linked.last_consent_read_at is None
    before = timezone.now()

    partner_client.get(f"/api/v1/subjects/{linked.pairwise_id}/consents/")

    linked.refresh_from_db()
    assert linked.last_consent_read_at >= before


def test_a_bulk_check_records_last_consent_read_at(partner_client, linked, avatar):
    partner_client.post(
        "/api/v1/consent-checks/", {"subject_ids": [str(linked.pairwise_id)], "purposes": ["avatar"]}, format="json"
    )

    linked.refresh_from_db()
    assert linked.last_consent_read_at is not None


def _not_found_body(client, subject_id) -> tuple[int, str, dict]:
    response = client.get(f"/api/v1/subjects/{subject_id}/consents/")
    return response.status_code, response["Content-Type"], response.json()


def test_an_id_linked_to_another_partner_answers_exactly_like_an_unknown_id(partner_client, avatar):
    others = LinkFactory()

    unknown = _not_found_body(partner_client, uuid.uuid4())
    elsewhere = _not_found_body(partner_client, others.pairwise_id)

    assert unknown[0] == HTTPStatus.NOT_FOUND
    assert unknown[1] == PROBLEM
    assert elsewhere == unknown


def test_an_unlinked_id_answers_exactly_like_an_unknown_id(partner_client, linked, avatar):
    link_unlink(link=linked)

    assert _not_found_body(partner_client, linked.pairwise_id) == _not_found_body(partner_client, uuid.uuid4())


def test_a_malformed_id_answers_exactly_like_an_unknown_id(partner_client, avatar):
    assert _not_found_body(partner_client, "42") == _not_found_body(partner_client, uuid.uuid4())


def test_a_deactivated_subject_answers_exactly_like_an_unknown_id(partner_client, linked, avatar):
    User.objects.filter(pk=linked.subject.pk).update(is_active=False)

    assert _not_found_body(partner_client, linked.pairwise_id) == _not_found_body(partner_client, uuid.uuid4())


def test_a_partner_cannot_read_consents_by_another_partners_id_for_the_same_person(partner_client, linked, avatar):
    others = LinkFactory(subject=linked.subject)

    response = partner_client.get(f"/api/v1/subjects/{others.pairwise_id}/consents/")

    assert response.status_code == HTTPStatus.NOT_FOUND


# --- Bulk consent checks ---------------------------------------------------------------------
def test_consent_checks_answer_every_subject_and_purpose_pair(partner_client, linked, avatar):
    PurposeFactory(slug="voice")
    consent_grant(subject=linked.subject, purpose_slug="avatar", actor=linked.subject)

    response = partner_client.post(
        "/api/v1/consent-checks/",
        {"subject_ids": [str(linked.pairwise_id)], "purposes": ["avatar", "voice"]},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["results"] == [
        {
            "subject_id": str(linked.pairwise_id),
            "purpose": "avatar",
            "granted": True,
            "state": "granted",
            "scope": "all_apps",
        },
        {
            "subject_id": str(linked.pairwise_id),
            "purpose": "voice",
            "granted": False,
            "state": "not_asked",
            "scope": "all_apps",
        },
    ]


def test_consent_checks_give_unknown_and_unlinked_ids_state_unknown_subject(partner_client, avatar):
    gone = LinkFactory(partner=partner_client.partner)
    consent_grant(subject=gone.subject, purpose_slug="avatar", actor=gone.subject)
    link_unlink(link=gone)
    others = LinkFactory()
    consent_grant(subject=others.subject, purpose_slug="avatar", actor=others.subject)
    ids = [str(uuid.uuid4()), str(gone.pairwise_id), str(others.pairwise_id), "not-a-uuid"]

    results = partner_client.post(
        "/api/v1/consent-checks/", {"subject_ids": ids, "purposes": ["avatar"]}, format="json"
    ).json()["results"]

    assert [(r["subject_id"], r["state"], r["granted"]) for r in results] == [
        (sid, "unknown_subject", False) for sid in ids
    ]


def test_consent_checks_accept_1000_subjects(partner_client, avatar):
    response = partner_client.post(
        "/api/v1/consent-checks/",
        {"subject_ids": [str(uuid.uuid4()) for _ in range(1000)], "purposes": ["avatar"]},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["results"]) == 1000


def test_consent_checks_refuse_1001_subjects(partner_client, avatar):
    response = partner_client.post(
        "/api/v1/consent-checks/",
        {"subject_ids": [str(uuid.uuid4()) for _ in range(1001)], "purposes": ["avatar"]},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert "subject_ids" in response.json()["errors"]


def test_consent_checks_refuse_an_unknown_purpose(partner_client, linked, avatar):
    response = partner_client.post(
        "/api/v1/consent-checks/",
        {"subject_ids": [str(linked.pairwise_id)], "purposes": ["avatar", "mind-reading"]},
        format="json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "unknown_purpose"
    assert "mind-reading" in response.json()["detail"]


def test_consent_checks_refuse_an_inactive_purpose(partner_client, linked):
    PurposeFactory(slug="retired", active=False)

    response = partner_client.post(
        "/api/v1/consent-checks/", {"subject_ids": [str(linked.pairwise_id)], "purposes": ["retired"]}, format="json"
    )

    assert response.json()["code"] == "unknown_purpose"


def test_consent_checks_refuse_an_empty_subject_list(partner_client, avatar):
    response = partner_client.post(
        "/api/v1/consent-checks/", {"subject_ids": [], "purposes": ["avatar"]}, format="json"
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid"


def _linked_subjects(partner, count: int) -> list[str]:
    """`count` subjects linked to `partner`, made in bulk; their pairwise ids."""
    stamp = uuid.uuid4().hex[:8]
    users = User.objects.bulk_create([User(email=f"bulk-{stamp}-{n}@example.org") for n in range(count)])
    if users[0].pk is None:  # backends that do not return keys from bulk inserts
        users = list(User.objects.filter(email__startswith=f"bulk-{stamp}-"))
    links = Link.objects.bulk_create([Link(partner=partner, subject=user) for user in users])
    return [str(link.pairwise_id) for link in links]


def _check_queries(client, subject_ids: list[str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/api/v1/consent-checks/", {"subject_ids": subject_ids, "purposes": ["avatar", "voice"]}, format="json"
        )
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["results"]) == 2 * len(subject_ids)
    return len(queries)


def test_a_bulk_check_takes_as_many_queries_for_1000_subjects_as_for_10(partner_client, avatar):
    PurposeFactory(slug="voice")
    ids = _linked_subjects(partner_client.partner, 1010)
    for link in Link.objects.filter(pairwise_id__in=ids[:5] + ids[10:15]).select_related("subject"):
        consent_grant(subject=link.subject, purpose_slug="avatar", actor=link.subject)

    for_ten = _check_queries(partner_client, ids[:10])
    for_a_thousand = _check_queries(partner_client, ids[10:])

    assert for_a_thousand == for_ten


def test_a_bulk_check_of_1000_subjects_stays_within_a_small_query_budget(
    partner_client, avatar, django_assert_max_num_queries
):
    ids = _linked_subjects(partner_client.partner, 1000)

    with django_assert_max_num_queries(10):
        response = partner_client.post(
            "/api/v1/consent-checks/", {"subject_ids": ids, "purposes": ["avatar"]}, format="json"
        )

    assert response.status_code == HTTPStatus.OK


# --- The event feed -----------------------------------------------------------------------------
def test_the_event_feed_pages_with_next_cursor_and_has_more(partner_client, linked):
    made = [WebhookEventFactory(link=linked).webhook_id for _ in range(5)]

    first = partner_client.get("/api/v1/events/?limit=2").json()
    second = partner_client.get(f"/api/v1/events/?limit=2&after={first['next_cursor']}").json()
    third = partner_client.get(f"/api/v1/events/?limit=2&after={second['next_cursor']}").json()

    assert [e["id"] for e in first["events"] + second["events"] + third["events"]] == made
    assert (first["has_more"], second["has_more"], third["has_more"]) == (True, True, False)


def test_the_event_feed_after_the_last_cursor_is_empty_until_something_happens(partner_client, linked):
    WebhookEventFactory(link=linked)
    cursor = partner_client.get("/api/v1/events/").json()["next_cursor"]

    empty = partner_client.get(f"/api/v1/events/?after={cursor}").json()
    newer = WebhookEventFactory(link=linked)
    caught_up = partner_client.get(f"/api/v1/events/?after={empty['next_cursor']}").json()

    assert empty["events"] == []
    assert empty["has_more"] is False
    assert [e["id"] for e in caught_up["events"]] == [newer.webhook_id]


def test_the_event_feed_carries_the_webhook_payloads(partner_client, linked, avatar):
    consent_grant(subject=linked.subject, purpose_slug="avatar", actor=linked.subject)
    event = WebhookEvent.objects.get(partner=partner_client.partner)

    entry = partner_client.get("/api/v1/events/").json()["events"][0]

    assert entry == {"id": event.webhook_id, **event.payload}
    assert entry["type"] == "consent.granted"
    assert entry["data"]["subject_id"] == str(linked.pairwise_id)
    assert entry["data"]["purpose"] == "avatar"


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "%20"])
def test_a_bad_cursor_is_400_problem_details(partner_client, cursor):
    response = partner_client.get(f"/api/v1/events/?after={cursor}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid_cursor"


def test_a_partner_never_sees_another_partners_events(partner_client, linked):
    mine = WebhookEventFactory(link=linked)
    theirs = WebhookEventFactory(link=LinkFactory(subject=linked.subject))

    ids = [e["id"] for e in partner_client.get("/api/v1/events/?after=0").json()["events"]]

    assert ids == [mine.webhook_id]
    assert theirs.webhook_id not in ids


def test_a_cursor_past_another_partners_event_does_not_reveal_it(partner_client, linked):
    theirs = WebhookEventFactory(link=LinkFactory())

    events = partner_client.get(f"/api/v1/events/?after={theirs.pk - 1}").json()["events"]

    assert events == []


@pytest.mark.parametrize("limit", [None, "2", "0", "abc"])
@pytest.mark.parametrize("cursor", ["abc", "", "-1", "1.5", "%20", "%C2%B2"])
def test_a_bad_cursor_is_answered_with_the_cursor_error_alone_whatever_the_limit(partner_client, cursor, limit):
    query = f"?after={cursor}" + (f"&limit={limit}" if limit is not None else "")

    response = partner_client.get(f"/api/v1/events/{query}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "The query parameter `after` is not valid: Not a cursor from this feed.",
        "code": "invalid_cursor",
        "errors": {"after": ["Not a cursor from this feed."]},
    }


@pytest.mark.parametrize("limit", ["0", "501", "abc", "", "-1", "%2B5", "5.0", "%205", "%C2%B2", "9" * 30])
def test_a_bad_limit_is_400_problem_details_with_the_limit_error(partner_client, linked, limit):
    response = partner_client.get(f"/api/v1/events/?after=0&limit={limit}")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid_parameter"
    assert response.json()["detail"] == "The query parameter `limit` is not valid: A whole number from 1 to 500."
    assert response.json()["errors"] == {"limit": ["A whole number from 1 to 500."]}


def test_the_event_feed_gives_100_events_a_page_unless_asked_for_1_to_500(partner_client, linked):
    for _ in range(101):
        WebhookEventFactory(link=linked)

    default = partner_client.get("/api/v1/events/").json()
    one = partner_client.get("/api/v1/events/?limit=1").json()
    most = partner_client.get("/api/v1/events/?limit=500").json()

    assert (len(default["events"]), default["has_more"]) == (100, True)
    assert (len(one["events"]), one["has_more"]) == (1, True)
    assert (len(most["events"]), most["has_more"]) == (101, False)


def test_a_page_that_takes_the_last_events_exactly_has_no_more(partner_client, linked):
    made = [WebhookEventFactory(link=linked) for _ in range(2)]

    page = partner_client.get("/api/v1/events/?limit=2").json()

    assert [e["id"] for e in page["events"]] == [e.webhook_id for e in made]
    assert page["has_more"] is False
    assert page["next_cursor"] == str(made[-1].pk)


def test_an_empty_feed_has_no_cursor_and_an_empty_page_keeps_the_one_it_was_given(partner_client, linked):
    beyond = "9" * 25  # past any id: an empty page, not an error

    fresh = partner_client.get("/api/v1/events/").json()
    later = partner_client.get(f"/api/v1/events/?after={beyond}").json()

    assert fresh == {"events": [], "next_cursor": None, "has_more": False}
    assert later == {"events": [], "next_cursor": beyond, "has_more": False}


# --- Throttling -----------------------------------------------------------------------------------
@pytest.fixture
def three_a_minute(settings, monkeypatch):
    rates = {"partner": "3/min", "partner_bulk": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # SimpleRateThrottle copies the rates when the class is defined; patch the copy as well.
    monkeypatch.setattr(PartnerRateThrottle, "THROTTLE_RATES", rates)


def test_a_partner_over_its_rate_gets_429_with_retry_after(partner_client, three_a_minute, avatar):
    for _ in range(3):
        assert partner_client.get("/api/v1/purposes/").status_code == HTTPStatus.OK

    response = partner_client.get("/api/v1/purposes/")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "throttled"


def test_throttling_counts_each_partner_separately(partner_client, other_partner_client, three_a_minute, avatar):
    for _ in range(4):
        partner_client.get("/api/v1/purposes/")

    assert other_partner_client.get("/api/v1/purposes/").status_code == HTTPStatus.OK


def test_bulk_checks_have_their_own_rate(partner_client, linked, three_a_minute, avatar):
    body = {"subject_ids": [str(linked.pairwise_id)], "purposes": ["avatar"]}
    for _ in range(3):
        partner_client.post("/api/v1/consent-checks/", body, format="json")

    assert partner_client.post("/api/v1/consent-checks/", body, format="json").status_code == 429
    assert partner_client.get("/api/v1/purposes/").status_code == HTTPStatus.OK
