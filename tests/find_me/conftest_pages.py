"""Fixtures of the "Found you" page and the subject's sightings API: `subject` opted in with one photo of her own
face, and sightings of her in photos that another person uploaded, each found by the real comparison.

Import them into a test module: `from tests.find_me.conftest_pages import *`.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from find_me.models import FaceTemplate, Sighting
from find_me.services import sighting_dismiss, sighting_removal_request, subject_enrol, uploads_scan_pending
from media_vault.services import upload_erase
from tests.accounts.factories import UserFactory
from tests.find_me.conftest import opt_in
from tests.partners.factories import LinkFactory, PartnerFactory

__all__ = ["enrolled", "one_of_each", "sighted", "studio", "uploader"]


@pytest.fixture
def studio(db):
    """The app that holds the other person's photos."""
    return PartnerFactory(name="Studio B", webhook_url="")


@pytest.fixture
def uploader(db):
    """Another person, who uploads photos that show `subject`'s face and never opted in."""
    return UserFactory()


@pytest.fixture
def enrolled(subject, upload_of, astronaut_photo, find_me, store):
    """`subject` turned find-me on and has one template, from her own one-face photo."""
    opt_in(subject)
    upload_of(subject, astronaut_photo, purposes=[store])
    subject_enrol(subject_id=subject.pk)  # (in a transactional test, comparing her photo on commit made it already)
    assert FaceTemplate.objects.filter(subject=subject).count() == 1
    return subject


@pytest.fixture
def sighted(enrolled, uploader, studio, upload_of, astronaut_elsewhere, store):
    """sighted(in_app=True): a new photo of the uploader's that shows `subject`, compared; its sighting of her."""
    LinkFactory(partner=studio, subject=uploader)

    def make(*, in_app: bool = True) -> Sighting:
        upload = upload_of(uploader, astronaut_elsewhere, purposes=[store], partner=studio if in_app else None)
        uploads_scan_pending()
        return Sighting.objects.get(subject=enrolled, upload_ref=upload.pk)

    return make


@pytest.fixture
def one_of_each(sighted) -> dict[str, Sighting]:
    """One sighting in each status the person can see, by status (the portal's own photo stays new)."""
    sightings = {
        "found": sighted(),
        "not_me": sighting_dismiss(sighting=sighted()),
        "removal_requested": sighting_removal_request(sighting=sighted()),
        "overdue": sighting_removal_request(sighting=sighted(), now=timezone.now() - timedelta(hours=49)),
        "removed": sighting_removal_request(sighting=sighted()),
        "in_portal": sighted(in_app=False),
    }
    upload_erase(upload_id=sightings["removed"].upload_ref)  # the app confirms by deleting the photo
    sightings["removed"].refresh_from_db()
    return sightings
