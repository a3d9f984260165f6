"""Webhook events in admin: read-only records with one list action (redeliver), short ids, and the retry window
shown only while an event is being retried."""

from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from partners.models import WebhookEvent
from tests.accounts.factories import UserFactory
from tests.partners.factories import WebhookEventFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:partners_webhookevent_changelist")


@pytest.fixture
def officer_client() -> Client:
    client = Client()
    client.force_login(UserFactory(staff=True, groups=["Privacy officer"]))
    return client


def _change_url(event: WebhookEvent) -> str:
    return reverse("admin:partners_webhookevent_change", args=[event.pk])


def _pending(event: WebhookEvent, *, since: datetime) -> WebhookEvent:
    WebhookEvent.objects.filter(pk=event.pk).update(
        status=WebhookEvent.Status.PENDING, retry_from=since, next_attempt_at=since + timedelta(minutes=5)
    )
    event.refresh_from_db()
    return event


def test_a_feed_only_event_does_not_say_it_is_retrying(officer_client):
    event = WebhookEventFactory()  # its partner has no webhook URL
    assert event.status == WebhookEvent.Status.FEED_ONLY

    html = officer_client.get(_change_url(event)).content.decode()

    assert "in the event feed (no webhook URL)" in html
    assert "etrying since" not in html
    assert "Retry window" not in html
    assert "Next attempt" not in html


def test_a_pending_event_shows_when_its_retry_window_opened_and_closes(officer_client, settings):
    settings.WEBHOOK_RETRY_WINDOW_SECONDS = 26 * 3600
    event = _pending(WebhookEventFactory(), since=datetime(2026, 3, 4, 17, 5, tzinfo=UTC))

    html = officer_client.get(_change_url(event)).content.decode()

    assert "Retry window:" in html
    assert "from 4 Mar 2026, 17:05 to 5 Mar 2026, 19:05; marked failed if not delivered by then" in html
    assert "Next attempt:" in html
    assert "4 Mar 2026, 17:10" in html


def test_a_webhook_event_opens_read_only_and_the_list_keeps_redeliver(officer_client):
    event = WebhookEventFactory()

    detail = officer_client.get(_change_url(event))
    posted = officer_client.post(_change_url(event), {"status": "delivered"})
    listed = officer_client.get(CHANGELIST).content.decode()

    assert detail.status_code == HTTPStatus.OK
    assert 'name="_save"' not in detail.content.decode()
    assert posted.status_code == HTTPStatus.FORBIDDEN
    assert 'value="redeliver"' in listed


def test_the_list_shows_a_short_id_with_the_whole_id_in_its_title(officer_client):
    event = WebhookEventFactory()

    html = officer_client.get(CHANGELIST).content.decode()

    assert f'<span title="{event.webhook_id}">{event.webhook_id[4:12]}</span>' in html
    assert '<td class="field-status_shown">feed only</td>' in html
