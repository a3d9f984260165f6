"""demo/seed.py: `seed_demo --reset` puts the demo back as seeded, through the apps' services, and touches nobody else."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from consents.models import Purpose
from consents.selectors import consent_states_for_subject
from consents.services import consent_grant, consent_withdraw, ledger_verify, purpose_update
from data_rights.models import DataRequest
from demo.seed import DEMO_PARTNER, DEMO_PASSWORD, DEMO_PURPOSES, DEMO_SUBJECTS
from media_vault.models import FaceUpload
from media_vault.selectors import upload_image_bytes
from media_vault.services import upload_erase
from partners.models import Link, Partner
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
            "links": list(Link.objects.filter(subject=user, unlinked_at__isnull=True).values_list("partner__name")),
        }
    purposes = {
        purpose.slug: (purpose.title, purpose.description, purpose.retention_days, purpose.position, purpose.active)
        for purpose in Purpose.objects.filter(slug__in=[spec["slug"] for spec in DEMO_PURPOSES])
    }
    partner = Partner.objects.get(name=DEMO_PARTNER)
    return {
        "subjects": subjects,
        "purposes": purposes,
        "partner": (partner.active, partner.contact_email, partner.webhook_url, sorted(partner.scopes)),
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


def test_reset_enables_the_demo_partner_again(seeded, staff):
    partner_set_active(partner=Partner.objects.get(name=DEMO_PARTNER), active=False, actor=staff)

    _seed_demo("--reset")

    assert _seeded_state() == seeded


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
    assert sum(e.receipt.get("face_uploads", 0) for e in erasures) == 2
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
    assert "0 purposes and 0 partner restored" in output
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
