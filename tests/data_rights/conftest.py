"""Data rights fixtures: a subject with a row in every table that can hold something about them, the export
archive opened as a ZIP, and storage that can be made unreachable through settings."""

import io
import socket
import zipfile
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from botocore.config import Config
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test import Client
from PIL import Image

from accounts.models import StaffAction
from accounts.services import sign_in_record, staff_action_log
from appearances.services import appearance_report
from consents.services import consent_exception_set, consent_grant, consent_withdraw, restrictions_set
from data_rights.models import DataRequest
from data_rights.services import export_build, export_request
from find_me.services import subject_enrol, uploads_scan_pending
from media_vault.models import AccessEvent
from media_vault.services import upload_access_record
from media_vault.storage import subject_data_key, vault_stream_read
from partners.services import link_code_create, link_unlink
from tests.accounts.factories import FIREFOX_ON_LINUX
from tests.conftest import s3_storage_settings
from tests.consents.factories import PurposeFactory
from tests.find_me.conftest import astronaut_elsewhere, astronaut_photo, find_me, opt_in  # noqa: F401
from tests.media_vault.factories import FaceUploadFactory, RevealGrantFactory, image_bytes
from tests.partners.factories import LinkFactory, PartnerFactory


@pytest.fixture(autouse=True)
def _skip_postgres_only_elsewhere(request):
    """Tests marked postgres_only need real row locks and concurrent connections: skip them on SQLite."""
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def avatar(db):
    return PurposeFactory(slug="avatar", title="Avatar generation", retention_days=30)


@pytest.fixture
def cameo(db):
    return PurposeFactory(slug="cameo", title="Cameos in shared videos", retention_days=90)


@pytest.fixture
def research(db):
    return PurposeFactory(slug="research", title="Model research", retention_days=60)


@pytest.fixture
def holdings(subject, avatar, cameo, research):
    """`subject` with something in every table that can hold data about a person.

    Two uploads (from the portal as JPEG, from a partner as PNG), consents granted and one withdrawn, an
    active link and an unlinked one (both with webhook events), a link code, reads by the subject, a
    partner and a privacy officer (a reveal), a staff audit row, admin log entries, a second factor, a
    signed-in session with allauth's record of it and a sign-in, and a finished export with its archive in storage.
    """
    partner = PartnerFactory(name="Cameo Studio")
    old_partner = PartnerFactory(name="Old Avatar App")
    link = LinkFactory(partner=partner, subject=subject)
    old_link = LinkFactory(partner=old_partner, subject=subject)
    portal_upload = FaceUploadFactory(subject=subject, purposes=[avatar])
    partner_upload = FaceUploadFactory(
        subject=subject,
        purposes=[avatar, cameo],
        partner=partner,
        image=image_bytes(Image.new("RGB", (40, 30), (20, 90, 200)), "PNG"),
    )
    appearance = appearance_report(
        subject=subject,
        partner=partner,
        kind="video",
        made_by="other_person",
        purpose_slugs=[cameo.slug],
        created_at=partner_upload.created_at,
        content_sha256="ab" * 32,
        title="Birthday cameo",
        source_upload_ids=[str(partner_upload.pk)],
        thumbnail=image_bytes(Image.new("RGB", (40, 30), (200, 90, 20)), "PNG"),
    )
    consent_grant(subject=subject, purpose_slug=research.slug, actor=subject)
    consent_withdraw(subject=subject, purpose_slug=research.slug, actor=subject)
    # A per-app exception: research withdrawn for all apps, but allowed for Cameo Studio.
    consent_exception_set(subject=subject, purpose_slug=research.slug, link_ref=link.pk, granted=True, actor=subject)
    restrictions_set(subject=subject, slugs=["no-political", "no-voice"], actor=subject)
    link_unlink(link=old_link)
    link_code_create(subject=subject)
    upload_access_record(upload=portal_upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW)
    upload_access_record(
        upload=partner_upload,
        actor_kind=AccessEvent.ActorKind.PARTNER,
        action=AccessEvent.Action.CONTENT,
        partner=partner,
    )
    reveal = RevealGrantFactory(upload=portal_upload)
    staff_action_log(
        actor=reveal.staff, kind=StaffAction.Kind.VIEW, subject=subject, target=f"accounts.User:{subject.pk}"
    )
    # What Django's admin writes when staff edit the account or its address: the object's str() is the email.
    LogEntry.objects.log_actions(
        user_id=reveal.staff.pk, queryset=[subject], action_flag=CHANGE, change_message="Changed display name."
    )
    LogEntry.objects.log_actions(
        user_id=reveal.staff.pk,
        queryset=list(EmailAddress.objects.filter(user=subject)),
        action_flag=CHANGE,
        change_message="Changed verified.",
    )
    Authenticator.objects.create(user=subject, type=Authenticator.Type.TOTP, data={"secret": "not-a-real-secret"})
    signed_in = Client(HTTP_USER_AGENT=FIREFOX_ON_LINUX)
    signed_in.force_login(subject)
    signed_in.get("/consents/")  # allauth's record of the session: device, address, last seen
    sign_in_record(subject=subject, user_agent=FIREFOX_ON_LINUX)
    earlier_export = export_build(request_id=export_request(subject=subject).pk)
    return SimpleNamespace(
        subject=subject,
        partner=partner,
        link=link,
        old_link=old_link,
        uploads=[portal_upload, partner_upload],
        appearance=appearance,
        reveal=reveal,
        earlier_export=earlier_export,
        client=signed_in,
    )


@pytest.fixture
def found(holdings, other_subject, avatar, find_me, astronaut_photo, astronaut_elsewhere):  # noqa: F811
    """`holdings` with find-me: the subject opted in and was enrolled from a photo of their own face, and was then
    found in a photo of the same face that another person uploaded through Cameo Studio (real faces, real dlib)."""
    subject = holdings.subject
    opt_in(subject)
    own = FaceUploadFactory(subject=subject, purposes=[avatar], image=astronaut_photo)
    assert subject_enrol(subject_id=subject.pk) == 1
    LinkFactory(partner=holdings.partner, subject=other_subject)
    theirs = FaceUploadFactory(
        subject=other_subject, purposes=[avatar], partner=holdings.partner, image=astronaut_elsewhere
    )
    uploads_scan_pending()
    return SimpleNamespace(**{**vars(holdings), "uploads": [*holdings.uploads, own]}, own_photo=own, their_photo=theirs)


@pytest.fixture
def archive_open():
    """archive_open(export) -> ZipFile: the stored archive, decrypted with the subject's key."""

    def open_archive(export: DataRequest) -> zipfile.ZipFile:
        data_key = subject_data_key(subject=export.subject)
        blob = b"".join(vault_stream_read(data_key=data_key, name=export.archive_object_name))
        return zipfile.ZipFile(io.BytesIO(blob))

    return open_archive


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def storage_switch(settings, closed_port):
    """`.down()` points media at an S3 endpoint on a closed port (it fails at once); `.up()` puts it back."""
    unreachable = s3_storage_settings(endpoint=f"http://127.0.0.1:{closed_port}", bucket="unreachable")
    unreachable["OPTIONS"]["client_config"] = Config(
        s3={"addressing_style": "path"}, signature_version="s3v4", retries={"total_max_attempts": 1}, connect_timeout=2
    )

    class Switch:
        working = None

        def down(self) -> None:
            self.working = self.working or settings.STORAGES
            settings.STORAGES = {**self.working, "default": unreachable}

        def up(self) -> None:
            if self.working is not None:
                settings.STORAGES = self.working

    return Switch()
