"""Partners read the restrictions list and a linked subject's restrictions, and are told when they change."""

from http import HTTPStatus

import pytest
from django.db import transaction

from consents.services import restrictions_set
from partners.models import WebhookEvent
from tests.partners.factories import LinkFactory

pytestmark = pytest.mark.django_db


def test_the_restrictions_list_has_slug_title_description_and_version(partner_client):
    response = partner_client.get("/api/v1/restrictions/")

    assert response.status_code == HTTPStatus.OK
    rows = response.json()["restrictions"]
    assert {row["slug"] for row in rows} >= {"no-political", "no-minors-in-scene"}
    assert all(set(row) == {"slug", "title", "description", "version"} for row in rows)


def test_the_restrictions_list_needs_consents_read(make_partner_client):
    client = make_partner_client(scopes=["links:write"])

    assert client.get("/api/v1/restrictions/").status_code == HTTPStatus.FORBIDDEN


def test_a_partner_sees_the_subjects_restrictions_with_the_consents(partner_client):
    link = LinkFactory(partner=partner_client.partner)
    restrictions_set(subject=link.subject, slugs=["no-voice", "no-political"], actor=link.subject)

    response = partner_client.get(f"/api/v1/subjects/{link.pairwise_id}/consents/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["restrictions"] == ["no-political", "no-voice"]


def test_a_subject_with_no_restrictions_has_an_empty_list(partner_client):
    link = LinkFactory(partner=partner_client.partner)

    assert partner_client.get(f"/api/v1/subjects/{link.pairwise_id}/consents/").json()["restrictions"] == []


def test_another_partners_subject_still_answers_404(partner_client, other_partner_client):
    link = LinkFactory(partner=other_partner_client.partner)
    restrictions_set(subject=link.subject, slugs=["no-voice"], actor=link.subject)

    response = partner_client.get(f"/api/v1/subjects/{link.pairwise_id}/consents/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "restrictions" not in response.json()


def test_a_change_is_written_to_every_linked_partner_in_the_same_transaction(partner_client, other_partner_client):
    link = LinkFactory(partner=partner_client.partner)
    other = LinkFactory(partner=other_partner_client.partner, subject=link.subject)

    with pytest.raises(RuntimeError), transaction.atomic():
        restrictions_set(subject=link.subject, slugs=["no-sexual"], actor=link.subject)
        assert WebhookEvent.objects.filter(event_type="restrictions.changed").count() == 2
        raise RuntimeError("roll back")
    assert not WebhookEvent.objects.filter(event_type="restrictions.changed").exists()

    restrictions_set(subject=link.subject, slugs=["no-sexual", "no-voice"], actor=link.subject)

    events = WebhookEvent.objects.filter(event_type="restrictions.changed")
    assert {event.link for event in events} == {link, other}
    by_link = {event.link: event.payload["data"] for event in events}
    assert by_link[link] == {"subject_id": str(link.pairwise_id), "restrictions": ["no-sexual", "no-voice"]}
    assert by_link[other]["subject_id"] == str(other.pairwise_id)


def test_no_webhook_when_the_set_does_not_change(partner_client):
    link = LinkFactory(partner=partner_client.partner)
    restrictions_set(subject=link.subject, slugs=["no-sexual"], actor=link.subject)

    restrictions_set(subject=link.subject, slugs=["no-sexual"], actor=link.subject)

    assert WebhookEvent.objects.filter(event_type="restrictions.changed").count() == 1
