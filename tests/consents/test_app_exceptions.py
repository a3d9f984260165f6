"""Per-app exceptions (DESIGN.md "Finer consent"): one connected app's own answer for a purpose, in the ledger, the
partner API (single and bulk, fixed query counts), webhooks, the me API, uploads, appearances and unlinking."""

from http import HTTPStatus

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appearances.models import Appearance
from appearances.services import appearance_report
from consents.exceptions import ConsentRequired
from consents.models import ConsentEvent, ConsentException
from consents.selectors import consent_withdrawal_impact
from consents.services import (
    consent_exception_remove,
    consent_exception_set,
    consent_grant,
    consent_withdraw,
)
from consents.verification import ledger_verify
from media_vault.models import FaceUpload
from media_vault.services import upload_ingest, uploads_erase_orphaned
from partners.models import PARTNER_SCOPES, WebhookEvent
from partners.services import link_unlink
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory
from tests.media_vault.conftest import bearer_client
from tests.media_vault.factories import FaceUploadFactory, jpeg_bytes
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cameo(db):
    return PurposeFactory(slug="cameo", title="Cameos in shared videos")


@pytest.fixture
def studio_a(subject):
    client = bearer_client(PartnerFactory(name="Studio A", scopes=list(PARTNER_SCOPES)))
    client.link = LinkFactory(partner=client.partner, subject=subject)
    return client


@pytest.fixture
def studio_b(subject):
    client = bearer_client(PartnerFactory(name="Studio B", scopes=list(PARTNER_SCOPES)))
    client.link = LinkFactory(partner=client.partner, subject=subject)
    return client


def _consents(client) -> dict:
    response = client.get(f"/api/v1/subjects/{client.link.pairwise_id}/consents/")
    assert response.status_code == HTTPStatus.OK, response.content
    return {row["purpose"]: row for row in response.json()["consents"]}


def _bulk(client, subject_ids, purposes=("cameo",)) -> list[dict]:
    response = client.post(
        "/api/v1/consent-checks/", {"subject_ids": subject_ids, "purposes": list(purposes)}, format="json"
    )
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()["results"]


def _except(subject, client, granted, purpose="cameo"):
    return consent_exception_set(
        subject=subject, purpose_slug=purpose, link_ref=client.link.pk, granted=granted, actor=subject
    )


# --- The partner's answer ----------------------------------------------------------------------------


def test_an_app_with_an_exception_that_says_no_is_refused_while_another_is_allowed(subject, cameo, studio_a, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    _except(subject, studio_b, granted=False)

    a, b = _consents(studio_a)["cameo"], _consents(studio_b)["cameo"]

    assert (a["granted"], a["state"], a["scope"]) == (True, "granted", "all_apps")
    assert (b["granted"], b["state"], b["scope"]) == (False, "withdrawn", "this_app")
    (a_row,) = _bulk(studio_a, [str(studio_a.link.pairwise_id)])
    (b_row,) = _bulk(studio_b, [str(studio_b.link.pairwise_id)])
    assert (a_row["granted"], a_row["scope"]) == (True, "all_apps")
    assert (b_row["granted"], b_row["state"], b_row["scope"]) == (False, "withdrawn", "this_app")


def test_an_exception_that_says_yes_holds_against_a_withdrawal_for_all_apps(subject, cameo, studio_a, studio_b):
    consent_withdraw(subject=subject, purpose_slug="cameo", actor=subject)
    _except(subject, studio_a, granted=True)

    assert (_consents(studio_a)["cameo"]["granted"], _consents(studio_a)["cameo"]["scope"]) == (True, "this_app")
    assert _consents(studio_b)["cameo"]["granted"] is False
    (row,) = _bulk(studio_a, [str(studio_a.link.pairwise_id)])
    assert (row["state"], row["scope"]) == ("granted", "this_app")


def test_removing_the_exception_makes_the_app_follow_the_decision_for_all_apps(subject, cameo, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    _except(subject, studio_b, granted=False)

    event = consent_exception_remove(subject=subject, purpose_slug="cameo", link_ref=studio_b.link.pk, actor=subject)

    assert event.exception_removed and event.granted and event.link_ref == studio_b.link.pk
    row = _consents(studio_b)["cameo"]
    assert (row["granted"], row["scope"]) == (True, "all_apps")
    assert consent_exception_remove(subject=subject, purpose_slug="cameo", link_ref=studio_b.link.pk) is None


def test_the_single_check_costs_the_same_queries_with_and_without_exceptions(subject, cameo, studio_a):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    _consents(studio_a)  # warm the token and connection
    with CaptureQueriesContext(connection) as without:
        _consents(studio_a)
    _except(subject, studio_a, granted=False)
    with CaptureQueriesContext(connection) as with_exception:
        assert _consents(studio_a)["cameo"]["scope"] == "this_app"

    assert len(with_exception) == len(without)


def test_the_bulk_check_keeps_a_fixed_number_of_queries_whatever_its_size(cameo, studio_a):
    def linked_subjects(n):
        ids = []
        for i in range(n):
            person = UserFactory()
            link = LinkFactory(partner=studio_a.partner, subject=person)
            consent_grant(subject=person, purpose_slug="cameo", actor=person)
            if i % 2:  # every other one says no to this app alone
                consent_exception_set(
                    subject=person, purpose_slug="cameo", link_ref=link.pk, granted=False, actor=person
                )
            ids.append(str(link.pairwise_id))
        return ids

    small, large = linked_subjects(2), linked_subjects(30)
    _bulk(studio_a, small)
    with CaptureQueriesContext(connection) as few:
        small_rows = _bulk(studio_a, small)
    with CaptureQueriesContext(connection) as many:
        large_rows = _bulk(studio_a, large)

    assert len(many) == len(few)
    assert [r["granted"] for r in small_rows] == [True, False]
    assert sum(r["scope"] == "this_app" for r in large_rows) == 15
    assert all(r["granted"] is (r["scope"] == "all_apps") for r in large_rows)


# --- Ledger ------------------------------------------------------------------------------------------


def test_every_event_records_its_scope_and_the_chain_covers_it(subject, cameo, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    _except(subject, studio_b, granted=False)
    consent_exception_remove(subject=subject, purpose_slug="cameo", link_ref=studio_b.link.pk, actor=subject)

    scopes = list(ConsentEvent.objects.order_by("seq").values_list("link_ref", "exception_removed"))
    assert scopes == [(None, False), (studio_b.link.pk, False), (studio_b.link.pk, True)]
    assert [e.scope for e in ConsentEvent.objects.order_by("seq")][1] == f"link:{studio_b.link.pk}"
    assert ledger_verify().ok

    # Moving an exception to another app (or making it a decision for all apps) breaks the chain.
    second = ConsentEvent.objects.order_by("seq")[1]
    ConsentEvent.objects.filter(pk=second.pk).update(link_ref=None)
    broken = ledger_verify()
    assert not broken.ok and broken.broken_seq == second.seq


# --- Webhooks: only the partners whose answer changed ------------------------------------------------


def _told(client):
    return list(
        WebhookEvent.objects.filter(partner=client.partner, event_type__startswith="consent.")
        .order_by("pk")
        .values_list("event_type", "payload__data__scope")
    )


def test_a_decision_for_all_apps_skips_the_apps_with_their_own_exception(subject, cameo, studio_a, studio_b):
    _except(subject, studio_b, granted=True)
    WebhookEvent.objects.all().delete()

    consent_withdraw(subject=subject, purpose_slug="cameo", actor=subject)

    assert _told(studio_a) == [("consent.withdrawn", "all_apps")]
    assert _told(studio_b) == []


def test_an_exception_is_told_to_that_app_alone(subject, cameo, studio_a, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    WebhookEvent.objects.all().delete()

    _except(subject, studio_b, granted=False)
    consent_exception_remove(subject=subject, purpose_slug="cameo", link_ref=studio_b.link.pk, actor=subject)

    assert _told(studio_a) == []
    assert _told(studio_b) == [("consent.withdrawn", "this_app"), ("consent.granted", "all_apps")]


# --- What an app holds ------------------------------------------------------------------------------


def _appearance(client, subject, purposes=("cameo",)):
    return appearance_report(
        subject=subject,
        partner=client.partner,
        kind="video",
        made_by="other_person",
        purpose_slugs=list(purposes),
        created_at=timezone.now(),
        content_sha256="cd" * 32,
    )


def test_an_app_whose_exception_says_no_cannot_report_an_appearance_and_nothing_is_stored(
    subject, cameo, studio_a, studio_b
):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    _except(subject, studio_b, granted=False)
    body = {
        "kind": "video",
        "made_by": "subject",
        "purposes": ["cameo"],
        "created_at": timezone.now().isoformat(),
        "content_sha256": "ef" * 32,
    }

    refused = studio_b.post(f"/api/v1/subjects/{studio_b.link.pairwise_id}/appearances/", body, format="json")
    allowed = studio_a.post(f"/api/v1/subjects/{studio_a.link.pairwise_id}/appearances/", body, format="json")

    assert refused.status_code == HTTPStatus.FORBIDDEN, refused.content
    assert refused.json()["code"] == "consent_required"
    assert allowed.status_code == HTTPStatus.CREATED, allowed.content
    assert list(Appearance.objects.values_list("partner__name", flat=True)) == ["Studio A"]


def test_the_upload_gate_follows_the_apps_exception(subject, cameo, studio_a, studio_b):
    consent_withdraw(subject=subject, purpose_slug="cameo", actor=subject)
    _except(subject, studio_b, granted=True)

    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["cameo"], partner=studio_a.partner)
    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["cameo"])  # the portal follows all apps
    upload = upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["cameo"], partner=studio_b.partner)

    assert list(FaceUpload.objects.values_list("pk", flat=True)) == [upload.pk]


def test_a_withdrawal_for_one_app_takes_down_and_erases_that_apps_things_only(subject, cameo, studio_a, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    in_a, in_b = _appearance(studio_a, subject), _appearance(studio_b, subject)
    held_by_a = FaceUploadFactory(subject=subject, purposes=[cameo], partner=studio_a.partner)
    held_by_b = FaceUploadFactory(subject=subject, purposes=[cameo], partner=studio_b.partner)
    own = FaceUploadFactory(subject=subject, purposes=[cameo])

    impact = consent_withdrawal_impact(subject=subject, purpose_slug="cameo", link_ref=studio_b.link.pk)
    assert (impact.uploads_by_app, impact.own_uploads, impact.appearances_to_take_down) == ({"Studio B": 1}, 0, 1)
    _except(subject, studio_b, granted=False)
    uploads_erase_orphaned(subject_id=subject.pk)  # what the job queued by the withdrawal does

    in_a.refresh_from_db()
    in_b.refresh_from_db()
    assert (in_a.status, in_b.status) == (Appearance.Status.LIVE, Appearance.Status.TAKEDOWN_REQUESTED)
    assert set(FaceUpload.objects.values_list("pk", flat=True)) == {held_by_a.pk, own.pk}
    assert not FaceUpload.objects.filter(pk=held_by_b.pk).exists()


def test_a_withdrawal_for_all_apps_spares_the_app_whose_exception_says_yes(subject, cameo, studio_a, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    _except(subject, studio_a, granted=True)
    in_a, in_b = _appearance(studio_a, subject), _appearance(studio_b, subject)
    held_by_a = FaceUploadFactory(subject=subject, purposes=[cameo], partner=studio_a.partner)
    FaceUploadFactory(subject=subject, purposes=[cameo], partner=studio_b.partner)

    impact = consent_withdrawal_impact(subject=subject, purpose_slug="cameo")
    assert (impact.uploads_by_app, impact.appearances_to_take_down) == ({"Studio B": 1}, 1)
    consent_withdraw(subject=subject, purpose_slug="cameo", actor=subject)
    uploads_erase_orphaned(subject_id=subject.pk)

    in_a.refresh_from_db()
    in_b.refresh_from_db()
    assert (in_a.status, in_b.status) == (Appearance.Status.LIVE, Appearance.Status.TAKEDOWN_REQUESTED)
    assert list(FaceUpload.objects.values_list("pk", flat=True)) == [held_by_a.pk]


def test_a_rolled_back_exception_requests_no_takedown_and_tells_nobody(subject, cameo, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    appearance = _appearance(studio_b, subject)
    WebhookEvent.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():
        _except(subject, studio_b, granted=False)
        raise RuntimeError("the page failed after the decision")

    appearance.refresh_from_db()
    assert appearance.status == Appearance.Status.LIVE
    assert not WebhookEvent.objects.exists()
    assert not ConsentException.objects.exists()


def test_an_ended_connection_takes_its_exceptions_with_it(subject, cameo, studio_b):
    _except(subject, studio_b, granted=True)

    link_unlink(link=studio_b.link)

    assert not ConsentException.objects.exists()
    assert ConsentEvent.objects.filter(link_ref=studio_b.link.pk).count() == 1  # the ledger keeps the decision


# --- The subject's API --------------------------------------------------------------------------------


def test_me_api_sets_reads_and_removes_an_exception(me_api, subject, cameo, studio_a, studio_b):
    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    url = f"/api/v1/me/consents/cameo/apps/{studio_b.link.pairwise_id}/"

    put = me_api.put(url, {"granted": False}, format="json")

    assert put.status_code == HTTPStatus.OK, put.content
    assert put.json() == {
        "app_id": str(studio_b.link.pairwise_id),
        "app": "Studio B",
        "granted": False,
        "scope": "this_app",
        "purpose": "cameo",
        "uploads_to_erase": 0,
        "appearances_to_take_down": 0,
    }
    (row,) = me_api.get("/api/v1/me/consents/").json()["consents"]
    assert row["granted"] is True
    assert {(a["app"], a["granted"], a["scope"]) for a in row["apps"]} == {
        ("Studio A", True, "all_apps"),
        ("Studio B", False, "this_app"),
    }
    assert ConsentEvent.objects.filter(link_ref=studio_b.link.pk, channel="api").count() == 1

    deleted = me_api.delete(url)

    assert deleted.status_code == HTTPStatus.OK, deleted.content
    assert (deleted.json()["granted"], deleted.json()["scope"]) == (True, "all_apps")
    assert not ConsentException.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [({"granted": "no"}, "invalid"), ({}, "invalid"), ([True], "invalid")],
)
def test_me_api_refuses_a_decision_that_is_not_a_boolean_and_changes_nothing(
    me_api, subject, cameo, studio_b, body, code
):
    response = me_api.put(f"/api/v1/me/consents/cameo/apps/{studio_b.link.pairwise_id}/", body, format="json")

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response["Content-Type"].startswith("application/problem+json")
    assert not ConsentEvent.objects.exists()


def test_me_api_answers_404_for_another_persons_app_and_for_an_unknown_purpose(me_api, cameo, studio_b):
    someone_else = LinkFactory(partner=studio_b.partner, subject=UserFactory())

    foreign = me_api.put(
        f"/api/v1/me/consents/cameo/apps/{someone_else.pairwise_id}/", {"granted": True}, format="json"
    )
    unknown = me_api.put(
        f"/api/v1/me/consents/nope/apps/{studio_b.link.pairwise_id}/", {"granted": True}, format="json"
    )
    garbage = me_api.delete("/api/v1/me/consents/cameo/apps/not-a-uuid/")

    assert [r.status_code for r in (foreign, unknown, garbage)] == [HTTPStatus.NOT_FOUND] * 3
    assert all(r.json()["code"] == "not_found" for r in (foreign, unknown, garbage))
    assert not ConsentEvent.objects.exists()


# --- Staff ------------------------------------------------------------------------------------------


def test_privacy_officers_see_exceptions_read_only_and_support_does_not(subject, cameo, studio_b, client):
    from django.contrib.auth.models import Group

    from consents.services import consent_exception_set as set_exception
    from tests.accounts.factories import UserFactory as Users

    exception_event = set_exception(subject=subject, purpose_slug="cameo", link_ref=studio_b.link.pk, granted=False)
    exception = ConsentException.objects.get(last_event=exception_event)
    officer = Users(is_staff=True)
    officer.groups.add(Group.objects.get(name="Privacy officer"))
    support = Users(is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    url = f"/admin/consents/consentexception/{exception.pk}/change/"

    client.force_login(officer)
    seen = client.get(url)
    client.force_login(support)
    refused = client.get(url)

    assert seen.status_code == HTTPStatus.OK
    assert 'name="_save"' not in seen.content.decode()  # read only
    assert refused.status_code == HTTPStatus.FORBIDDEN


# --- A grant past its end, before the job has recorded it --------------------------------------------------


def test_a_grant_past_its_end_is_a_no_at_once_everywhere(subject, cameo, studio_a):
    from consents.models import ConsentState
    from consents.selectors import consent_status_get

    consent_grant(subject=subject, purpose_slug="cameo", actor=subject)
    # the grant's end has just passed; consents_expire has not run yet
    ConsentState.objects.filter(subject=subject).update(expires_at=timezone.now() - timezone.timedelta(seconds=1))

    assert _consents(studio_a)["cameo"]["granted"] is False
    (row,) = _bulk(studio_a, [str(studio_a.link.pairwise_id)])
    assert (row["granted"], row["state"]) == (False, "withdrawn")
    assert consent_status_get(subject=subject, purpose=cameo).granted is False
    with pytest.raises(ConsentRequired):
        upload_ingest(subject=subject, data=jpeg_bytes(), purpose_slugs=["cameo"], partner=studio_a.partner)
