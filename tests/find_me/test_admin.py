"""Find me in admin: privacy officers see the sightings read-only, with the overdue removals as a queue; Support sees
nothing; and no admin page, for anyone, shows a face template, a face's box or who was found."""

import base64
import io
import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from PIL import Image

from find_me.matching import template_decrypt
from find_me.models import FaceTemplate, Sighting
from find_me.services import sighting_removal_request, subject_enrol, uploads_scan_pending
from media_vault.storage import subject_data_key
from tests.accounts.factories import UserFactory
from tests.find_me.conftest import jpeg, opt_in
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

SAVE_BUTTONS = ('name="_save"', 'name="_continue"', 'name="_addanother"', 'name="_saveasnew"')
CHANGELIST = "/admin/find_me/sighting/"
OVERDUE_QUEUE = "/admin/find_me/sighting/?removal=overdue"


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def officer() -> Client:
    return _client_for(UserFactory(staff=True, groups=["Privacy officer"]))


@pytest.fixture
def support() -> Client:
    return _client_for(UserFactory(staff=True, groups=["Support"]))


@pytest.fixture
def found(find_me, store, upload_of, astronaut_photo, astronaut_elsewhere):
    """Alice opted in and was found in two photos that Bob uploaded through an app: she asked for one to be removed
    49 hours ago (overdue now) and has not answered the other."""
    alice, bob = UserFactory(display_name="Alice Found"), UserFactory()
    app = PartnerFactory(name="Studio B", webhook_url="")
    opt_in(alice)
    upload_of(alice, astronaut_photo, purposes=[store])
    assert subject_enrol(subject_id=alice.pk) == 1
    LinkFactory(partner=app, subject=bob)
    first = upload_of(bob, astronaut_elsewhere, purposes=[store], partner=app)
    second_image = jpeg(Image.open(io.BytesIO(astronaut_elsewhere)), quality=70)  # another photo of the same scene
    second = upload_of(bob, second_image, purposes=[store], partner=app)
    uploads_scan_pending()
    overdue = Sighting.objects.get(subject=alice, upload=first)
    sighting_removal_request(sighting=overdue, now=timezone.now() - timedelta(hours=49))
    fresh = Sighting.objects.get(subject=alice, upload=second)
    return alice, app, overdue, fresh


def _row_ids(html: str) -> set[str]:
    return {sighting.pk.hex for sighting in Sighting.objects.all() if f"/admin/find_me/sighting/{sighting.pk}/" in html}


def test_a_privacy_officer_sees_the_sightings_and_the_overdue_queue(found, officer):
    _, app, overdue, fresh = found

    everything = officer.get(CHANGELIST)
    queue = officer.get(OVERDUE_QUEUE)

    assert everything.status_code == queue.status_code == HTTPStatus.OK
    assert _row_ids(everything.content.decode()) == {overdue.pk.hex, fresh.pk.hex}
    assert _row_ids(queue.content.decode()) == {overdue.pk.hex}
    page = queue.content.decode()
    assert "removal overdue" in page and app.name in page
    assert "?removal=overdue" in everything.content.decode()  # the filter is offered


def test_the_status_filter_follows_what_the_person_sees(found, officer):
    _, _, overdue, fresh = found

    new = officer.get(CHANGELIST, {"status": "found"}).content.decode()
    asked = officer.get(CHANGELIST, {"status": "removal_requested"}).content.decode()

    assert _row_ids(new) == {fresh.pk.hex}
    assert _row_ids(asked) == {overdue.pk.hex}


def test_a_privacy_officer_opens_a_sighting_read_only(found, officer):
    _, app, overdue, _ = found

    response = officer.get(reverse("admin:find_me_sighting_change", args=[overdue.pk]))

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert [button for button in SAVE_BUTTONS if button in html] == []
    assert str(overdue.upload_ref) in html and app.name in html  # what is needed to chase the app
    assert officer.post(reverse("admin:find_me_sighting_delete", args=[overdue.pk])).status_code == 403
    assert Sighting.objects.filter(pk=overdue.pk).exists()


def test_support_sees_no_sighting(found, support):
    _, _, overdue, _ = found

    assert support.get(CHANGELIST).status_code == HTTPStatus.FORBIDDEN
    assert support.get(OVERDUE_QUEUE).status_code == HTTPStatus.FORBIDDEN
    assert support.get(reverse("admin:find_me_sighting_change", args=[overdue.pk])).status_code == 403
    assert "find_me" not in support.get(reverse("admin:index")).content.decode()


def test_face_templates_have_no_admin_page(found, admin_client):
    with pytest.raises(NoReverseMatch):
        reverse("admin:find_me_facetemplate_changelist")
    assert admin_client.get("/admin/find_me/facetemplate/").status_code == HTTPStatus.NOT_FOUND
    assert admin_client.get("/admin/find_me/uploadscan/").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("who", ["superuser", "privacy officer"])
def test_no_admin_page_shows_a_template_a_face_box_or_who_was_found(found, who, admin_client, officer):
    alice, _, overdue, fresh = found
    client = admin_client if who == "superuser" else officer
    template = FaceTemplate.objects.get(subject=alice)
    blob = bytes(template.vector_encrypted)
    vector = template_decrypt(data_key=subject_data_key(subject=alice), name=template.object_name, blob=blob)
    pages = [
        reverse("admin:index"),
        reverse("admin:app_list", args=["find_me"]),
        CHANGELIST,
        OVERDUE_QUEUE,
        *(reverse("admin:find_me_sighting_change", args=[s.pk]) for s in (overdue, fresh)),
        *(reverse("admin:media_vault_faceupload_change", args=[s.upload_id]) for s in (overdue, fresh)),
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        html = response.content.decode()
        forbidden = {
            "template bytes": [
                blob.hex(),
                base64.b64encode(blob).decode(),
                base64.b64encode(vector.tobytes()).decode(),
            ],
            "template values": [repr(float(v)) for v in vector[:8]] + [str(v) for v in vector[:8]],
            "face box": [
                text
                for s in (overdue, fresh)
                for text in (json.dumps(s.face_box), ", ".join(map(str, s.face_box)), str(s.face_box))
            ]
            + ["face box", "face_box", "face-box"],
            "distance": [str(s.distance) for s in (overdue, fresh)],
            "who was found": [alice.email, alice.display_name, str(alice.ledger_ref)],
            "face templates": ["face template", "facetemplate", "encrypted embedding"],
        }
        shown = {kind: [text for text in texts if text.lower() in html.lower()] for kind, texts in forbidden.items()}
        assert not any(shown.values()), f"{url} shows {shown}"


@pytest.fixture
def portal_removal(find_me, store, upload_of, astronaut_photo, astronaut_elsewhere):
    """Alice was found in a photo Bob uploaded in the portal itself (no app) and asked for it to be removed."""
    alice, bob = UserFactory(), UserFactory()
    opt_in(alice)
    upload_of(alice, astronaut_photo, purposes=[store])
    subject_enrol(subject_id=alice.pk)
    photo = upload_of(bob, astronaut_elsewhere, purposes=[store])
    uploads_scan_pending()
    sighting = sighting_removal_request(sighting=Sighting.objects.get(subject=alice, upload=photo))
    return alice, bob, photo, sighting


def _remove_action(client, sighting):
    return client.post(
        CHANGELIST, {"action": "remove_portal_photos", "_selected_action": [str(sighting.pk)]}, follow=True
    )


def test_a_privacy_officer_removes_a_portal_photo_someone_asked_to_be_removed_from(portal_removal, officer):
    from accounts.models import StaffAction
    from media_vault.models import AccessEvent, FaceUpload

    alice, bob, photo, sighting = portal_removal

    response = _remove_action(officer, sighting)

    assert response.status_code == HTTPStatus.OK and "1 photo(s) removed." in response.content.decode()
    assert not FaceUpload.objects.filter(pk=photo.pk).exists()
    sighting.refresh_from_db()
    assert sighting.upload_id is None  # reads "removed" on her page
    # Bob is told privacy staff deleted it because a person in it asked, never who; the staff log does not name her
    deletion = AccessEvent.objects.get(subject=bob, upload_ref=photo.pk, action=AccessEvent.Action.ERASE)
    assert deletion.actor_kind == AccessEvent.ActorKind.STAFF and "asked to be removed" in deletion.reason
    logged = StaffAction.objects.get(target=f"media_vault.FaceUpload:{photo.pk}")
    assert logged.subject == bob and alice.email not in logged.reason and str(alice.ledger_ref) not in logged.reason


def test_an_apps_photo_is_never_removed_by_staff(found, officer):
    from media_vault.models import FaceUpload

    _, _, overdue, _ = found

    response = _remove_action(officer, overdue)

    assert "skipped" in response.content.decode()
    assert FaceUpload.objects.filter(pk=overdue.upload_id).exists()


def test_support_cannot_remove_a_portal_photo(portal_removal, support):
    from media_vault.models import FaceUpload

    _, _, photo, sighting = portal_removal

    _remove_action(support, sighting)

    assert FaceUpload.objects.filter(pk=photo.pk).exists()
