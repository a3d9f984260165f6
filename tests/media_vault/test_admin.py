"""Staff admin for face uploads (rule 4): blurred previews by default; a privacy officer may reveal an
original for a few minutes, for a written reason that is logged and shown to the subject."""

import io
import re
from datetime import timedelta
from http import HTTPStatus

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageFilter

from accounts.models import StaffAction
from media_vault.exceptions import RevealGrantExpired, RevealGrantNotFound
from media_vault.models import AccessEvent, RevealGrant
from media_vault.selectors import reveal_grant_get_valid, upload_image_bytes
from tests.accounts.factories import UserFactory
from tests.media_vault.factories import AccessEventFactory, FaceUploadFactory, RevealGrantFactory
from tests.partners.factories import LinkFactory

pytestmark = pytest.mark.django_db

REASON = "Subject disputes the photo in ticket 4711"


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _reveal_url(upload) -> str:
    return reverse("admin:media_vault_faceupload_reveal", args=[upload.pk])


def _blurred_url(upload) -> str:
    return reverse("admin:media_vault_faceupload_blurred", args=[upload.pk])


def _image_url(grant) -> str:
    return reverse("admin:media_vault_faceupload_revealed_image", args=[grant.pk])


def _directives(cache_control: str) -> set[str]:
    return {part.strip() for part in cache_control.split(",")}


def _gray(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float64)


def _edge_energy(data: bytes) -> float:
    """Mean high-frequency energy: what makes a face recognisable, and what a blur removes."""
    edges = Image.open(io.BytesIO(data)).convert("L").filter(ImageFilter.FIND_EDGES)
    return float(np.asarray(edges, dtype=np.float64).mean())


@pytest.fixture
def upload(subject, astronaut_png):
    return FaceUploadFactory(subject=subject, image=astronaut_png)


# --- Blurred previews -----------------------------------------------------------------------------
@pytest.mark.parametrize("group", ["Support", "Privacy officer"])
def test_changelist_shows_only_blurred_previews(upload, group):
    staff = _client_for(UserFactory(staff=True, groups=[group]))

    response = staff.get(reverse("admin:media_vault_faceupload_changelist"))

    assert response.status_code == HTTPStatus.OK
    sources = re.findall(r'<img[^>]+src="([^"]+)"', response.content.decode())
    upload_images = [src for src in sources if "faceupload" in src]
    assert upload_images == [_blurred_url(upload)]


def test_blurred_preview_has_far_less_detail_than_the_thumbnail(upload, support):
    thumbnail = upload_image_bytes(upload=upload, thumbnail=True)

    response = _client_for(support).get(_blurred_url(upload))

    assert response.status_code == HTTPStatus.OK
    blurred = response.content
    assert Image.open(io.BytesIO(blurred)).size == Image.open(io.BytesIO(thumbnail)).size
    assert _edge_energy(blurred) < 0.2 * _edge_energy(thumbnail)
    assert np.abs(_gray(blurred) - _gray(thumbnail)).mean() > 10


def test_blurred_preview_is_never_cached(upload, support):
    response = _client_for(support).get(_blurred_url(upload))

    assert {"private", "no-store"} <= _directives(response["Cache-Control"])
    assert response["X-Content-Type-Options"] == "nosniff"


def test_blurred_preview_is_not_for_staff_without_the_view_permission(upload):
    response = _client_for(UserFactory(staff=True)).get(_blurred_url(upload))

    assert response.status_code == HTTPStatus.FORBIDDEN


# --- Reveal ---------------------------------------------------------------------------------------
def test_support_cannot_open_the_reveal_page(upload, support):
    response = _client_for(support).get(_reveal_url(upload))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_support_cannot_reveal_even_by_posting(upload, support):
    response = _client_for(support).post(_reveal_url(upload), {"reason": REASON})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not RevealGrant.objects.exists()
    assert not AccessEvent.objects.exists()


def test_reveal_needs_a_reason_of_at_least_10_characters(upload, officer):
    response = _client_for(officer).post(_reveal_url(upload), {"reason": "  because "})

    assert response.status_code == HTTPStatus.OK
    assert "at least 10 characters" in response.content.decode()
    assert not RevealGrant.objects.exists()
    assert not AccessEvent.objects.exists()
    assert not StaffAction.objects.filter(kind=StaffAction.Kind.REVEAL).exists()


def test_reveal_page_asks_for_the_reason_before_showing_anything(upload, officer):
    response = _client_for(officer).get(_reveal_url(upload))

    assert response.status_code == HTTPStatus.OK
    assert 'name="reason"' in response.content.decode()
    assert "revealed-original" not in response.content.decode()


def test_reveal_with_a_reason_shows_the_original_to_that_officer(upload, officer):
    client = _client_for(officer)

    page = client.post(_reveal_url(upload), {"reason": REASON})
    grant = RevealGrant.objects.get(upload=upload, staff=officer)
    image = client.get(_image_url(grant))

    assert _image_url(grant) in page.content.decode()
    assert image.status_code == HTTPStatus.OK
    assert image.content == upload_image_bytes(upload=upload)
    assert {"private", "no-store"} <= _directives(image["Cache-Control"])


def test_reveal_lasts_a_few_minutes_only(upload, officer):
    _client_for(officer).post(_reveal_url(upload), {"reason": REASON})

    grant = RevealGrant.objects.get(upload=upload)
    assert timedelta(0) < grant.expires_at - grant.created_at <= timedelta(minutes=10)


def test_reveal_records_an_access_event_with_the_reason(upload, officer):
    _client_for(officer).post(_reveal_url(upload), {"reason": REASON})

    event = AccessEvent.objects.get(upload=upload)
    assert (event.action, event.actor_kind, event.staff, event.reason) == ("reveal", "staff", officer, REASON)
    assert event.subject == upload.subject


def test_reveal_records_a_staff_action_with_the_reason(upload, officer):
    _client_for(officer).post(_reveal_url(upload), {"reason": REASON})

    action = StaffAction.objects.get(kind=StaffAction.Kind.REVEAL)
    assert (action.actor, action.subject, action.reason) == (officer, upload.subject, REASON)
    assert str(upload.pk) in action.target


def test_revealed_original_is_404_for_another_officer(upload, officer):
    grant = RevealGrantFactory(upload=upload, staff=officer)
    colleague = _client_for(UserFactory(staff=True, groups=["Privacy officer"]))

    response = colleague.get(_image_url(grant))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_revealed_original_is_404_for_support(upload, officer, support):
    grant = RevealGrantFactory(upload=upload, staff=officer)

    response = _client_for(support).get(_image_url(grant))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_revealed_original_is_403_after_expiry(upload, officer):
    grant = RevealGrantFactory(upload=upload, staff=officer, now=timezone.now() - timedelta(minutes=30))

    response = _client_for(officer).get(_image_url(grant))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_revealed_original_is_403_once_the_officer_lost_the_permission(upload, officer):
    grant = RevealGrantFactory(upload=upload, staff=officer)
    officer.groups.clear()

    response = _client_for(officer).get(_image_url(grant))

    assert response.status_code == HTTPStatus.FORBIDDEN


# --- reveal_grant_get_valid: the one rule for loading a revealed original -------------------------
def test_a_fresh_reveal_grant_is_valid_for_its_officer(upload, officer):
    grant = RevealGrantFactory(upload=upload, staff=officer)

    assert reveal_grant_get_valid(grant_id=grant.pk, staff=officer) == grant


def test_another_officers_reveal_grant_is_refused_as_not_found(upload, officer):
    grant = RevealGrantFactory(upload=upload, staff=officer)
    colleague = UserFactory(staff=True, groups=["Privacy officer"])

    with pytest.raises(RevealGrantNotFound):
        reveal_grant_get_valid(grant_id=grant.pk, staff=colleague)


def test_an_unknown_reveal_grant_is_refused_as_not_found(officer):
    with pytest.raises(RevealGrantNotFound):
        reveal_grant_get_valid(grant_id=424242, staff=officer)


def test_a_reveal_grant_is_refused_once_it_expires(upload, officer):
    grant = RevealGrantFactory(upload=upload, staff=officer)

    assert reveal_grant_get_valid(grant_id=grant.pk, staff=officer, now=grant.expires_at - timedelta(seconds=1))
    with pytest.raises(RevealGrantExpired):
        reveal_grant_get_valid(grant_id=grant.pk, staff=officer, now=grant.expires_at)


def test_a_reveal_grant_is_refused_once_its_officer_lost_the_permission(upload, officer):
    grant = RevealGrantFactory(upload=upload, staff=officer)
    officer.groups.clear()
    officer = type(officer).objects.get(pk=officer.pk)  # a fresh user: permissions are cached per instance

    with pytest.raises(RevealGrantExpired):
        reveal_grant_get_valid(grant_id=grant.pk, staff=officer)


def test_admin_cannot_change_or_delete_face_uploads(upload, officer):
    client = _client_for(officer)

    delete = client.post(reverse("admin:media_vault_faceupload_delete", args=[upload.pk]), {"post": "yes"})

    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert upload_image_bytes(upload=upload)


# --- Staff wording: admin speaks about the subject; the subject's pages keep "you" -------------------------------
def test_admin_names_a_portal_upload_as_the_subjects_not_as_yours(subject, officer):
    upload = FaceUploadFactory(subject=subject)
    client = _client_for(officer)

    listed = client.get(reverse("admin:media_vault_faceupload_changelist")).content.decode()
    detail = client.get(reverse("admin:media_vault_faceupload_change", args=[upload.pk])).content.decode()

    assert '<td class="field-source_shown">the subject, in the portal</td>' in listed
    assert "the subject, in the portal</a>" in listed  # the source filter
    assert '<div class="readonly">the subject, in the portal</div>' in detail
    for html in (listed, detail):
        assert "you, in the portal" not in html.lower()


def test_admin_names_a_partners_upload_by_the_app(subject, officer):
    partner = LinkFactory(subject=subject).partner
    FaceUploadFactory(subject=subject, partner=partner)

    listed = _client_for(officer).get(reverse("admin:media_vault_faceupload_changelist")).content.decode()

    assert f'an app: <span class="cut" title="{partner.name}">{partner.name}</span>' in listed


def test_the_subjects_own_pages_still_say_you(subject, subject_client):
    upload = FaceUploadFactory(subject=subject)
    AccessEventFactory(upload=upload)

    assert "You, in the portal" in subject_client.get(reverse("media_vault:upload_list")).content.decode()
    assert "You" in subject_client.get(reverse("data_rights:activity")).content.decode()
    upload.refresh_from_db()
    assert upload.get_source_display() == "you, in the portal"  # the model's label is the subject's wording


def test_admin_names_the_reader_of_an_image_as_the_subject(subject, officer):
    event = AccessEventFactory(upload=FaceUploadFactory(subject=subject))
    client = _client_for(officer)

    listed = client.get(reverse("admin:media_vault_accessevent_changelist")).content.decode()
    detail = client.get(reverse("admin:media_vault_accessevent_change", args=[event.pk])).content.decode()

    assert '<td class="field-who">the subject</td>' in listed
    assert '<td class="field-what">viewed the image</td>' in listed
    assert "the subject</a>" in listed  # the "who" filter
    assert '<div class="readonly">the subject</div>' in detail
    assert '<div class="readonly">you</div>' not in detail


def test_admin_says_their_export_where_the_subject_reads_your_export(subject, officer):
    upload = FaceUploadFactory(subject=subject)
    AccessEventFactory(upload=upload, action=AccessEvent.Action.EXPORT)

    listed = _client_for(officer).get(reverse("admin:media_vault_accessevent_changelist")).content.decode()

    assert '<td class="field-what">downloaded their export</td>' in listed
    assert "your export" not in listed


def test_the_staff_worded_source_filter_still_filters(subject, officer):
    portal = FaceUploadFactory(subject=subject)
    from_app = FaceUploadFactory(subject=subject, partner=LinkFactory(subject=subject).partner)
    client = _client_for(officer)
    changelist = reverse("admin:media_vault_faceupload_changelist")

    def listed(**query) -> set:
        return {u.pk for u in client.get(changelist, query).context["cl"].result_list}

    assert listed(source="portal") == {portal.pk}
    assert listed(source="partner") == {from_app.pk}
    assert listed() == {portal.pk, from_app.pk}
