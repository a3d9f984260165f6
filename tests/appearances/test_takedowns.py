"""The subject's side: the me API, takedown requests (48 h, told to the app in the same transaction), overdue,
withdrawal, erasure, and the Appearances page."""

import io
import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from appearances import services
from appearances.models import Appearance
from appearances.selectors import appearance_status_shown
from appearances.services import (
    appearance_report,
    appearance_takedown_request,
    appearances_erase_for_subject,
)
from consents.hooks import withdrawal_impact_for
from consents.services import consent_withdraw
from partners.models import Partner, WebhookEvent
from tests.media_vault.factories import jpeg_bytes

pytestmark = pytest.mark.django_db

ME_KEYS = {"id", "app", "kind", "made_by", "title", "purposes", "created_at", "status", "takedown_due_at"}


def _report(link, purposes=("cameo",), **fields) -> Appearance:
    return appearance_report(
        subject=link.subject,
        partner=link.partner,
        kind="video",
        made_by="other_person",
        purpose_slugs=list(purposes),
        created_at=timezone.now(),
        content_sha256="ab" * 32,
        **fields,
    )


def _takedown_events():
    return WebhookEvent.objects.filter(event_type="appearance.takedown_requested")


# --- me API ------------------------------------------------------------------------------------------


def test_me_list_answers_exactly_the_contract_fields(me_api, link, granted):
    appearance = _report(link, title="Birthday")

    response = me_api.get("/api/v1/me/appearances/")

    assert response.status_code == HTTPStatus.OK
    (row,) = response.json()["appearances"]
    assert set(row) == ME_KEYS
    assert (row["id"], row["app"], row["kind"], row["made_by"], row["title"], row["purposes"], row["status"]) == (
        str(appearance.pk),
        "Cameo Studio",
        "video",
        "other_person",
        "Birthday",
        ["cameo"],
        "live",
    )
    assert row["takedown_due_at"] is None


def test_me_takedown_answers_takedown_requested_due_in_48_hours(me_api, link, granted):
    appearance = _report(link)
    before = timezone.now()

    response = me_api.post(f"/api/v1/me/appearances/{appearance.pk}/takedown/", {"reason": "not_wanted"}, format="json")

    assert response.status_code == HTTPStatus.OK, response.content
    assert set(response.json()) == ME_KEYS
    assert response.json()["status"] == "takedown_requested"
    appearance.refresh_from_db()
    assert before + timedelta(hours=48) <= appearance.takedown_due_at <= timezone.now() + timedelta(hours=48)
    assert appearance.takedown_reason == "not_wanted"


def test_me_takedown_of_another_persons_appearance_answers_404(me_api, other_subject, granted, cameo):
    from tests.media_vault.factories import grant_all
    from tests.partners.factories import LinkFactory

    grant_all(subject=other_subject, purposes=[cameo])
    theirs = _report(LinkFactory(subject=other_subject))

    response = me_api.post(f"/api/v1/me/appearances/{theirs.pk}/takedown/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    theirs.refresh_from_db()
    assert theirs.status == Appearance.Status.LIVE


# --- Takedown request ---------------------------------------------------------------------------------


def test_takedown_request_tells_the_app_with_the_appearance_and_deadline(link, granted):
    appearance = appearance_takedown_request(appearance=_report(link))

    (event,) = _takedown_events()
    assert event.partner == link.partner
    assert event.payload["data"] == {
        "subject_id": str(link.pairwise_id),
        "appearance_id": str(appearance.pk),
        "due_at": appearance.takedown_due_at.isoformat().replace("+00:00", "Z"),
    }


def test_takedown_request_writes_the_status_and_the_webhook_in_one_transaction(link, granted, monkeypatch):
    appearance = _report(link)

    def outbox_down(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "webhook_enqueue", outbox_down)
    with pytest.raises(RuntimeError):
        appearance_takedown_request(appearance=appearance)

    appearance.refresh_from_db()
    assert appearance.status == Appearance.Status.LIVE
    assert appearance.takedown_due_at is None


def test_asking_twice_keeps_the_first_deadline_and_tells_the_app_once(link, granted):
    appearance = _report(link)
    first = appearance_takedown_request(appearance=appearance)
    again = appearance_takedown_request(appearance=appearance, now=timezone.now() + timedelta(hours=5))

    assert again.takedown_due_at == first.takedown_due_at
    assert _takedown_events().count() == 1


def test_status_reads_overdue_once_48_hours_have_passed(link, granted):
    now = timezone.now()
    appearance = appearance_takedown_request(appearance=_report(link), now=now)

    assert appearance_status_shown(appearance=appearance, now=now + timedelta(hours=47)) == "takedown_requested"
    assert appearance_status_shown(appearance=appearance, now=now + timedelta(hours=48, seconds=1)) == "overdue"
    appearance.status, appearance.taken_down_at = Appearance.Status.TAKEN_DOWN, now
    assert appearance_status_shown(appearance=appearance, now=now + timedelta(hours=49)) == "taken_down"


def test_me_list_shows_overdue_past_the_deadline(me_api, link, granted):
    appearance = appearance_takedown_request(appearance=_report(link), now=timezone.now() - timedelta(hours=49))

    (row,) = me_api.get("/api/v1/me/appearances/").json()["appearances"]
    assert (row["id"], row["status"]) == (str(appearance.pk), "overdue")


# --- Withdrawal ---------------------------------------------------------------------------------------


def test_withdrawal_requests_takedown_of_live_appearances_under_that_purpose(subject, link, granted):
    under_cameo = _report(link, purposes=["cameo", "avatar"])
    under_avatar = _report(link, purposes=["avatar"])
    done = _report(link)
    Appearance.objects.filter(pk=done.pk).update(status=Appearance.Status.TAKEN_DOWN, taken_down_at=timezone.now())

    assert (
        withdrawal_impact_for(subject=subject, purpose=under_cameo.purposes.get(slug="cameo")).appearances_to_take_down
        == 1
    )
    consent_withdraw(subject=subject, purpose_slug="cameo", actor=subject)

    statuses = dict(Appearance.objects.values_list("pk", "status"))
    assert statuses == {
        under_cameo.pk: Appearance.Status.TAKEDOWN_REQUESTED,
        under_avatar.pk: Appearance.Status.LIVE,
        done.pk: Appearance.Status.TAKEN_DOWN,
    }
    assert [e.payload["data"]["appearance_id"] for e in _takedown_events()] == [str(under_cameo.pk)]


def test_a_rolled_back_withdrawal_requests_no_takedown(subject, link, granted):
    appearance = _report(link)

    with pytest.raises(RuntimeError), transaction.atomic():
        consent_withdraw(subject=subject, purpose_slug="cameo", actor=subject)
        raise RuntimeError("the page failed after the decision")

    appearance.refresh_from_db()
    assert appearance.status == Appearance.Status.LIVE
    assert not _takedown_events().exists()


# --- Erasure ------------------------------------------------------------------------------------------


def test_erasure_removes_the_appearances_and_their_thumbnails(subject, link, granted):
    with_thumbnail = _report(link, thumbnail=jpeg_bytes())
    _report(link)
    assert default_storage.exists(with_thumbnail.thumbnail_object_name)
    counted = []

    counts = appearances_erase_for_subject(subject=subject, on_erased=counted.append)

    assert counts == {"appearances": 2} and counted == [counts]
    assert not Appearance.objects.filter(subject=subject).exists()
    assert not default_storage.exists(with_thumbnail.thumbnail_object_name)
    assert appearances_erase_for_subject(subject=subject) == {"appearances": 0}  # idempotent


# --- Page ---------------------------------------------------------------------------------------------


def test_page_lists_appearances_with_who_made_them_and_their_status(subject_client, link, granted):
    _report(link, title="Beach cameo", thumbnail=jpeg_bytes())
    overdue = appearance_takedown_request(
        appearance=_report(link, title="Old clip"), now=timezone.now() - timedelta(hours=50)
    )

    page = subject_client.get("/appearances/").content.decode()

    assert "Beach cameo" in page and "Old clip" in page
    assert "Someone else (cameo)" in page
    assert "Overdue" in page
    assert page.count("Ask to take it down") == 1
    assert f"/appearances/{overdue.pk}/takedown/" not in page


def test_page_filters_by_status(subject_client, link, granted):
    _report(link, title="Beach cameo")
    appearance_takedown_request(appearance=_report(link, title="Old clip"), now=timezone.now() - timedelta(hours=50))

    page = subject_client.get("/appearances/", {"status": "overdue"}).content.decode()

    assert "Old clip" in page and "Beach cameo" not in page


def test_page_takedown_button_works_without_javascript(subject, link, granted):
    from django.test import Client

    client = Client()
    client.force_login(subject)
    appearance = _report(link)

    response = client.post(f"/appearances/{appearance.pk}/takedown/", {"reason": "offensive"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/appearances/"
    appearance.refresh_from_db()
    assert (appearance.status, appearance.takedown_reason) == (Appearance.Status.TAKEDOWN_REQUESTED, "offensive")


def test_thumbnail_is_served_privately_to_its_subject_only(subject_client, other_subject, link, granted):
    from django.test import Client

    appearance = _report(link, thumbnail=jpeg_bytes())
    other = Client()
    other.force_login(other_subject)

    response = subject_client.get(f"/appearances/{appearance.pk}/thumbnail")

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert other.get(f"/appearances/{appearance.pk}/thumbnail").status_code == HTTPStatus.NOT_FOUND


# --- create_partner --------------------------------------------------------------------------------


def test_create_partner_grants_every_scope_unless_narrowed(db):
    out = io.StringIO()
    call_command("create_partner", "Everything app", stdout=out)
    call_command("create_partner", "Reader app", "--scopes", "consents:read appearances:read", stdout=out)

    assert "appearances:write" in Partner.objects.get(name="Everything app").scopes
    assert Partner.objects.get(name="Reader app").scopes == ["consents:read", "appearances:read"]
    assert json.loads(out.getvalue().split("}\n", 1)[0] + "}")["client_id"]


def test_privacy_officers_work_the_overdue_queue_in_admin_and_support_cannot(subject, link, granted, client):
    from django.contrib.auth.models import Group

    from tests.accounts.factories import UserFactory

    appearance = _report(link)
    appearance_takedown_request(appearance=appearance, now=timezone.now() - timedelta(hours=49))
    officer = UserFactory(is_staff=True)
    officer.groups.add(Group.objects.get(name="Privacy officer"))
    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    queue = "/admin/appearances/appearance/?takedown=overdue"

    client.force_login(officer)
    seen = client.get(queue)
    client.force_login(support)
    refused = client.get(queue)

    assert seen.status_code == HTTPStatus.OK
    assert str(appearance.pk) in seen.content.decode()
    assert refused.status_code == HTTPStatus.FORBIDDEN
