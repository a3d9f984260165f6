"""The Activity page (/activity/, rule 5 and "no surprises"): everything that happened with the subject's data, read
from every app, newest first, filtered by kind and by app with a GET form, paged with a cursor."""

import re
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from accounts.models import SignIn
from accounts.services import sign_in_record
from consents.services import consent_grant, consent_withdraw
from data_rights.models import DataRequest
from data_rights.services import export_request
from data_rights.views import ACTIVITY_PER_PAGE, ActivityView
from media_vault.models import AccessEvent
from media_vault.services import (
    export_download_record,
    upload_access_record,
    upload_erase,
    upload_ingest,
    upload_reveal,
    uploads_erase_expired,
    uploads_erase_orphaned,
)
from partners.models import WebhookEvent
from tests.accounts.factories import FIREFOX_ON_LINUX, SAFARI_ON_IPHONE, UserFactory
from tests.consents.factories import PurposeFactory
from tests.data_rights.factories import DataRequestFactory
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

PAGE = "/activity/"
ASTRONAUT = Path(__file__).resolve().parent.parent / "media_vault" / "files" / "astronaut.png"


@pytest.fixture
def purpose(db):
    return PurposeFactory(slug="store-uploads", title="Keep my face uploads", retention_days=365, position=1)


@pytest.fixture
def cameo(db):
    return PartnerFactory(name="Cameo Studio")


@pytest.fixture
def signed_in(subject) -> Client:
    client = Client()
    client.force_login(subject)
    return client


def _history(subject, purpose, partner) -> SimpleNamespace:
    """A subject with something of every kind: a sign-in from a new device, consents granted and withdrawn (and
    what the app was told of it), photos read by the app and by staff, a photo deleted, an export and an erasure."""
    sign_in_record(subject=subject, user_agent=SAFARI_ON_IPHONE)
    LinkFactory(partner=partner, subject=subject)
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    kept = upload_ingest(subject=subject, data=ASTRONAUT.read_bytes(), purpose_slugs=[purpose.slug])
    deleted = upload_ingest(subject=subject, data=ASTRONAUT.read_bytes(), purpose_slugs=[purpose.slug], partner=partner)
    upload_access_record(
        upload=deleted, actor_kind=AccessEvent.ActorKind.PARTNER, action=AccessEvent.Action.CONTENT, partner=partner
    )
    upload_reveal(upload=kept, staff=UserFactory(staff=True), reason="Checking a report about this photo")
    upload_erase(upload_id=deleted.pk, actor_kind=AccessEvent.ActorKind.SUBJECT)
    export_request(subject=subject)
    export_download_record(subject=subject)
    DataRequestFactory(erasure=True, subject=subject, status=DataRequest.Status.FAILED)
    avatars = PurposeFactory(title="Make avatars of me")
    consent_grant(subject=subject, purpose_slug=avatars.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=avatars.slug, actor=subject)
    return SimpleNamespace(kept=kept, deleted=deleted, avatars=avatars)


def _rows(response) -> list[str]:
    """Each row of the activity table as text, newest first."""
    table = re.search(r'data-testid="activity">(.*?)</table>', response.content.decode(), re.S)
    if table is None:
        return []
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in table.group(1).split("<tr")[2:]]


def _kinds(response) -> set[str]:
    return set(re.findall(r'<tr id="activity-[^"]+" data-kind="([a-z_]+)"', response.content.decode()))


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %b %Y, %H:%M")


# --- Where it lives --------------------------------------------------------------------------------
def test_activity_is_a_data_rights_page_at_the_same_path(signed_in):
    assert reverse("data_rights:activity") == PAGE
    assert resolve(PAGE).func.view_class is ActivityView
    assert signed_in.get(PAGE).status_code == HTTPStatus.OK


def test_activity_needs_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_a_subject_with_no_history_is_told_so(signed_in):
    response = signed_in.get(PAGE)

    assert _rows(response) == []
    assertContains(response, "Nothing has happened with your data yet.")


# --- Every kind ------------------------------------------------------------------------------------
def test_activity_shows_every_kind_for_a_subject_that_has_them(signed_in, subject, purpose, cameo):
    history = _history(subject, purpose, cameo)
    kept, deleted = history.kept, history.deleted

    response = signed_in.get(PAGE)

    assert _kinds(response) == {"sign_ins", "consents", "deliveries", "photos", "deletions", "requests"}
    text = "\n".join(_rows(response))
    assert "You signed in on Safari on iPhone New device" in text
    assert "You granted “Keep my face uploads”" in text
    assert "You withdrew “Make avatars of me”" in text
    assert "Cameo Studio was told you withdrew “Make avatars of me”" in text
    assert f"Cameo Studio downloaded the photo of {_when(deleted.created_at)}" in text
    assert f"Privacy staff revealed the original of the photo of {_when(kept.created_at)}" in text
    assert "Reason given: Checking a report about this photo" in text
    assert f"You deleted the photo of {_when(deleted.created_at)}" in text
    assert "Cameo Studio was told to delete its copy of a photo" in text
    assert "You asked for an export of your data" in text
    assert "You downloaded your export" in text
    assert "You asked us to erase everything about you" in text


def test_newest_comes_first(signed_in, subject, purpose, cameo):
    _history(subject, purpose, cameo)

    rows = _rows(signed_in.get(PAGE))

    assert "Cameo Studio was told you withdrew “Make avatars of me”" in rows[0]  # the outbox row follows the event
    assert "You withdrew “Make avatars of me”" in rows[1]
    assert "You signed in on Safari on iPhone" in rows[-1]


def test_a_photo_that_still_exists_links_to_its_page_and_an_erased_one_does_not(signed_in, subject, purpose, cameo):
    history = _history(subject, purpose, cameo)
    kept, deleted = history.kept, history.deleted

    body = signed_in.get(PAGE).content.decode()

    assert f'href="/uploads/{kept.pk}/"' in body
    assert f"/uploads/{deleted.pk}/" not in body


def test_an_app_that_was_told_shows_whether_it_got_the_message(signed_in, subject, purpose, cameo):
    LinkFactory(partner=cameo, subject=subject)
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    WebhookEvent.objects.filter(partner=cameo).update(status=WebhookEvent.Status.DELIVERED)
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)
    WebhookEvent.objects.filter(partner=cameo, event_type="consent.withdrawn").update(
        status=WebhookEvent.Status.PENDING
    )

    rows = _rows(signed_in.get(PAGE, {"kind": "deliveries"}))

    assert rows[0].endswith("Not delivered yet: we keep trying for at least a day. Cameo Studio")
    assert "Cameo Studio was told you granted “Keep my face uploads” Delivered." in rows[1]


def test_a_new_device_is_marked_and_a_known_one_is_not(signed_in, subject):
    sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)
    sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)

    rows = _rows(signed_in.get(PAGE))

    assert [("New device" in row) for row in rows] == [False, True]


# --- Filters -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["sign_ins", "consents", "deliveries", "photos", "deletions", "requests"])
def test_filtering_by_kind_shows_only_that_kind(signed_in, subject, purpose, cameo, kind):
    _history(subject, purpose, cameo)

    response = signed_in.get(PAGE, {"kind": kind})

    assert _kinds(response) == {kind}
    assertContains(response, f'<option value="{kind}" selected>')


def test_filtering_by_app_shows_only_what_is_about_that_app(signed_in, subject, purpose, cameo):
    history = _history(subject, purpose, cameo)
    other_app = PartnerFactory(name="Avatar Forge")
    LinkFactory(partner=other_app, subject=subject)
    consent_grant(subject=subject, purpose_slug=history.avatars.slug, actor=subject)  # told to both apps

    response = signed_in.get(PAGE, {"app": cameo.pk})

    rows = _rows(response)
    assert rows
    assert all(row.endswith("Cameo Studio") for row in rows)
    assert _kinds(response) == {"deliveries", "photos", "deletions"}  # no sign-ins or requests: no app in them
    assertNotContains(response, "was told you granted “Make avatars of me” Avatar Forge")


def test_the_app_filter_offers_the_apps_the_subject_was_ever_connected_to(signed_in, subject, cameo):
    LinkFactory(partner=cameo, subject=subject)
    PartnerFactory(name="Never Connected")

    response = signed_in.get(PAGE)

    assertContains(response, f'<option value="{cameo.pk}">Cameo Studio</option>', html=True)
    assertNotContains(response, "Never Connected")


def test_kind_and_app_filters_combine(signed_in, subject, purpose, cameo):
    _history(subject, purpose, cameo)

    response = signed_in.get(PAGE, {"kind": "deletions", "app": cameo.pk})

    rows = _rows(response)
    assert len(rows) == 1
    assert "You deleted the photo" in rows[0]


@pytest.mark.parametrize("query", [{"kind": "nonsense"}, {"app": "nonsense"}, {"app": "999999"}, {"before": "junk"}])
def test_an_unknown_filter_or_cursor_shows_everything(signed_in, subject, purpose, cameo, query):
    _history(subject, purpose, cameo)

    response = signed_in.get(PAGE, query)

    assert response.status_code == HTTPStatus.OK
    assert len(_kinds(response)) == 6


def test_a_filter_that_matches_nothing_says_so_and_offers_to_show_all(signed_in, subject):
    sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)

    response = signed_in.get(PAGE, {"kind": "deletions"})

    assertContains(response, "Nothing matches these filters.")
    assertContains(response, f'<a href="{PAGE}">Show all</a>', html=True)


def test_the_filters_are_a_get_form_that_needs_no_javascript(signed_in):
    body = signed_in.get(PAGE).content.decode()

    form = re.search(r'<form method="get" action="/activity/" class="filters"[^>]*>(.*?)</form>', body, re.S).group(1)
    assert '<select name="kind"' in form and '<select name="app"' in form
    assert '<button type="submit"' in form
    assert "<script" not in body.split("</footer>")[0].split("<main")[1]


# --- Only the subject's own -------------------------------------------------------------------------
def test_other_peoples_activity_never_shows(signed_in, subject, other_subject, purpose, cameo):
    _history(other_subject, purpose, cameo)

    everything = signed_in.get(PAGE)
    their_app = signed_in.get(PAGE, {"app": cameo.pk})  # an app the subject was never connected to

    assert _rows(everything) == []
    assert _rows(their_app) == []
    for kind in ("sign_ins", "consents", "deliveries", "photos", "deletions", "requests"):
        assert _rows(signed_in.get(PAGE, {"kind": kind})) == []


def test_the_subject_sees_their_own_and_not_their_neighbours(signed_in, subject, other_subject, purpose, cameo):
    _history(other_subject, purpose, cameo)
    sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)

    rows = _rows(signed_in.get(PAGE))

    assert rows == [rows[0]]
    assert "You signed in on Firefox on Linux" in rows[0]


# --- Pages -------------------------------------------------------------------------------------------
def _older_link(response) -> str | None:
    found = re.search(r'href="(\?[^"]*before=[^"]*)" rel="next"', response.content.decode())
    return PAGE + found.group(1).replace("&amp;", "&") if found else None


def test_pages_go_back_in_time_without_skipping_or_repeating_an_item(signed_in, subject):
    # given 40 items, 30 of them at the very same moment in two different tables
    moment = timezone.now() - timedelta(days=1)
    for _ in range(15):
        SignIn.objects.create(subject=subject, device="Firefox on Linux", created_at=moment)
        AccessEvent.objects.create(
            subject=subject,
            actor_kind=AccessEvent.ActorKind.SUBJECT,
            action=AccessEvent.Action.EXPORT,
            created_at=moment,
        )
    for _ in range(10):
        sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)

    # when the subject follows "Older" to the end
    ids, times, pages, url = [], [], 0, PAGE
    while url:
        response = signed_in.get(url)
        body = response.content.decode()
        ids += re.findall(r'<tr id="(activity-[^"]+)"', body)
        times += re.findall(r'<tr id="activity-[^"]+" data-kind="[a-z_]+">\s*<td[^>]*><time datetime="([^"]+)"', body)
        pages += 1
        url = _older_link(response)
        assert pages <= 3, "the cursor does not move on"

    # then every item was shown exactly once, newest first
    assert pages == 2
    assert len(ids) == 40
    assert len(set(ids)) == 40
    assert times == sorted(times, reverse=True)


def test_older_pages_keep_the_filters(signed_in, subject):
    for _ in range(ACTIVITY_PER_PAGE + 1):
        sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)

    first = signed_in.get(PAGE, {"kind": "sign_ins"})
    older = _older_link(first)
    second = signed_in.get(older)

    assert "kind=sign_ins" in older
    assert len(_rows(first)) == ACTIVITY_PER_PAGE
    assert len(_rows(second)) == 1
    assert _older_link(second) is None
    assertContains(second, "Newest")


def _more_of_everything(subject, purpose, partner, upload) -> None:
    """One more item of every kind."""
    sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)  # the app is told too
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    upload_access_record(
        upload=upload, actor_kind=AccessEvent.ActorKind.PARTNER, action=AccessEvent.Action.CONTENT, partner=partner
    )
    export_download_record(subject=subject)


def test_a_page_reads_the_same_number_of_queries_for_a_short_or_a_long_history(signed_in, subject, purpose, cameo):
    history = _history(subject, purpose, cameo)
    signed_in.get(PAGE)
    with CaptureQueriesContext(connection) as short:
        signed_in.get(PAGE)

    for _ in range(10):
        _more_of_everything(subject, history.avatars, cameo, history.kept)
    with CaptureQueriesContext(connection) as long:
        response = signed_in.get(PAGE)

    assert len(_rows(response)) == ACTIVITY_PER_PAGE
    assert len(long) == len(short)


# --- Deletions are recorded --------------------------------------------------------------------------
def test_erasing_an_upload_records_one_deletion_with_who_decided_and_the_photos_date(subject, purpose, cameo):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    upload = upload_ingest(subject=subject, data=ASTRONAUT.read_bytes(), purpose_slugs=[purpose.slug], partner=cameo)

    upload_erase(upload_id=upload.pk, actor_kind=AccessEvent.ActorKind.PARTNER)
    upload_erase(upload_id=upload.pk, actor_kind=AccessEvent.ActorKind.PARTNER)  # a second run erases nothing more

    deletion = AccessEvent.objects.get(subject=subject)
    assert (deletion.action, deletion.actor_kind, deletion.partner) == ("erase", "partner", cameo)
    assert (deletion.upload, deletion.upload_ref, deletion.upload_created_at) == (None, upload.pk, upload.created_at)


def test_an_upload_past_its_keeping_period_is_recorded_as_deleted_by_the_portal(signed_in, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    upload = upload_ingest(subject=subject, data=ASTRONAUT.read_bytes(), purpose_slugs=[purpose.slug])

    uploads_erase_expired(now=upload.retention_until + timedelta(seconds=1))

    rows = _rows(signed_in.get(PAGE, {"kind": "deletions"}))
    assert rows == [rows[0]]
    assert f"The photo of {_when(upload.created_at)} was deleted: the time it could be kept ran out" in rows[0]


def test_a_photo_left_without_a_granted_purpose_is_recorded_as_deleted_for_that_reason(signed_in, subject, purpose):
    consent_grant(subject=subject, purpose_slug=purpose.slug, actor=subject)
    upload = upload_ingest(subject=subject, data=ASTRONAUT.read_bytes(), purpose_slugs=[purpose.slug])
    consent_withdraw(subject=subject, purpose_slug=purpose.slug, actor=subject)

    uploads_erase_orphaned(subject_id=subject.pk)  # the job the withdrawal queues (a worker's, in CI)

    rows = _rows(signed_in.get(PAGE, {"kind": "deletions"}))
    assert rows == [rows[0]]
    assert f"The photo of {_when(upload.created_at)} was deleted: no purpose you grant covers it any more" in rows[0]


# --- Navigation ---------------------------------------------------------------------------------------
def test_the_navigation_marks_activity_as_the_current_page(signed_in):
    body = signed_in.get(PAGE).content.decode()

    assert re.search(r'<a href="/activity/" aria-current="page">Activity</a>', body)
