"""Webhooks (Standard Webhooks): signed delivery to a real receiver on loopback, retries, the outbox, URL safety."""

import re
import threading
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from accounts.models import StaffAction
from consents.services import consent_grant, consent_withdraw
from partners import doorbell, tasks
from partners.delivery import retry_delay, webhook_deliver, webhook_sweep
from partners.embedded import embedded_deliverer
from partners.exceptions import WebhookUrlRejected
from partners.models import Partner, WebhookAttempt, WebhookEvent
from partners.outbox import webhook_redeliver
from partners.services import link_unlink, partner_create
from tests.consents.factories import PurposeFactory
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db

eager_only = pytest.mark.skipif(
    not django_settings.CELERY_TASK_ALWAYS_EAGER, reason="needs Celery in eager mode (no CELERY_BROKER_URL)"
)


@pytest.fixture
def hooked_link(hooked_partner, subject):
    return LinkFactory(partner=hooked_partner, subject=subject)


@pytest.fixture
def event(hooked_link):
    PurposeFactory(slug="avatar")
    consent_grant(subject=hooked_link.subject, purpose_slug="avatar", actor=hooked_link.subject)
    return WebhookEvent.objects.get(link=hooked_link)


def _due(event: WebhookEvent):
    """A clock just past the event's next attempt."""
    event.refresh_from_db()
    return event.next_attempt_at + timedelta(seconds=1)


def _next_second() -> None:
    """Wait for the wall clock to tick over a second: webhook-timestamp has one-second resolution."""
    time.sleep(1.02 - (time.time() % 1))


# --- Signing -----------------------------------------------------------------------------------
def test_a_delivered_webhook_verifies_with_the_standardwebhooks_library(event, hooked_partner, webhook_receiver):
    webhook_deliver(event_id=event.pk)

    request = webhook_receiver.requests[0]
    payload = Webhook(hooked_partner.webhook_secret).verify(request.body, request.headers)
    assert payload == event.payload


def test_a_tampered_body_fails_verification(event, hooked_partner, webhook_receiver):
    webhook_deliver(event_id=event.pk)

    request = webhook_receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(hooked_partner.webhook_secret).verify(request.body.replace(b"avatar", b"nothing"), request.headers)


def test_the_webhook_carries_the_standard_headers(event, webhook_receiver):
    webhook_deliver(event_id=event.pk)

    headers = webhook_receiver.requests[0].headers
    assert headers["webhook-id"] == event.webhook_id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["content-type"] == "application/json"


def test_the_webhook_body_is_type_timestamp_and_data_with_the_pairwise_id(event, hooked_link, webhook_receiver):
    webhook_deliver(event_id=event.pk)

    body = webhook_receiver.requests[0].json()
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "consent.granted"
    assert body["data"]["subject_id"] == str(hooked_link.pairwise_id)
    assert body["data"]["purpose"] == "avatar"
    assert hooked_link.subject.email not in webhook_receiver.requests[0].body.decode()


def test_the_webhook_is_posted_to_the_partners_url_path(event, webhook_receiver):
    webhook_deliver(event_id=event.pk)

    assert webhook_receiver.requests[0].path == "/hooks/portal"


# --- Delivery outcome and retries ---------------------------------------------------------------
def test_a_2xx_answer_marks_the_event_delivered(event, webhook_receiver):
    webhook_deliver(event_id=event.pk)

    assert len(webhook_receiver.requests) == 1  # the answer came from the receiver
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED
    assert event.delivered_at is not None
    assert event.next_attempt_at is None


def test_a_delivered_event_is_not_sent_again(event, webhook_receiver):
    webhook_deliver(event_id=event.pk)

    webhook_deliver(event_id=event.pk, now=timezone.now() + timedelta(hours=1))

    assert len(webhook_receiver.requests) == 1


def test_a_failing_receiver_is_retried_and_then_succeeds(event, webhook_receiver):
    webhook_receiver.statuses = [HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.OK]
    webhook_deliver(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING

    webhook_deliver(event_id=event.pk, now=_due(event))

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED
    assert event.attempt_count == 2
    assert len(webhook_receiver.requests) == 2


def test_every_attempt_is_a_row_with_status_code_duration_and_error(event, webhook_receiver):
    webhook_receiver.statuses = [HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.OK]
    webhook_deliver(event_id=event.pk)
    webhook_deliver(event_id=event.pk, now=_due(event))

    attempts = list(WebhookAttempt.objects.filter(event=event).order_by("attempted_at"))
    assert [(a.status_code, a.success, a.error) for a in attempts] == [(500, False, "HTTP 500"), (200, True, "")]
    assert all(a.duration_ms >= 0 for a in attempts)


def test_a_slow_receiver_is_timed_in_the_attempt(event, webhook_receiver):
    webhook_receiver.delay_seconds = 0.3

    webhook_deliver(event_id=event.pk)

    assert WebhookAttempt.objects.get(event=event).duration_ms >= 300


def test_a_retry_is_not_made_before_it_is_due(event, webhook_receiver):
    webhook_receiver.default_status = HTTPStatus.SERVICE_UNAVAILABLE
    webhook_deliver(event_id=event.pk)

    result = webhook_deliver(event_id=event.pk)

    assert result is None
    assert len(webhook_receiver.requests) == 1


def test_the_webhook_id_stays_while_timestamp_and_signature_change_across_retries(event, webhook_receiver):
    webhook_receiver.statuses = [HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.OK]
    webhook_deliver(event_id=event.pk)
    _next_second()

    webhook_deliver(event_id=event.pk, now=_due(event))

    first, second = (r.headers for r in webhook_receiver.requests)
    assert first["webhook-id"] == second["webhook-id"] == event.webhook_id
    assert first["webhook-timestamp"] != second["webhook-timestamp"]
    assert first["webhook-signature"] != second["webhook-signature"]


def test_every_retry_verifies_on_its_own(event, hooked_partner, webhook_receiver):
    webhook_receiver.statuses = [HTTPStatus.BAD_GATEWAY, HTTPStatus.OK]
    webhook_deliver(event_id=event.pk)
    webhook_deliver(event_id=event.pk, now=_due(event))

    assert len(webhook_receiver.requests) == 2
    for request in webhook_receiver.requests:
        Webhook(hooked_partner.webhook_secret).verify(request.body, request.headers)


def test_a_redirect_is_not_followed_and_not_counted_as_delivered(event, webhook_receiver):
    webhook_receiver.statuses = [HTTPStatus.FOUND]

    webhook_deliver(event_id=event.pk)

    assert len(webhook_receiver.requests) == 1  # nothing arrived at the Location
    attempt = WebhookAttempt.objects.get(event=event)
    assert (attempt.status_code, attempt.success) == (302, False)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING


def test_an_unreachable_receiver_is_recorded_as_an_error(event, hooked_partner, webhook_receiver):
    Partner.objects.filter(pk=hooked_partner.pk).update(webhook_url="http://127.0.0.1:9/nothing-listens")

    webhook_deliver(event_id=event.pk)

    attempt = WebhookAttempt.objects.get(event=event)
    assert attempt.status_code is None
    assert attempt.error
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING


def test_an_event_is_marked_failed_once_the_retry_window_has_passed(event, webhook_receiver, settings):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    webhook_deliver(event_id=event.pk)

    webhook_deliver(event_id=event.pk, now=event.retry_from + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS))

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert event.next_attempt_at is None
    assert event.attempt_count == 2


def test_an_event_is_still_retried_just_inside_the_retry_window(event, webhook_receiver, settings):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    webhook_deliver(event_id=event.pk)
    last_chance = event.retry_from + timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS - 1)

    webhook_deliver(event_id=event.pk, now=max(last_chance, _due(event)))

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING
    assert event.attempt_count == 2
    assert len(webhook_receiver.requests) == 2


def test_a_failed_event_is_not_retried(event, webhook_receiver):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    webhook_deliver(event_id=event.pk, now=timezone.now() + timedelta(days=3))

    webhook_deliver(event_id=event.pk, now=timezone.now() + timedelta(days=4))

    assert len(webhook_receiver.requests) == 1


@pytest.mark.parametrize("attempt", range(1, 16))
def test_retry_delays_grow_exponentially_up_to_the_cap_with_jitter(attempt, settings):
    capped = min(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1), settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS)

    delays = [retry_delay(attempt=attempt) for _ in range(200)]

    assert all(capped / 2 <= d <= capped for d in delays)
    assert len(set(delays)) > 1  # jitter


def test_the_shortest_delay_of_a_retry_is_at_least_the_longest_of_the_one_before(settings):
    for attempt in range(1, 8):
        longest_before = min(
            settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1), settings.WEBHOOK_RETRY_MAX_DELAY_SECONDS
        )
        assert min(retry_delay(attempt=attempt + 1) for _ in range(100)) >= longest_before


def test_with_default_settings_retries_span_at_least_24_hours(event, webhook_receiver):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    webhook_deliver(event_id=event.pk)
    gaps = []
    for _ in range(200):
        event.refresh_from_db()
        if event.status != WebhookEvent.Status.PENDING:
            break
        last_attempt = WebhookAttempt.objects.filter(event=event).latest("attempted_at")
        gaps.append(event.next_attempt_at - last_attempt.attempted_at)
        webhook_deliver(event_id=event.pk, now=event.next_attempt_at)

    attempts = list(WebhookAttempt.objects.filter(event=event).order_by("attempted_at"))
    assert event.status == WebhookEvent.Status.FAILED
    assert attempts[-1].attempted_at - attempts[0].attempted_at >= timedelta(hours=24)
    assert gaps[6] > 8 * gaps[0]  # exponential, not linear
    assert len(attempts) == len(webhook_receiver.requests)


def test_the_sweep_counts_only_pending_events_that_are_due(event, webhook_receiver):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    webhook_deliver(event_id=event.pk)
    delivered = WebhookEventFactory(link=event.link)
    webhook_receiver.default_status = HTTPStatus.OK
    webhook_deliver(event_id=delivered.pk)

    assert webhook_sweep(now=timezone.now()) == 0
    assert webhook_sweep(now=_due(event)) == 1


@eager_only
def test_the_sweep_delivers_a_due_retry(event, webhook_receiver, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0  # the retry is due at once
    webhook_receiver.statuses = [HTTPStatus.INTERNAL_SERVER_ERROR]
    webhook_deliver(event_id=event.pk)

    webhook_sweep()

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED
    assert len(webhook_receiver.requests) == 2


# --- The outbox: written with the change, sent after commit -------------------------------------
def test_a_consent_change_writes_its_outbox_row_and_rings_after_commit(
    hooked_link, webhook_receiver, django_capture_on_commit_callbacks
):
    PurposeFactory(slug="avatar")

    with django_capture_on_commit_callbacks() as callbacks:
        consent_grant(subject=hooked_link.subject, purpose_slug="avatar", actor=hooked_link.subject)
        assert WebhookEvent.objects.filter(link=hooked_link, event_type="consent.granted").exists()

    assert len(callbacks) == 1
    assert webhook_receiver.requests == []  # nothing is sent inside the transaction


def test_a_rolled_back_change_sends_no_webhook(hooked_link, webhook_receiver, django_capture_on_commit_callbacks):
    PurposeFactory(slug="avatar")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        consent_grant(subject=hooked_link.subject, purpose_slug="avatar", actor=hooked_link.subject)
        raise RuntimeError("the rest of the change failed")

    assert not WebhookEvent.objects.exists()
    assert callbacks == []
    assert webhook_receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_no_webhook_with_real_commits(
    hooked_partner, subject, webhook_receiver, celery_worker
):
    link = LinkFactory(partner=hooked_partner, subject=subject)
    PurposeFactory(slug="avatar")

    with pytest.raises(RuntimeError), transaction.atomic():
        consent_grant(subject=subject, purpose_slug="avatar", actor=subject)
        raise RuntimeError("the rest of the change failed")
    consent_grant(subject=subject, purpose_slug="avatar", actor=subject)  # a committed change, as a yardstick
    assert webhook_receiver.wait_for(1)
    time.sleep(0.5)

    assert WebhookEvent.objects.filter(link=link).count() == 1
    assert len(webhook_receiver.requests) == 1


def test_a_withdrawal_tells_every_linked_partner_and_no_unlinked_one(subject, webhook_receiver):
    PurposeFactory(slug="avatar")
    first = LinkFactory(subject=subject, partner=PartnerFactory(webhook_url=webhook_receiver.url))
    second = LinkFactory(subject=subject, partner=PartnerFactory(webhook_url=webhook_receiver.url))
    gone = LinkFactory(subject=subject, partner=PartnerFactory(webhook_url=webhook_receiver.url))
    link_unlink(link=gone)
    LinkFactory(partner=PartnerFactory(webhook_url=webhook_receiver.url))  # someone else's app

    consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)
    for event in WebhookEvent.objects.filter(event_type="consent.withdrawn"):
        webhook_deliver(event_id=event.pk)

    received = {r.json()["data"]["subject_id"]: r.json()["type"] for r in webhook_receiver.requests}
    assert received == {str(first.pairwise_id): "consent.withdrawn", str(second.pairwise_id): "consent.withdrawn"}


def test_a_partner_without_a_webhook_url_gets_the_event_in_its_feed_only(subject):
    PurposeFactory(slug="avatar")
    link = LinkFactory(subject=subject, partner=PartnerFactory(webhook_url=""))

    consent_withdraw(subject=subject, purpose_slug="avatar", actor=subject)

    event = WebhookEvent.objects.get(link=link)
    assert event.status == WebhookEvent.Status.FEED_ONLY
    assert event.event_type == "consent.withdrawn"


# --- URL safety -----------------------------------------------------------------------------------
REFUSED_URLS = [
    "http://93.184.215.14/hook",
    "https://127.0.0.1/hook",
    "https://localhost/hook",
    "https://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://192.168.0.10/hook",
    "https://[::1]/hook",
    "https://user:pass@93.184.215.14/hook",
    "ftp://93.184.215.14/hook",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_an_unsafe_webhook_url_is_refused_at_save(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    with pytest.raises(WebhookUrlRejected):
        partner_create(name="Sneaky", webhook_url=url)
    assert not Partner.objects.exists()


def test_a_public_https_webhook_url_is_accepted(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    credentials = partner_create(name="Fine", webhook_url="https://93.184.215.14/hook")

    assert credentials.partner.webhook_url == "https://93.184.215.14/hook"


@pytest.mark.parametrize("url", ["https://10.0.0.1/hook", "http://93.184.215.14/hook", "https://169.254.169.254/x"])
def test_an_unsafe_webhook_url_is_refused_by_the_admin_form(url, admin_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    response = admin_client.post(
        "/admin/partners/partner/add/",
        {"name": "Sneaky", "contact_email": "", "webhook_url": url, "active": "on", "scopes": ["consents:read"]},
    )

    assert response.status_code == HTTPStatus.OK
    assert "webhook_url" in response.context["adminform"].form.errors
    assert not Partner.objects.exists()


def test_a_url_that_became_private_is_refused_at_send_time(event, webhook_receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # the loopback URL was allowed when it was saved

    webhook_deliver(event_id=event.pk)

    assert webhook_receiver.requests == []
    attempt = WebhookAttempt.objects.get(event=event)
    assert attempt.status_code is None
    assert attempt.success is False
    assert attempt.error
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING


# --- With a real worker ----------------------------------------------------------------------------
def _links_data(me_api) -> list[dict]:
    return me_api.get("/api/v1/me/links/").json()["links"]


@pytest.mark.django_db(transaction=True)
def test_a_consent_change_through_the_api_is_delivered_and_shows_delivered(
    me_api, subject, hooked_partner, webhook_receiver, celery_worker
):
    link = LinkFactory(partner=hooked_partner, subject=subject)
    PurposeFactory(slug="avatar")

    response = me_api.put("/api/v1/me/consents/avatar/", {"granted": True}, format="json")

    assert response.status_code == HTTPStatus.OK
    assert webhook_receiver.wait_for(1)
    Webhook(hooked_partner.webhook_secret).verify(
        webhook_receiver.requests[0].body, webhook_receiver.requests[0].headers
    )
    deadline = time.monotonic() + 20
    while _links_data(me_api)[0]["latest_event_status"] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.1)
    row = _links_data(me_api)[0]
    assert row["id"] == str(link.pairwise_id)
    assert row["latest_event_status"] == "delivered"
    assert row["latest_event_delivered_at"] is not None
    assert "confirmed it received your latest change" in me_api.get("/connected-apps/").content.decode()


# --- Sent in the background: by a Celery worker, or without a broker by a thread of the web process --
@pytest.fixture
def embedded_background(settings):
    """The embedded default's delivery thread, switched on for one test and stopped after it."""
    settings.WEBHOOK_EMBEDDED_BACKGROUND = True
    settings.WEBHOOK_EMBEDDED_POLL_SECONDS = 0.2
    yield
    embedded_deliverer().stop()


@pytest.fixture
def background_delivery(request):
    """What sends webhooks outside the request here: the real worker with a broker (CI), else the thread.

    Returns `settle()`, to call once the receiver has its requests: it stops the thread after the attempt
    it is recording, because the in-memory SQLite test database refuses a read of a table that another
    connection is writing ("database table is locked") instead of waiting as a file database does."""
    if django_settings.CELERY_TASK_ALWAYS_EAGER:
        request.getfixturevalue("embedded_background")
        return lambda: embedded_deliverer().stop()
    request.getfixturevalue("celery_worker")
    return lambda: None


def _wait_for_status(event_id: int, status: str, timeout: float = 20) -> WebhookEvent:
    deadline = time.monotonic() + timeout
    event = WebhookEvent.objects.get(pk=event_id)
    while event.status != status and time.monotonic() < deadline:
        time.sleep(0.05)
        event.refresh_from_db()
    return event


def test_the_doorbell_rings_the_celery_task_or_the_delivery_thread():
    # Connected in PartnersConfig.ready(): both senders import delivery, which rings the doorbell.
    assert doorbell._senders == {"task": tasks.webhook_deliver, "thread": embedded_deliverer}


@pytest.mark.django_db(transaction=True)
def test_a_slow_receiver_does_not_slow_the_subjects_consent_change(
    me_api, subject, hooked_partner, webhook_receiver, background_delivery
):
    LinkFactory(partner=hooked_partner, subject=subject)
    PurposeFactory(slug="avatar")
    webhook_receiver.hold = threading.Event()  # the receiver answers only when the test lets it

    response = me_api.put("/api/v1/me/consents/avatar/", {"granted": False}, format="json")

    # The change is answered while the receiver has answered nothing: it did not wait for the receiver (a delivery
    # inside the request would have held it until the receiver's 30 s hold ran out). No clock involved.
    assert response.status_code == HTTPStatus.OK
    assert webhook_receiver.answered == 0
    webhook_receiver.hold.set()
    assert webhook_receiver.wait_for(1)  # it did reach the receiver, later
    background_delivery()
    event = WebhookEvent.objects.get(partner=hooked_partner)
    assert _wait_for_status(event.pk, WebhookEvent.Status.DELIVERED).attempts.count() == 1
    assert len(webhook_receiver.requests) == 1


@eager_only
@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_failed_attempt_is_retried_by_the_delivery_thread(
    subject, hooked_partner, webhook_receiver, embedded_background, settings
):
    # Due in 0.5 to 1 s: eager Celery would ignore the countdown, find it not yet due, and never retry.
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    webhook_receiver.statuses = [HTTPStatus.INTERNAL_SERVER_ERROR]
    LinkFactory(partner=hooked_partner, subject=subject)
    PurposeFactory(slug="avatar")

    consent_grant(subject=subject, purpose_slug="avatar", actor=subject)

    assert webhook_receiver.wait_for(2)
    embedded_deliverer().stop()  # the attempt is recorded; see background_delivery
    event = _wait_for_status(WebhookEvent.objects.get(partner=hooked_partner).pk, WebhookEvent.Status.DELIVERED)
    assert [a.status_code for a in event.attempts.order_by("attempted_at")] == [500, 200]
    assert len(webhook_receiver.requests) == 2


# --- Admin -----------------------------------------------------------------------------------------
def test_the_webhook_event_admin_page_shows_every_attempt(event, webhook_receiver, admin_client):
    webhook_receiver.statuses = [HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.OK]
    webhook_deliver(event_id=event.pk)
    webhook_deliver(event_id=event.pk, now=_due(event))

    page = admin_client.get(f"/admin/partners/webhookevent/{event.pk}/change/").content.decode()

    assert event.webhook_id in page
    codes = re.findall(r'<td class="field-status_code">\s*<p>(\d+)</p>', page)
    assert sorted(codes) == ["200", "503"]
    assert "HTTP 503" in page


def test_the_redeliver_action_requeues_a_delivered_event(
    event, webhook_receiver, admin_client, django_capture_on_commit_callbacks
):
    webhook_deliver(event_id=event.pk)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            "/admin/partners/webhookevent/", {"action": "redeliver", "_selected_action": [event.pk]}
        )

    assert response.status_code == HTTPStatus.FOUND
    assert len(callbacks) == 1
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING


def test_the_redeliver_action_writes_one_staff_audit_row(event, admin_client, admin_user):
    admin_client.post("/admin/partners/webhookevent/", {"action": "redeliver", "_selected_action": [event.pk]})

    action = StaffAction.objects.get()
    assert (action.actor, action.subject, action.kind) == (admin_user, event.link.subject, StaffAction.Kind.CHANGE)
    assert (action.target, action.reason) == (f"partners.WebhookEvent:{event.pk}", "redeliver")


def test_a_redelivered_event_is_sent_again_with_the_same_webhook_id(event, webhook_receiver, admin_user):
    webhook_deliver(event_id=event.pk)

    webhook_redeliver(event=event, actor=admin_user)
    webhook_deliver(event_id=event.pk)

    assert [r.headers["webhook-id"] for r in webhook_receiver.requests] == [event.webhook_id] * 2
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED


def test_a_redelivered_failed_event_gets_a_fresh_retry_window(event, webhook_receiver, admin_user):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    webhook_deliver(event_id=event.pk, now=timezone.now() + timedelta(days=3))
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    started = timezone.now()

    webhook_redeliver(event=event, actor=admin_user)

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING
    assert event.retry_from >= started
