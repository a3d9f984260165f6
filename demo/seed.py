"""Demo data for `seed_demo`: realistic purposes for face data and two demo subjects. Idempotent.

`seed_demo --reset` puts the demo back as seeded after people have used it, through the apps' own services: the
demo subjects are erased as any erasure is (rule 7), the demo purposes and partner are restored as staff would
restore them, then the demo is seeded again. Nothing else is touched: other people, their consents and uploads,
their links to the demo partner, and staff accounts stay as they are.
"""

from dataclasses import dataclass, replace
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.services import subject_create
from consents.models import Purpose
from consents.services import (
    consent_grant,
    purpose_create,
    purpose_update,
    restrictions_set,
    restrictions_standard_ensure,
)
from data_rights.services import subject_erase_now
from media_vault.models import FaceUpload
from media_vault.services import upload_ingest
from partners.models import PARTNER_SCOPES, Link, Partner
from partners.services import link_code_create, link_redeem, partner_create, partner_update

DEMO_PASSWORD = "demo-portal-2026"

DEMO_PURPOSES = [
    {
        "slug": "store-uploads",
        "title": "Keep my face uploads",
        "description": "Apps you connect may store the photos of your face that you or they upload, so that you can use them again later. Without this, nothing is kept.",
        "retention_days": 365,
    },
    {
        "slug": "generate-likeness",
        "title": "Generate media with my likeness",
        "description": "Apps may use your photos to make new images or videos of you, for you: avatars, animated portraits, short clips.",
        "retention_days": 180,
    },
    {
        "slug": "cameos",
        "title": "Let other people use my likeness (cameos)",
        "description": "People you allow in an app may put you in the videos they make. You can see each such use and stop it at any time.",
        "retention_days": 90,
        "sale_or_sharing": True,
    },
    {
        "slug": "train-models",
        "title": "Train models on my face",
        "description": "Apps may use your photos to improve their face and video models. A model trained on your face may keep what it learned after your photos are erased.",
        "retention_days": 30,
        "sale_or_sharing": True,
    },
    {
        "slug": "find-me",
        "title": "Find me in other people's uploads",
        "description": "Apps may compare faces in photos that other people upload with yours, to tell you when you appear and to let you remove yourself.",
        "retention_days": 365,
    },
]

DEMO_SUBJECTS = [
    {
        "email": "demo@example.com",
        "display_name": "Demo Subject",
        "grants": ["store-uploads", "generate-likeness"],
        "restrictions": ["no-political"],
    },
    {"email": "demo2@example.com", "display_name": "Second Demo", "grants": ["store-uploads"], "restrictions": []},
]


DEMO_PARTNER = "Cameo Studio (demo)"
DEMO_PARTNER_CONTACT = "privacy@cameo.example"
DEMO_ASSETS = Path(__file__).resolve().parent / "assets"  # crops of NASA's public-domain astronaut portrait


@dataclass(frozen=True)
class DemoSeedResult:
    purposes_created: int
    subjects_created: int
    password: str
    partner_created: bool
    uploads_created: int
    subjects_erased: int = 0  # by --reset
    purposes_restored: int = 0  # by --reset
    partner_restored: bool = False  # by --reset


@transaction.atomic
def demo_seed() -> DemoSeedResult:
    """Create what is missing of the demo data; running it again changes nothing."""
    restrictions_standard_ensure()  # seeded by a migration; a flushed database lost them
    purposes_created = 0
    for position, spec in enumerate(DEMO_PURPOSES):
        if not Purpose.objects.filter(slug=spec["slug"]).exists():
            purpose_create(position=position, **spec)
            purposes_created += 1
    subjects_created = 0
    for spec in DEMO_SUBJECTS:
        if get_user_model().objects.filter(email=spec["email"]).exists():
            continue
        user = subject_create(
            email=spec["email"], password=DEMO_PASSWORD, verified=True, display_name=spec["display_name"]
        )
        for slug in spec["grants"]:
            consent_grant(subject=user, purpose_slug=slug, actor=user)
        restrictions_set(subject=user, slugs=spec["restrictions"], actor=user)
        subjects_created += 1
    partner_created, uploads_created = _demo_partner_and_uploads()
    return DemoSeedResult(purposes_created, subjects_created, DEMO_PASSWORD, partner_created, uploads_created)


def _demo_partner_and_uploads() -> tuple[bool, int]:
    """A demo partner linked to the demo subject, and one upload from each source (first run only)."""
    subject = get_user_model().objects.get(email=DEMO_SUBJECTS[0]["email"])
    partner = Partner.objects.filter(name=DEMO_PARTNER).first()
    partner_created = partner is None
    if partner is None:
        partner = partner_create(name=DEMO_PARTNER, contact_email=DEMO_PARTNER_CONTACT).partner
    if not Link.objects.filter(partner=partner, subject=subject, unlinked_at__isnull=True).exists():
        _, code = link_code_create(subject=subject)  # the way a person connects an app
        link_redeem(partner=partner, code=code)
    uploads_created = 0
    if not FaceUpload.objects.filter(subject=subject).exists():
        upload_ingest(
            subject=subject, data=(DEMO_ASSETS / "astronaut.jpg").read_bytes(), purpose_slugs=["store-uploads"]
        )
        upload_ingest(
            subject=subject,
            data=(DEMO_ASSETS / "astronaut-close.jpg").read_bytes(),
            purpose_slugs=["store-uploads", "generate-likeness"],
            partner=partner,
        )
        uploads_created = 2
    return partner_created, uploads_created


def demo_reset() -> DemoSeedResult:
    """Put the demo subjects, purposes and partner back as seeded; running it twice is the same as once."""
    subjects = get_user_model().objects.filter(
        email__in=[spec["email"] for spec in DEMO_SUBJECTS], is_staff=False, is_superuser=False
    )
    subjects_erased = 0
    for subject in subjects:
        subject_erase_now(subject=subject)  # uploads, files, exports, links, consents, two-factor, sessions, account
        subjects_erased += 1
    with transaction.atomic():
        purposes_restored = sum(
            _demo_purpose_restore(position=position, spec=spec) for position, spec in enumerate(DEMO_PURPOSES)
        )
        partner_restored = _demo_partner_restore()
    seeded = demo_seed()
    return replace(
        seeded, subjects_erased=subjects_erased, purposes_restored=purposes_restored, partner_restored=partner_restored
    )


def _demo_purpose_restore(*, position: int, spec: dict) -> bool:
    """Seeded text, retention, order and activity (a changed text comes back as a new version: versions only grow)."""
    purpose = Purpose.objects.filter(slug=spec["slug"]).first()
    seeded = {"title": spec["title"], "description": spec["description"], "retention_days": spec["retention_days"]}
    seeded.update(position=position, active=True, sale_or_sharing=spec.get("sale_or_sharing", False))
    if purpose is None or all(getattr(purpose, field) == value for field, value in seeded.items()):
        return False
    purpose_update(purpose=purpose, actor=None, **seeded)
    return True


def _demo_partner_restore() -> bool:
    """The demo partner active again, with its seeded contact, no webhook URL and every scope."""
    partner = Partner.objects.filter(name=DEMO_PARTNER).first()
    seeded = {"contact_email": DEMO_PARTNER_CONTACT, "webhook_url": "", "active": True}
    if partner is None or (
        all(getattr(partner, field) == value for field, value in seeded.items())
        and set(partner.scopes) == set(PARTNER_SCOPES)
    ):
        return False
    partner_update(partner=partner, actor=None, name=DEMO_PARTNER, scopes=list(PARTNER_SCOPES), **seeded)
    return True
