"""Find-me fixtures: the `find-me` purpose, people who opted in, and photos that hold a known face."""

import io
from pathlib import Path

import pytest
from PIL import Image, ImageEnhance

from consents.models import Channel
from consents.services import consent_grant
from find_me.services import FIND_ME
from tests.consents.factories import PurposeFactory
from tests.media_vault.conftest import avatar, bearer_client, link, make_partner_client, partner_client  # noqa: F401
from tests.media_vault.factories import FaceUploadFactory

ASTRONAUT = Path(__file__).parent.parent / "media_vault" / "files" / "astronaut.png"


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.fixture(scope="session")
def astronaut_photo() -> bytes:
    """One face (Eileen Collins, NASA, public domain): the person who opts in."""
    return ASTRONAUT.read_bytes()


@pytest.fixture(scope="session")
def astronaut_elsewhere() -> bytes:
    return astronaut_elsewhere_bytes()


def astronaut_elsewhere_bytes() -> bytes:
    """The same face in another person's photo: cropped, darker, on a wider canvas, re-encoded."""
    with Image.open(ASTRONAUT) as image:
        face = ImageEnhance.Brightness(image.convert("RGB").crop((60, 0, 420, 360))).enhance(0.8)
    canvas = Image.new("RGB", (900, 600), (90, 110, 130))
    canvas.paste(face, (420, 140))
    return jpeg(canvas, quality=80)


@pytest.fixture
def find_me(db):
    return PurposeFactory(slug=FIND_ME, title="Find me across apps", retention_days=365)


@pytest.fixture
def store(db):
    return PurposeFactory(slug="store-uploads", retention_days=30)


def opt_in(subject) -> None:
    consent_grant(subject=subject, purpose_slug=FIND_ME, channel=Channel.WEB, actor=subject)


@pytest.fixture
def upload_of():
    """upload_of(subject, image_bytes, partner=None, purposes=[...]): an upload through the real gate."""

    def make(subject, image: bytes, *, purposes, partner=None):
        return FaceUploadFactory(subject=subject, image=image, purposes=purposes, partner=partner)

    return make
