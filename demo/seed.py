"""Demo data for `seed_demo`: realistic purposes for face data, two demo subjects, two demo apps, what those apps
reported making with the demo subject's likeness, and find-me for real: the demo subject is enrolled from their own
photos and found in a photo that the second demo subject uploaded through Cameo Studio. Idempotent.

`seed_demo --reset` puts the demo back as seeded after people have used it, through the apps' own services: the
demo subjects are erased as any erasure is (rule 7), the demo purposes and partner are restored as staff would
restore them, then the demo is seeded again. Nothing else is touched: other people, their consents and uploads,
their links to the demo partner, and staff accounts stay as they are.
"""

import hashlib
import io
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageEnhance, ImageOps

from accounts.services import subject_create
from appearances.selectors import appearance_list_for_partner
from appearances.services import appearance_report, appearance_takedown_request
from consents.models import ConsentEvent, Purpose
from consents.selectors import consent_states_for_subject
from consents.services import (
    consent_exception_set,
    consent_grant,
    purpose_create,
    purpose_update,
    restrictions_set,
    restrictions_standard_ensure,
)
from data_rights.services import subject_erase_now
from find_me.selectors import find_me_records_count
from find_me.services import subject_enrol, uploads_scan_pending
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
        "grants": ["store-uploads", "generate-likeness", "cameos", "find-me"],
        "restrictions": ["no-political"],
    },
    {"email": "demo2@example.com", "display_name": "Second Demo", "grants": ["store-uploads"], "restrictions": []},
]


DEMO_PARTNER = "Cameo Studio (demo)"
DEMO_PARTNER_CONTACT = "privacy@cameo.example"
DEMO_SECOND_PARTNER = "Avatar Forge (demo)"
DEMO_SECOND_PARTNER_CONTACT = "privacy@avatarforge.example"
DEMO_PARTNERS = {DEMO_PARTNER: DEMO_PARTNER_CONTACT, DEMO_SECOND_PARTNER: DEMO_SECOND_PARTNER_CONTACT}
DEMO_ASSETS = Path(__file__).resolve().parent / "assets"  # crops of NASA's public-domain astronaut portrait


@dataclass(frozen=True)
class DemoAppearance:
    """Media that a demo app made with the demo subject's likeness, and what the subject did about it."""

    key: str  # names it for good: its content hash is derived from it, so a second run finds it
    app: str
    kind: str
    made_by: str
    purposes: tuple[str, ...]
    title: str
    days_ago: int
    asset: str | None  # the demo photo its thumbnail is made from; None: the app sent no thumbnail
    look: str = "frame"  # how the thumbnail is made from the photo (see _demo_thumbnail)
    takedown_reason: str | None = None  # the subject asked for a takedown, with this reason

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(f"demo appearance {self.key}".encode()).hexdigest()


DEMO_APPEARANCES = [
    DemoAppearance(
        key="beach-cameo",
        app=DEMO_PARTNER,
        kind="video",
        made_by="other_person",
        purposes=("cameos",),
        title="Moonwalk on the beach (a friend's cameo)",
        days_ago=3,
        asset="astronaut.jpg",
        look="warm",
    ),
    DemoAppearance(
        key="birthday-greeting",
        app=DEMO_PARTNER,
        kind="video",
        made_by="subject",
        purposes=("generate-likeness",),
        title="Birthday greeting",
        days_ago=9,
        asset="astronaut-close.jpg",
        look="frame",
        takedown_reason="not_me",
    ),
    DemoAppearance(
        key="profile-avatar",
        app=DEMO_SECOND_PARTNER,
        kind="image",
        made_by="subject",
        purposes=("generate-likeness",),
        title="Illustrated profile avatar",
        days_ago=14,
        asset="astronaut-close.jpg",
        look="poster",
    ),
    DemoAppearance(
        key="voice-note",
        app=DEMO_SECOND_PARTNER,
        kind="audio",
        made_by="subject",
        purposes=("generate-likeness",),
        title="Voice note for the avatar",
        days_ago=13,
        asset=None,
    ),
]


@dataclass(frozen=True)
class DemoSeedResult:
    purposes_created: int
    subjects_created: int
    password: str
    partners_created: int
    uploads_created: int
    appearances_created: int
    exceptions_created: int = 0
    templates_created: int = 0
    sightings_created: int = 0
    subjects_erased: int = 0  # by --reset
    purposes_restored: int = 0  # by --reset
    partners_restored: int = 0  # by --reset


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
    subject = get_user_model().objects.get(email=DEMO_SUBJECTS[0]["email"])
    partners, partners_created = {}, 0
    for name, contact in DEMO_PARTNERS.items():
        partners[name], created = _demo_partner_linked(subject=subject, name=name, contact=contact)
        partners_created += created
    uploads_created = _demo_uploads(subject=subject, partner=partners[DEMO_PARTNER])
    second = get_user_model().objects.get(email=DEMO_SUBJECTS[1]["email"])
    templates_created, photos_created, sightings_created = _demo_find_me(
        subject=subject, uploader=second, partner=partners[DEMO_PARTNER]
    )
    return DemoSeedResult(
        purposes_created=purposes_created,
        subjects_created=subjects_created,
        password=DEMO_PASSWORD,
        partners_created=partners_created,
        uploads_created=uploads_created + photos_created,
        appearances_created=_demo_appearances(subject=subject, partners=partners),
        exceptions_created=_demo_exception(subject=subject, partner=partners[DEMO_SECOND_PARTNER]),
        templates_created=templates_created,
        sightings_created=sightings_created,
    )


# A per-app exception: cameos are allowed for all apps, but not in the second app.
DEMO_EXCEPTION_PURPOSE = "cameos"


def _demo_exception(*, subject, partner: Partner) -> int:
    """ "Cameos for all apps except Avatar Forge", set once as the person would set it; a person who has made any
    decision for one app (or removed this one) is left as they are."""
    if ConsentEvent.objects.filter(subject=subject, link_ref__isnull=False).exists():
        return 0
    link = Link.objects.get(partner=partner, subject=subject, unlinked_at__isnull=True)
    consent_exception_set(
        subject=subject, purpose_slug=DEMO_EXCEPTION_PURPOSE, link_ref=link.pk, granted=False, actor=subject
    )
    return 1


def _demo_partner_linked(*, subject, name: str, contact: str) -> tuple[Partner, bool]:
    """A demo app (created if missing) connected to the demo subject the way a person connects one."""
    partner = Partner.objects.filter(name=name).first()
    created = partner is None
    if partner is None:
        partner = partner_create(name=name, contact_email=contact).partner
    if not Link.objects.filter(partner=partner, subject=subject, unlinked_at__isnull=True).exists():
        _, code = link_code_create(subject=subject)
        link_redeem(partner=partner, code=code)
    return partner, created


def _demo_uploads(*, subject, partner: Partner) -> int:
    """One upload from each source (first run only)."""
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
    return uploads_created


def _demo_photo_with_the_demo_face() -> bytes:
    """Another person's photo that holds the demo subject's face: their portrait cropped, darker and larger, on a
    wider canvas, re-encoded: a different photo for every byte comparison, the same face for find-me."""
    with Image.open(DEMO_ASSETS / "astronaut.jpg") as photo:
        face = ImageEnhance.Brightness(photo.convert("RGB").crop((40, 0, 280, 260))).enhance(0.8)
    face = face.resize((face.width * 3 // 2, face.height * 3 // 2), Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (1200, 800), (90, 110, 130))
    canvas.paste(face, (640, 200))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=80)
    return out.getvalue()


def _demo_find_me(*, subject, uploader, partner: Partner) -> tuple[int, int, int]:
    """Find me, through its own services: the demo subject (while they grant `find-me`) is enrolled from their own
    photos, then the second demo subject, connected to Cameo Studio, uploads there a photo that holds the demo
    subject's face (first run only), and the new uploads are compared, so the demo subject's Found you page has one
    sighting. Returns (templates, photos, sightings) created; a second run creates none."""
    templates_created = subject_enrol(subject_id=subject.pk)
    _demo_partner_linked(subject=uploader, name=partner.name, contact=partner.contact_email)
    photos_created = 0
    if not FaceUpload.objects.filter(subject=uploader).exists():
        upload_ingest(
            subject=uploader, data=_demo_photo_with_the_demo_face(), purpose_slugs=["store-uploads"], partner=partner
        )
        photos_created = 1
    sightings_before = find_me_records_count(subject=subject)[1]
    uploads_scan_pending()  # as the background comparison does after each upload
    return templates_created, photos_created, find_me_records_count(subject=subject)[1] - sightings_before


def _demo_thumbnail(*, asset: str, look: str) -> bytes:
    """A thumbnail an app might send, made from a demo photo: a wide video frame, warm-toned, or a poster avatar."""
    photo = ImageOps.exif_transpose(Image.open(DEMO_ASSETS / asset)).convert("RGB")
    if look == "poster":
        picture = ImageOps.posterize(ImageOps.autocontrast(ImageOps.fit(photo, (320, 320))), 3)
    else:
        picture = ImageOps.fit(photo, (480, 270), centering=(0.5, 0.35))
        if look == "warm":
            picture = ImageOps.colorize(ImageOps.grayscale(picture), black="#2b1a3d", white="#ffd9a0", mid="#d9734e")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def _demo_appearances(*, subject, partners: dict[str, Partner]) -> int:
    """What the demo apps reported making with the demo subject's likeness, each reported once, as an app reports
    it (`appearance_report`), and the takedown the subject asked for. One whose purposes the subject does not grant
    now is not reported (rule 1), so a second run after a withdrawal adds nothing."""
    granted = {row.purpose_slug for row in consent_states_for_subject(subject=subject) if row.granted}
    now = timezone.now()
    created = 0
    for spec in DEMO_APPEARANCES:
        partner = partners[spec.app]
        if not granted.issuperset(spec.purposes):
            continue
        if (
            appearance_list_for_partner(partner=partner, subject=subject)
            .filter(content_sha256=spec.content_sha256)
            .exists()
        ):
            continue
        appearance = appearance_report(
            subject=subject,
            partner=partner,
            kind=spec.kind,
            made_by=spec.made_by,
            purpose_slugs=list(spec.purposes),
            created_at=now - timedelta(days=spec.days_ago),
            content_sha256=spec.content_sha256,
            title=spec.title,
            thumbnail=_demo_thumbnail(asset=spec.asset, look=spec.look) if spec.asset else None,
        )
        if spec.takedown_reason:
            appearance_takedown_request(appearance=appearance, reason=spec.takedown_reason)
        created += 1
    return created


def demo_reset() -> DemoSeedResult:
    """Put the demo subjects, purposes and partners back as seeded; running it twice is the same as once."""
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
        partners_restored = sum(
            _demo_partner_restore(name=name, contact=contact) for name, contact in DEMO_PARTNERS.items()
        )
    seeded = demo_seed()
    return replace(
        seeded,
        subjects_erased=subjects_erased,
        purposes_restored=purposes_restored,
        partners_restored=partners_restored,
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


def _demo_partner_restore(*, name: str, contact: str) -> bool:
    """A demo partner active again, with its seeded contact, no webhook URL and every scope."""
    partner = Partner.objects.filter(name=name).first()
    seeded = {"contact_email": contact, "webhook_url": "", "active": True}
    if partner is None or (
        all(getattr(partner, field) == value for field, value in seeded.items())
        and set(partner.scopes) == set(PARTNER_SCOPES)
    ):
        return False
    partner_update(partner=partner, actor=None, name=name, scopes=list(PARTNER_SCOPES), **seeded)
    return True
