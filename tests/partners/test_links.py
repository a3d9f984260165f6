"""Links: single-use 10-minute link codes, pairwise subject ids, unlinking, and the Connected apps page."""

import re
import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from partners.delivery import webhook_deliver
from partners.exceptions import LinkCodeInvalid
from partners.models import Link, WebhookEvent
from partners.services import link_code_create, link_consent_reads_record, link_redeem
from tests.accounts.factories import UserFactory
from tests.partners.factories import LinkFactory, PartnerFactory, WebhookEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_client(client, subject):
    """The subject signed in to the pages."""
    client.force_login(subject)
    return client


# --- Link codes ------------------------------------------------------------------------------
def test_a_link_code_is_eight_readable_characters_in_two_groups(subject):
    _, code = link_code_create(subject=subject)

    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)


def test_only_a_hash_of_the_link_code_is_stored(subject):
    link_code, code = link_code_create(subject=subject)

    assert code not in link_code.code_hash
    assert code.replace("-", "") not in link_code.code_hash


def test_a_link_code_expires_after_ten_minutes(subject):
    made_at = timezone.now() - timedelta(hours=1)
    _, code = link_code_create(subject=subject, now=made_at)

    with pytest.raises(LinkCodeInvalid):
        link_redeem(partner=PartnerFactory(), code=code, now=made_at + timedelta(minutes=10, seconds=1))


def test_a_link_code_works_just_before_ten_minutes(subject):
    made_at = timezone.now() - timedelta(hours=1)
    _, code = link_code_create(subject=subject, now=made_at)

    link = link_redeem(partner=PartnerFactory(), code=code, now=made_at + timedelta(minutes=9, seconds=59))

    assert link.subject == subject


def test_a_code_made_eleven_minutes_ago_is_refused_by_the_api(partner_client, subject):
    _, code = link_code_create(subject=subject, now=timezone.now() - timedelta(minutes=11))

    response = partner_client.post("/api/v1/links/", {"code": code}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_link_code"
    assert not Link.objects.exists()


def test_a_link_code_works_only_once(subject):
    _, code = link_code_create(subject=subject)
    link_redeem(partner=PartnerFactory(), code=code)

    with pytest.raises(LinkCodeInvalid):
        link_redeem(partner=PartnerFactory(), code=code)


def test_a_used_code_is_refused_to_the_same_partner_too(subject):
    partner = PartnerFactory()
    _, code = link_code_create(subject=subject)
    link_redeem(partner=partner, code=code)

    with pytest.raises(LinkCodeInvalid):
        link_redeem(partner=partner, code=code)


def test_an_unknown_code_is_refused(subject):
    with pytest.raises(LinkCodeInvalid):
        link_redeem(partner=PartnerFactory(), code="ABCD-EFGH")


@pytest.mark.parametrize(
    "retype",
    [
        pytest.param(lambda c: c.lower(), id="lower-case"),
        pytest.param(lambda c: c.replace("-", ""), id="no-dash"),
        pytest.param(lambda c: f" {c[:2]} {c[2:].lower()} ", id="spaces"),
    ],
)
def test_a_link_code_may_be_typed_in_any_case_with_or_without_the_dash(subject, retype):
    _, code = link_code_create(subject=subject)

    link = link_redeem(partner=PartnerFactory(), code=retype(code))

    assert link.subject == subject


# --- Redeeming through the API: pairwise ids ---------------------------------------------
def test_redeeming_a_code_answers_201_with_a_pairwise_subject_id(partner_client, subject):
    _, code = link_code_create(subject=subject)

    response = partner_client.post("/api/v1/links/", {"code": code}, format="json")

    assert response.status_code == HTTPStatus.CREATED
    link = Link.objects.get(partner=partner_client.partner, subject=subject)
    assert response.json()["subject_id"] == str(link.pairwise_id)
    assert response.json()["linked_at"]


def test_the_pairwise_id_is_a_random_uuid_not_the_internal_id(partner_client, subject):
    _, code = link_code_create(subject=subject)

    subject_id = partner_client.post("/api/v1/links/", {"code": code}, format="json").json()["subject_id"]

    assert uuid.UUID(subject_id).version == 4
    assert subject_id not in (str(subject.pk), str(subject.ledger_ref))


def test_two_partners_get_different_ids_for_one_person(partner_client, other_partner_client, subject):
    _, first_code = link_code_create(subject=subject)
    first = partner_client.post("/api/v1/links/", {"code": first_code}, format="json").json()["subject_id"]
    _, second_code = link_code_create(subject=subject)  # one live code at a time: the next after the first is used
    second = other_partner_client.post("/api/v1/links/", {"code": second_code}, format="json").json()["subject_id"]

    assert first != second


def test_a_redeemed_code_marks_who_used_it(partner_client, subject):
    link_code, code = link_code_create(subject=subject)

    partner_client.post("/api/v1/links/", {"code": code}, format="json")

    link_code.refresh_from_db()
    assert link_code.used_by == partner_client.partner
    assert link_code.used_at is not None


def test_a_code_of_a_deactivated_subject_links_nothing(partner_client, subject):
    _, code = link_code_create(subject=subject)
    subject.is_active = False
    subject.save(update_fields=["is_active"])

    response = partner_client.post("/api/v1/links/", {"code": code}, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Link.objects.exists()


# --- Unlinking -------------------------------------------------------------------------------
def test_the_disconnect_page_asks_before_unlinking(page_client, linked):
    response = page_client.get(f"/connected-apps/{linked.pairwise_id}/disconnect/")

    assert response.status_code == HTTPStatus.OK
    assert linked.partner.name in response.content.decode()
    linked.refresh_from_db()
    assert linked.unlinked_at is None


def test_disconnecting_on_the_page_sends_subject_unlinked_to_that_partner(page_client, linked):
    response = page_client.post(f"/connected-apps/{linked.pairwise_id}/disconnect/")

    assert response.status_code == HTTPStatus.FOUND
    event = WebhookEvent.objects.get(event_type="subject.unlinked")
    assert event.partner == linked.partner
    assert event.payload["data"]["subject_id"] == str(linked.pairwise_id)


def test_after_disconnecting_on_the_page_the_id_answers_404(page_client, partner_client, linked):
    page_client.post(f"/connected-apps/{linked.pairwise_id}/disconnect/")

    response = partner_client.get(f"/api/v1/subjects/{linked.pairwise_id}/consents/")

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_unlinking_through_the_me_api_answers_204_and_tells_the_partner(me_api, linked):
    response = me_api.delete(f"/api/v1/me/links/{linked.pairwise_id}/")

    assert response.status_code == HTTPStatus.NO_CONTENT
    assert WebhookEvent.objects.filter(partner=linked.partner, event_type="subject.unlinked").count() == 1


def test_after_unlinking_through_the_me_api_the_id_answers_404(me_api, partner_client, linked):
    me_api.delete(f"/api/v1/me/links/{linked.pairwise_id}/")

    response = partner_client.get(f"/api/v1/subjects/{linked.pairwise_id}/consents/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["code"] == "not_found"


def test_unlinking_one_app_leaves_the_others_linked(me_api, subject, linked):
    other = LinkFactory(subject=subject)

    me_api.delete(f"/api/v1/me/links/{linked.pairwise_id}/")

    other.refresh_from_db()
    assert other.unlinked_at is None
    assert not WebhookEvent.objects.filter(partner=other.partner).exists()


def test_unlinking_twice_sends_one_webhook(me_api, linked):
    me_api.delete(f"/api/v1/me/links/{linked.pairwise_id}/")

    response = me_api.delete(f"/api/v1/me/links/{linked.pairwise_id}/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert WebhookEvent.objects.filter(event_type="subject.unlinked").count() == 1


def test_another_subjects_link_answers_404_in_the_me_api_and_stays_linked(me_api):
    someone_elses = LinkFactory()

    response = me_api.delete(f"/api/v1/me/links/{someone_elses.pairwise_id}/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"] == "application/problem+json"
    someone_elses.refresh_from_db()
    assert someone_elses.unlinked_at is None


def test_another_subjects_link_on_the_disconnect_page_shows_an_error(page_client):
    someone_elses = LinkFactory()

    response = page_client.get(f"/connected-apps/{someone_elses.pairwise_id}/disconnect/", follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "No such connected app." in [str(m) for m in response.context["messages"]]
    assert someone_elses.partner.name not in response.content.decode()


def test_posting_another_subjects_link_to_the_disconnect_page_changes_nothing(page_client):
    someone_elses = LinkFactory()

    response = page_client.post(f"/connected-apps/{someone_elses.pairwise_id}/disconnect/", follow=True)

    assert "No such connected app." in [str(m) for m in response.context["messages"]]
    someone_elses.refresh_from_db()
    assert someone_elses.unlinked_at is None
    assert not WebhookEvent.objects.exists()


def test_a_malformed_link_id_on_the_disconnect_page_shows_an_error(page_client):
    response = page_client.get("/connected-apps/not-a-uuid/disconnect/", follow=True)

    assert "No such connected app." in [str(m) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/connected-apps/"),
        ("post", "/connected-apps/link-code/"),
        ("get", "/connected-apps/{id}/disconnect/"),
        ("post", "/connected-apps/{id}/disconnect/"),
    ],
)
def test_connected_apps_pages_need_a_signed_in_subject(client, linked, method, path):
    response = getattr(client, method)(path.format(id=linked.pairwise_id))

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
    linked.refresh_from_db()
    assert linked.unlinked_at is None


def test_connected_apps_of_another_subject_are_not_listed(page_client):
    someone_elses = LinkFactory(partner=PartnerFactory(name="Not yours"))

    response = page_client.get("/connected-apps/")

    assert someone_elses.partner.name not in response.content.decode()


# --- The Connected apps page ------------------------------------------------------------------
def test_the_connected_apps_page_lists_each_app_and_what_it_may_do(page_client, subject):
    LinkFactory(subject=subject, partner=PartnerFactory(name="Cameo Studio", scopes=["consents:read"]))

    page = page_client.get("/connected-apps/").content.decode()

    assert "Cameo Studio" in page
    assert "See your consent decisions" in page
    assert "Upload face images of you" not in page


def test_the_connected_apps_page_shows_when_the_app_last_read_consents(page_client, linked):
    link_consent_reads_record(link_ids=[linked.pk], now=timezone.now().replace(year=2031, month=3, day=4))

    page = page_client.get("/connected-apps/").content.decode()

    assert "Last read your consents 4 Mar 2031" in page


def test_the_connected_apps_page_says_when_an_app_never_read_consents(page_client, linked):
    page = page_client.get("/connected-apps/").content.decode()

    assert "Has not read your consents yet." in page


def test_the_connected_apps_page_shows_when_the_latest_change_was_delivered(page_client, subject, hooked_partner):
    link = LinkFactory(subject=subject, partner=hooked_partner)
    event = WebhookEventFactory(link=link)
    webhook_deliver(event_id=event.pk)

    page = page_client.get("/connected-apps/").content.decode()

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED
    assert "The app confirmed it received your latest change at" in page


def test_the_connected_apps_page_shows_a_change_still_being_retried(
    page_client, subject, hooked_partner, webhook_receiver
):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    event = WebhookEventFactory(link=LinkFactory(subject=subject, partner=hooked_partner))
    webhook_deliver(event_id=event.pk)

    page = page_client.get("/connected-apps/").content.decode()

    event.refresh_from_db()
    assert (event.status, event.attempt_count) == (WebhookEvent.Status.PENDING, 1)
    assert "has not confirmed your latest change yet" in page


def test_the_connected_apps_page_shows_a_change_that_failed(page_client, subject, hooked_partner, webhook_receiver):
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    event = WebhookEventFactory(link=LinkFactory(subject=subject, partner=hooked_partner))
    webhook_deliver(event_id=event.pk, now=timezone.now() + timedelta(days=3))

    page = page_client.get("/connected-apps/").content.decode()

    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert "never confirmed your latest change" in page


def test_the_connected_apps_page_shows_the_latest_change_only(page_client, subject, hooked_partner, webhook_receiver):
    link = LinkFactory(subject=subject, partner=hooked_partner)
    earlier = webhook_deliver(event_id=WebhookEventFactory(link=link).pk)
    webhook_receiver.default_status = HTTPStatus.INTERNAL_SERVER_ERROR
    webhook_deliver(event_id=WebhookEventFactory(link=link, event_type="consent.withdrawn").pk)

    page = page_client.get("/connected-apps/").content.decode()

    assert earlier.status == WebhookEvent.Status.DELIVERED
    assert "has not confirmed your latest change yet" in page
    assert "confirmed it received" not in page


def test_making_a_link_code_on_the_page_shows_the_code(page_client, partner_client):
    response = page_client.post("/connected-apps/link-code/", follow=True)

    assert response.redirect_chain == [("/connected-apps/", HTTPStatus.FOUND)]
    code = re.search(r'data-testid="link-code"[^>]*>([A-Z2-9]{4}-[A-Z2-9]{4})<', response.content.decode()).group(1)
    assert partner_client.post("/api/v1/links/", {"code": code}, format="json").status_code == HTTPStatus.CREATED


def test_the_me_api_makes_a_link_code_that_a_partner_can_redeem(me_api, partner_client, subject):
    response = me_api.post("/api/v1/me/link-codes/")

    assert response.status_code == HTTPStatus.CREATED
    assert set(response.json()) == {"code", "expires_at"}
    redeemed = partner_client.post("/api/v1/links/", {"code": response.json()["code"]}, format="json")
    assert Link.objects.get(pairwise_id=redeemed.json()["subject_id"]).subject == subject


def test_the_me_api_lists_only_the_subjects_own_connected_apps(me_api, linked):
    LinkFactory(subject=UserFactory())

    links = me_api.get("/api/v1/me/links/").json()["links"]

    assert [row["id"] for row in links] == [str(linked.pairwise_id)]
    assert links[0]["partner"] == linked.partner.name


def test_consent_reads_are_batched_and_a_flush_writes_the_latest_one(linked, settings):
    # given a flush interval: the first read in a while is written at once, later ones wait for the flush
    from partners.services import link_consent_reads_flush

    settings.PARTNER_READ_FLUSH_SECONDS = 0
    first = timezone.now() - timedelta(minutes=5)
    link_consent_reads_record(link_ids=[linked.pk], now=first)
    settings.PARTNER_READ_FLUSH_SECONDS = 3600
    later = timezone.now()

    link_consent_reads_record(link_ids=[linked.pk], now=later)

    linked.refresh_from_db()
    assert linked.last_consent_read_at == first  # buffered, not written yet
    assert link_consent_reads_flush() == 1
    linked.refresh_from_db()
    assert linked.last_consent_read_at == later
