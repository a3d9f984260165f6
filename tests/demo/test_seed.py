"""demo/seed.py: what `seed_demo` seeds (two apps and their appearances of the demo subject), that a second run adds
nothing, and that `seed_demo --reset` puts the demo back as seeded, through the apps' services, touching nobody else."""

import io
from datetime import timedelta
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from PIL import Image

from appearances.models import Appearance
from appearances.selectors import appearance_list_for_subject, appearance_thumbnail_bytes
from appearances.services import appearance_taken_down
from consents.models import ConsentException, Purpose
from consents.selectors import consent_states_for_subject
from consents.services import (
    consent_exception_remove,
    consent_grant,
    consent_withdraw,
    purpose_update,
)
from consents.verification import ledger_verify
from data_rights.models import DataRequest
from demo.seed import (
    DEMO_APPEARANCES,
    DEMO_ASSETS,
    DEMO_PARTNER,
    DEMO_PARTNERS,
    DEMO_PASSWORD,
    DEMO_PURPOSES,
    DEMO_SECOND_PARTNER,
    DEMO_SUBJECTS,
)
from find_me.selectors import (
    find_me_records_count,
    sighting_list_for_subject,
    sighting_preview_jpeg,
    sighting_status_shown,
)
from media_vault.models import FaceUpload
from media_vault.selectors import upload_image_bytes
from media_vault.services import upload_erase
from partners.models import PARTNER_SCOPES, Link, Partner, WebhookEvent
from partners.services import partner_set_active
from tests.accounts.factories import UserFactory
from tests.media_vault.factories import FaceUploadFactory
from tests.partners.factories import LinkFactory

pytestmark = pytest.mark.django_db

DEMO_EMAIL = DEMO_SUBJECTS[0]["email"]


def _seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _demo_subject():
    return get_user_model().objects.get(email=DEMO_EMAIL)


def _seeded_state() -> dict:
    """What a person and staff see of the demo, without ids (a reset makes new accounts)."""
    subjects = {}
    for spec in DEMO_SUBJECTS:
        user = get_user_model().objects.get(email=spec["email"])
        subjects[spec["email"]] = {
            "active": user.is_active,
            "display_name": user.display_name,
            "two_factor": Authenticator.objects.filter(user=user).count(),
            "consents": {row.purpose_slug: row.state for row in consent_states_for_subject(subject=user)},
            "uploads": sorted(
                (upload.source, upload.width, sorted(upload.purposes.values_list("slug", flat=True)))
                for upload in FaceUpload.objects.filter(subject=user)
            ),
            "links": sorted(Link.objects.filter(subject=user, unlinked_at__isnull=True).values_list("partner__name")),
            "appearances": sorted(
                (
                    a.partner.name,
                    a.kind,
                    a.made_by,
                    a.title,
                    a.status,
                    a.takedown_reason,
                    bool(a.thumbnail_object_name),
                    sorted(a.purposes.values_list("slug", flat=True)),
                )
                for a in Appearance.objects.filter(subject=user).select_related("partner")
            ),
            "find_me": (
                find_me_records_count(subject=user)[0],
                sorted(
                    (s.partner.name if s.partner else None, sighting_status_shown(sighting=s))
                    for s in sighting_list_for_subject(subject=user)
                ),
            ),
        }
    purposes = {
        purpose.slug: (purpose.title, purpose.description, purpose.retention_days, purpose.position, purpose.active)
        for purpose in Purpose.objects.filter(slug__in=[spec["slug"] for spec in DEMO_PURPOSES])
    }
    return {
        "subjects": subjects,
        "purposes": purposes,
        "partners": {
            partner.name: (partner.active, partner.contact_email, partner.webhook_url, sorted(partner.scopes))
            for partner in Partner.objects.filter(name__in=DEMO_PARTNERS)
        },
    }


@pytest.fixture
def seeded():
    _seed_demo()
    return _seeded_state()


@pytest.fixture
def staff(db):
    return UserFactory(staff=True)


def test_reset_brings_back_a_deleted_upload(seeded):
    upload_erase(upload_id=FaceUpload.objects.filter(subject=_demo_subject()).first().pk)

    _seed_demo("--reset")

    assert _seeded_state() == seeded


def test_reset_brings_back_a_withdrawn_consent_and_forgets_a_new_grant(seeded):
    demo = _demo_subject()
    consent_withdraw(subject=demo, purpose_slug="generate-likeness", actor=demo)
    consent_grant(subject=demo, purpose_slug="cameos", actor=demo)

    _seed_demo("--reset")

    assert _seeded_state() == seeded


def test_reset_removes_two_factor(seeded):
    TOTP.activate(_demo_subject(), generate_totp_secret())

    _seed_demo("--reset")

    assert _seeded_state() == seeded
    assert not Authenticator.objects.filter(user=_demo_subject()).exists()


def test_reset_restores_an_edited_and_deactivated_purpose(seeded, staff):
    purpose = Purpose.objects.get(slug="cameos")
    purpose_update(
        purpose=purpose,
        actor=staff,
        title="Edited by staff",
        description="Changed.",
        retention_days=7,
        position=9,
        active=False,
        requires_reconsent=True,
    )

    _seed_demo("--reset")

    assert _seeded_state() == seeded
    assert Purpose.objects.get(slug="cameos").version == 3  # versions only grow: the seeded text is republished


@pytest.mark.parametrize("name", [DEMO_PARTNER, DEMO_SECOND_PARTNER])
def test_reset_enables_a_demo_partner_again(seeded, staff, name):
    partner_set_active(partner=Partner.objects.get(name=name), active=False, actor=staff)

    output = _seed_demo("--reset")

    assert _seeded_state() == seeded
    assert "1 partners restored" in output


def test_reset_gives_back_the_demo_password(seeded):
    demo = _demo_subject()
    demo.set_password("changed-by-a-visitor-1")
    demo.save()

    _seed_demo("--reset")

    client = Client()
    assert client.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)


def test_reset_erases_through_the_erasure_service_and_leaves_receipts(seeded):
    _seed_demo("--reset")

    erasures = DataRequest.objects.filter(kind=DataRequest.Kind.ERASURE)
    assert erasures.count() == len(DEMO_SUBJECTS)
    assert all(e.status == DataRequest.Status.DONE and e.subject is None for e in erasures)
    assert sum(e.receipt.get("face_uploads", 0) for e in erasures) == 3  # two of the demo subject's, one of demo2's
    assert sum(e.receipt.get("face_templates", 0) for e in erasures) == 2
    assert sum(e.receipt.get("sightings", 0) for e in erasures) == 1
    assert ledger_verify().ok


def test_reset_does_not_touch_other_people(seeded, subject, staff):
    # given: someone else with a consent, an upload and a link to the demo partner, and a staff account
    upload = FaceUploadFactory(subject=subject, purposes=[Purpose.objects.get(slug="store-uploads")])
    link = LinkFactory(partner=Partner.objects.get(name=DEMO_PARTNER), subject=subject)
    before = {row.purpose_slug: row.state for row in consent_states_for_subject(subject=subject)}

    _seed_demo("--reset")

    subject.refresh_from_db()
    assert subject.is_active and subject.check_password("correct-horse-battery-9")
    assert upload_image_bytes(upload=FaceUpload.objects.get(pk=upload.pk))
    assert Link.objects.filter(pk=link.pk, unlinked_at__isnull=True).exists()
    assert {row.purpose_slug: row.state for row in consent_states_for_subject(subject=subject)} == before
    assert get_user_model().objects.filter(pk=staff.pk, is_active=True).exists()


def test_reset_twice_is_the_same_as_once(seeded):
    upload_erase(upload_id=FaceUpload.objects.filter(subject=_demo_subject()).first().pk)

    _seed_demo("--reset")
    versions = dict(Purpose.objects.values_list("slug", "version"))
    output = _seed_demo("--reset")

    assert _seeded_state() == seeded
    assert dict(Purpose.objects.values_list("slug", "version")) == versions
    assert "0 purposes and 0 partners restored" in output
    assert f"{DEMO_EMAIL} / password: {DEMO_PASSWORD}" in output


def test_reset_on_an_empty_database_seeds_the_demo():
    output = _seed_demo("--reset")

    assert "0 demo subjects erased" in output
    assert get_user_model().objects.filter(email=DEMO_EMAIL, is_active=True).exists()


def test_the_demo_subject_has_one_restriction_and_reset_brings_it_back(seeded):
    from consents.selectors import restriction_slugs_for_subject
    from consents.services import restrictions_set

    subject = get_user_model().objects.get(email=DEMO_SUBJECTS[0]["email"])
    assert restriction_slugs_for_subject(subject=subject) == ["no-political"]
    assert set(Purpose.objects.filter(sale_or_sharing=True).values_list("slug", flat=True)) == {
        "cameos",
        "train-models",
    }
    restrictions_set(subject=subject, slugs=[], actor=subject)

    call_command("seed_demo", "--reset", stdout=StringIO())

    subject = get_user_model().objects.get(email=DEMO_SUBJECTS[0]["email"])
    assert restriction_slugs_for_subject(subject=subject) == ["no-political"]


def _stored_objects(folder: str = "") -> list[str]:
    """Every object in the media storage (local files, or the test's own S3 bucket)."""
    folders, files = default_storage.listdir(folder)
    return [f"{folder}{name}" for name in files] + [
        name for sub in folders for name in _stored_objects(f"{folder}{sub}/")
    ]


def test_the_demo_subject_is_connected_to_two_demo_apps(seeded):
    assert seeded["subjects"][DEMO_EMAIL]["links"] == sorted([(DEMO_PARTNER,), (DEMO_SECOND_PARTNER,)])
    assert seeded["partners"][DEMO_SECOND_PARTNER] == (
        True,
        DEMO_PARTNERS[DEMO_SECOND_PARTNER],
        "",
        sorted(PARTNER_SCOPES),
    )


def test_both_apps_reported_appearances_of_the_demo_subject_with_a_cameo_and_a_takedown(seeded):
    appearances = appearance_list_for_subject(subject=_demo_subject())

    assert len(appearances) == len(DEMO_APPEARANCES) >= 3
    assert {a.partner.name for a in appearances} == {DEMO_PARTNER, DEMO_SECOND_PARTNER}
    cameo = next(a for a in appearances if a.made_by == Appearance.MadeBy.OTHER_PERSON)
    assert [p.slug for p in cameo.purposes.all()] == ["cameos"]
    assert cameo.status == Appearance.Status.LIVE
    asked = [a for a in appearances if a.status == Appearance.Status.TAKEDOWN_REQUESTED]
    assert len(asked) == 1 and asked[0].takedown_reason == Appearance.TakedownReason.NOT_ME
    assert asked[0].takedown_due_at - asked[0].takedown_requested_at == timedelta(hours=48)
    told = WebhookEvent.objects.filter(partner=asked[0].partner, event_type="appearance.takedown_requested")
    assert [event.payload["data"]["appearance_id"] for event in told] == [str(asked[0].pk)]
    assert Appearance.objects.filter(subject__email=DEMO_SUBJECTS[1]["email"]).count() == 0


def test_demo_thumbnails_are_real_images_made_from_the_demo_photos(seeded):
    with_thumbnail = [a for a in appearance_list_for_subject(subject=_demo_subject()) if a.thumbnail_object_name]

    assert len(with_thumbnail) == len([spec for spec in DEMO_APPEARANCES if spec.asset]) >= 3
    pictures = [appearance_thumbnail_bytes(appearance=a) for a in with_thumbnail]
    assert len(set(pictures)) == len(pictures)  # each its own picture
    for data in pictures:
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and max(image.size) == 320  # re-encoded at ingestion, as a face upload's is
        assert len(image.convert("L").getcolors(256)) > 64  # a photo, not a flat placeholder


def test_seed_demo_twice_adds_no_appearance_partner_link_event_or_file(seeded):
    def counts():
        return (
            Appearance.objects.count(),
            Partner.objects.count(),
            Link.objects.count(),
            WebhookEvent.objects.count(),
            FaceUpload.objects.count(),
            len(_stored_objects()),
        )

    before = counts()

    output = _seed_demo()

    assert counts() == before
    assert _seeded_state() == seeded
    assert "0 partners, 0 face uploads, 0 appearances and 0 per-app exceptions created" in output


def test_seed_demo_reports_no_appearance_under_a_purpose_the_subject_withdrew(monkeypatch):
    # given a demo seeded before the cameo existed, whose subject has since withdrawn cameos
    monkeypatch.setattr("demo.seed.DEMO_APPEARANCES", [a for a in DEMO_APPEARANCES if a.purposes != ("cameos",)])
    _seed_demo()
    demo = _demo_subject()
    consent_withdraw(subject=demo, purpose_slug="cameos", actor=demo)
    monkeypatch.undo()

    # when seed_demo runs again
    output = _seed_demo()

    # then the cameo is not reported (rule 1), and the rest stays as it was
    assert not Appearance.objects.filter(subject=demo, made_by=Appearance.MadeBy.OTHER_PERSON).exists()
    assert Appearance.objects.filter(subject=demo).count() == len(DEMO_APPEARANCES) - 1
    assert "0 appearances and" in output


def test_reset_brings_back_the_appearances_as_seeded(seeded):
    asked = Appearance.objects.get(subject=_demo_subject(), status=Appearance.Status.TAKEDOWN_REQUESTED)
    appearance_taken_down(appearance=asked)

    _seed_demo("--reset")

    assert _seeded_state() == seeded


def test_seed_demo_sets_one_per_app_exception_once():
    _seed_demo()
    demo = _demo_subject()

    (exception,) = ConsentException.objects.filter(subject=demo)
    assert (exception.purpose.slug, exception.granted) == ("cameos", False)
    assert Link.objects.get(pk=exception.link_ref).partner.name == DEMO_SECOND_PARTNER

    # removed by the person, it stays removed when the demo is seeded again
    consent_exception_remove(subject=demo, purpose_slug="cameos", link_ref=exception.link_ref, actor=demo)
    output = _seed_demo()

    assert not ConsentException.objects.filter(subject=demo).exists()
    assert "0 per-app exceptions created" in output


# --- Find me ---------------------------------------------------------------------------------------------------------
def test_the_demo_subject_is_found_in_a_photo_the_second_demo_subject_uploaded_through_cameo_studio(seeded):
    demo, second = _demo_subject(), get_user_model().objects.get(email=DEMO_SUBJECTS[1]["email"])

    (sighting,) = sighting_list_for_subject(subject=demo)

    own_photos = FaceUpload.objects.filter(subject=demo, faces_detected=1).count()
    assert find_me_records_count(subject=demo) == (own_photos, 1) and own_photos == 2
    assert sighting.partner.name == DEMO_PARTNER and sighting_status_shown(sighting=sighting) == "found"
    photo = sighting.upload
    assert (photo.subject, photo.partner.name, photo.faces_detected) == (second, DEMO_PARTNER, 1)
    assert Link.objects.filter(subject=second, partner__name=DEMO_PARTNER, unlinked_at__isnull=True).exists()
    assert "find-me" in {row.purpose_slug for row in consent_states_for_subject(subject=demo) if row.granted}
    assert find_me_records_count(subject=second) == (0, 0)  # the uploader never opted in: nothing of theirs is kept
    assets = {(DEMO_ASSETS / name).read_bytes() for name in ("astronaut.jpg", "astronaut-close.jpg")}
    assert upload_image_bytes(upload=photo) not in assets  # another photo, the same face
    assert Image.open(io.BytesIO(sighting_preview_jpeg(sighting=sighting))).size[0] <= 96  # the page's blurred face


def test_seed_demo_twice_adds_no_template_or_sighting(seeded):
    output = _seed_demo()

    assert _seeded_state() == seeded
    assert "Find me: 0 face templates and 0 sightings created." in output


def test_reset_brings_back_the_templates_and_the_sighting_after_find_me_is_withdrawn(seeded):
    demo = _demo_subject()
    consent_withdraw(subject=demo, purpose_slug="find-me", actor=demo)
    assert find_me_records_count(subject=demo) == (0, 0)

    output = _seed_demo("--reset")

    assert _seeded_state() == seeded
    assert "Find me: 2 face templates and 1 sightings created." in output


def test_reset_brings_back_the_sighting_after_its_photo_is_deleted(seeded):
    (sighting,) = sighting_list_for_subject(subject=_demo_subject())
    upload_erase(upload_id=sighting.upload_id)

    _seed_demo("--reset")

    assert _seeded_state() == seeded
