"""Factories for the media vault: every row is made by the service that makes it in production."""

import io
from datetime import datetime

import factory
from PIL import Image

from consents.models import Channel
from consents.selectors import consent_status_get
from consents.services import consent_grant
from media_vault.models import AccessEvent, FaceUpload, RevealGrant, SubjectKey
from media_vault.services import upload_access_record, upload_ingest, upload_reveal
from media_vault.storage import subject_data_key
from tests.accounts.factories import UserFactory
from tests.consents.factories import PurposeFactory


def jpeg_bytes(*, size: tuple[int, int] = (64, 48), color=(200, 40, 40), mode: str = "RGB", **save_options) -> bytes:
    """A small, valid JPEG made on the spot."""
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, "JPEG", **save_options)
    return out.getvalue()


def image_bytes(image: Image.Image, fmt: str, **save_options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **save_options)
    return out.getvalue()


def grant_all(*, subject, purposes) -> None:
    """Grant each purpose the subject does not already grant, through the consent service."""
    for purpose in purposes:
        if not consent_status_get(subject=subject, purpose=purpose).granted:
            consent_grant(subject=subject, purpose_slug=purpose.slug, channel=Channel.WEB, actor=subject)


class FaceUploadFactory(factory.django.DjangoModelFactory):
    """An upload through `upload_ingest` (the one gate), with its purposes granted first.

    FaceUploadFactory(subject=s, purposes=[p1, p2], partner=partner, image=png, now=some_time)
    """

    class Meta:
        model = FaceUpload

    subject = factory.SubFactory(UserFactory)
    purposes = factory.LazyFunction(lambda: [PurposeFactory()])
    partner = None
    image = factory.LazyFunction(jpeg_bytes)
    now = None

    @classmethod
    def _create(cls, model_class, *, subject, purposes, partner, image: bytes, now: datetime | None) -> FaceUpload:
        grant_all(subject=subject, purposes=purposes)
        return upload_ingest(
            subject=subject, data=image, purpose_slugs=[p.slug for p in purposes], partner=partner, now=now
        )


class SubjectKeyFactory(factory.django.DjangoModelFactory):
    """A subject's wrapped data key, made as on first upload."""

    class Meta:
        model = SubjectKey

    subject = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *, subject) -> SubjectKey:
        subject_data_key(subject=subject)
        return SubjectKey.objects.get(subject=subject)


class AccessEventFactory(factory.django.DjangoModelFactory):
    """A recorded read, through `upload_access_record`."""

    class Meta:
        model = AccessEvent

    upload = factory.SubFactory(FaceUploadFactory)
    actor_kind = AccessEvent.ActorKind.SUBJECT
    action = AccessEvent.Action.VIEW
    partner = None
    staff = None
    reason = ""

    @classmethod
    def _create(cls, model_class, **kwargs) -> AccessEvent:
        return upload_access_record(**kwargs)


class RevealGrantFactory(factory.django.DjangoModelFactory):
    """A privacy officer's reveal, through `upload_reveal` (which also logs the access and the staff action)."""

    class Meta:
        model = RevealGrant

    upload = factory.SubFactory(FaceUploadFactory)
    staff = factory.SubFactory(UserFactory, staff=True, groups=["Privacy officer"])
    reason = "Subject asked us to check the photo in ticket 4711"
    now = None

    @classmethod
    def _create(cls, model_class, *, upload, staff, reason, now) -> RevealGrant:
        return upload_reveal(upload=upload, staff=staff, reason=reason, now=now)
