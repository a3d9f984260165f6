"""The export archive (rule 6, DESIGN.md "Export archive"): complete, checksummed, readable offline, encrypted, streamed."""

import hashlib
import json
import os
import tracemalloc
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from accounts.devices import device_label
from accounts.models import SignIn
from appearances.models import Appearance
from appearances.selectors import appearance_thumbnail_bytes
from appearances.services import appearance_report
from consents.models import ConsentEvent, ConsentException, ConsentState, SubjectRestriction
from data_rights.archive import archive_stream
from data_rights.models import DataRequest
from data_rights.selectors import export_sections_for_subject
from data_rights.services import export_build, export_request
from find_me.models import FaceTemplate, Sighting
from media_vault.exceptions import StorageUnavailable
from media_vault.models import AccessEvent, FaceUpload, RevealGrant
from media_vault.selectors import upload_image_bytes
from media_vault.services import upload_erase
from partners.models import Link
from tests.accounts.factories import UserFactory
from tests.media_vault.factories import FaceUploadFactory, grant_all, image_bytes, jpeg_bytes
from tests.partners.factories import LinkFactory, PartnerFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
JSON_FILES = (
    "profile.json",
    "consents.json",
    "uploads.json",
    "access_log.json",
    "partners.json",
    "requests.json",
    "appearances.json",
    "find_me.json",
    "receipts.json",
)


def _has(items: list[dict], **fields) -> bool:
    return any(all(item.get(key) == value for key, value in fields.items()) for item in items)


# Where each row held about the subject shows up in the archive: (file, the subject's rows, is this row in it?).
ARCHIVED = {
    "accounts.User": (
        "profile.json",
        lambda s: User.objects.filter(pk=s.pk),
        lambda row, p: (p["email"], p["display_name"], p["subject_ref"])
        == (row.email, row.display_name, str(row.ledger_ref)),
    ),
    "account.EmailAddress": (
        "profile.json",
        lambda s: EmailAddress.objects.filter(user=s),
        lambda row, p: _has(p["email_addresses"], email=row.email, verified=row.verified, primary=row.primary),
    ),
    "mfa.Authenticator": (
        "profile.json",
        lambda s: Authenticator.objects.filter(user=s),
        lambda row, p: row.type in p["two_factor"],
    ),
    "accounts.SignIn": (
        "profile.json",
        lambda s: SignIn.objects.filter(subject=s),
        lambda row, p: _has(p["sign_ins"], device=row.device, new_device=row.new_device),
    ),
    "usersessions.UserSession": (
        "profile.json",
        lambda s: UserSession.objects.filter(user=s),
        lambda row, p: _has(p["sessions"], ip=row.ip, device=device_label(row.user_agent)),
    ),
    "consents.ConsentEvent": (
        "consents.json",
        lambda s: ConsentEvent.objects.filter(subject=s),
        lambda row, c: _has(
            c["events"],
            seq=row.seq,
            purpose=row.purpose_slug,
            granted=row.granted,
            subject_ref=str(row.subject_ref),
            prev_hash=row.prev_hash,
            hash=row.hash,
        ),
    ),
    "consents.ConsentState": (
        "consents.json",
        lambda s: ConsentState.objects.filter(subject=s).select_related("purpose"),
        lambda row, c: _has(
            c["current"], purpose=row.purpose.slug, granted=row.granted, purpose_version=row.purpose_version
        ),
    ),
    "consents.ConsentException": (
        "consents.json",
        lambda s: ConsentException.objects.filter(subject=s).select_related("purpose"),
        lambda row, c: _has(c["exceptions"], purpose=row.purpose.slug, granted=row.granted),
    ),
    "consents.SubjectRestriction": (
        "consents.json",
        lambda s: SubjectRestriction.objects.filter(subject=s).select_related("restriction"),
        lambda row, c: _has(c["restrictions"], restriction=row.restriction.slug, title=row.restriction.title),
    ),
    "media_vault.FaceUpload": (
        "uploads.json",
        lambda s: FaceUpload.objects.filter(subject=s, status=FaceUpload.Status.STORED),  # not those being erased
        lambda row, u: _has(u, id=str(row.pk), sha256=row.sha256, file=f"uploads/{row.pk}.{row.extension}"),
    ),
    "media_vault.FaceUpload_purposes": (
        "uploads.json",
        lambda s: FaceUpload.purposes.through.objects.filter(
            faceupload__subject=s, faceupload__status=FaceUpload.Status.STORED
        ).select_related("purpose"),
        lambda row, u: any(i["id"] == str(row.faceupload_id) and row.purpose.slug in i["purposes"] for i in u),
    ),
    "media_vault.AccessEvent": (
        "access_log.json",
        lambda s: AccessEvent.objects.filter(subject=s).select_related("partner"),
        lambda row, log: _has(
            log,
            who=row.actor_kind,
            what=row.action,
            why=row.reason,
            partner=row.partner.name if row.partner else None,
            upload_id=str(row.upload_ref) if row.upload_ref else None,
        ),
    ),
    "media_vault.RevealGrant": (
        "access_log.json",
        lambda s: RevealGrant.objects.filter(upload__subject=s),
        lambda row, log: _has(log, what="reveal", why=row.reason, upload_id=str(row.upload_id)),
    ),
    "partners.Link": (
        "partners.json",
        lambda s: Link.objects.filter(subject=s).select_related("partner"),
        lambda row, p: _has(p, subject_id=str(row.pairwise_id), partner=row.partner.name),
    ),
    "appearances.Appearance": (
        "appearances.json",
        lambda s: Appearance.objects.filter(subject=s).select_related("partner"),
        lambda row, a: _has(
            a, id=str(row.pk), app=row.partner.name, content_sha256=row.content_sha256, status=row.status
        ),
    ),
    "appearances.Appearance_purposes": (
        "appearances.json",
        lambda s: Appearance.purposes.through.objects.filter(appearance__subject=s).select_related("purpose"),
        lambda row, a: any(i["id"] == str(row.appearance_id) and row.purpose.slug in i["purposes"] for i in a),
    ),
    "find_me.FaceTemplate": (
        "find_me.json",
        lambda s: FaceTemplate.objects.filter(subject=s),
        lambda row, f: _has(f["face_templates"], id=str(row.pk), from_upload_id=str(row.source_upload_id)),
    ),
    "find_me.Sighting": (
        "find_me.json",
        lambda s: Sighting.objects.filter(subject=s).select_related("partner"),
        lambda row, f: _has(f["sightings"], id=str(row.pk), app=row.partner.name),
    ),
    "data_rights.DataRequest": (
        "requests.json",
        lambda s: DataRequest.objects.filter(subject=s),
        lambda row, r: _has(r, id=str(row.pk), kind=row.kind),
    ),
}

# Rows that are tied to a subject but deliberately left out of the archive, and why.
EXCLUDED = {
    "sessions.Session": "sign-in sessions: short-lived credentials, not information about the person",
    "media_vault.SubjectKey": "the wrapped data key: a secret that protects the data, not data about the subject",
    "partners.LinkCode": "a 10-minute single-use code stored only as a hash; nothing readable to give back",
    "partners.WebhookEvent": "the outbox to partners; every event repeats a consent change, upload or link already in the archive",
    "accounts.StaffAction": "the staff audit trail (rule 8); staff reads of the subject's images are in access_log.json",
    "admin.LogEntry": "Django admin's change log of staff work (rule 8), not a record about the subject",
    "accounts.User_groups": "staff roles; a subject has none",
    "accounts.User_user_permissions": "staff permissions; a subject has none",
    "consents.PurposeVersion": "which staff member published a purpose version; not about a subject",
    "find_me.UploadScan": "the job's note that an upload's faces were compared once with find-me's templates: no face "
    "data, and who matched is never told to the uploader (DESIGN: Find me)",
    "oauth2_provider.Application": "OAuth clients belong to partners (client credentials), never to a subject",
    "oauth2_provider.Grant": "OAuth credentials; subjects sign in with a password, so none are issued to them",
    "oauth2_provider.AccessToken": "OAuth credentials; subjects sign in with a password, so none are issued to them",
    "oauth2_provider.RefreshToken": "OAuth credentials; subjects sign in with a password, so none are issued to them",
    "oauth2_provider.IDToken": "OAuth credentials; subjects sign in with a password, so none are issued to them",
    "oauth2_provider.DeviceGrant": "OAuth credentials; subjects sign in with a password, so none are issued to them",
}

# Rows that hang off the subject's own uploads, links and consents belong to the subject too.
SUBJECT_PARENTS = (FaceUpload, Link, ConsentEvent, ConsentState, Appearance)


def _points_to(model, targets) -> bool:
    return any(
        field.concrete and (field.many_to_one or field.one_to_one) and field.related_model in targets
        for field in model._meta.get_fields()
    )


def _models_holding_subject_rows() -> set[str]:
    return {
        model._meta.label
        for model in apps.get_models(include_auto_created=True)
        if model is User or _points_to(model, (User,)) or _points_to(model, SUBJECT_PARENTS)
    }


@pytest.fixture
def export(holdings):
    return export_build(request_id=export_request(subject=holdings.subject).pk)


def _json(archive, name: str):
    return json.loads(archive.read(name))


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def test_every_model_tied_to_a_subject_is_archived_or_excluded_with_a_reason():
    unaccounted = _models_holding_subject_rows() - set(ARCHIVED) - set(EXCLUDED)
    assert not unaccounted, f"decide where these rows go in the export: {sorted(unaccounted)}"


def test_archive_holds_every_row_of_every_model_tied_to_the_subject(found, archive_open):
    archive = archive_open(export_build(request_id=export_request(subject=found.subject).pk))
    for label, (name, rows_of, in_file) in ARCHIVED.items():
        rows = list(rows_of(found.subject))
        assert rows, f"the fixture has no {label} row: the check would prove nothing"
        data = _json(archive, name)
        missing = [row.pk for row in rows if not in_file(row, data)]
        assert not missing, f"{label} rows {missing} are not in {name}"


def test_archive_holds_exactly_the_files_of_the_contract(holdings, export, archive_open):
    uploads = {f"uploads/{u.pk}.{u.extension}" for u in holdings.uploads}
    assert {u.rsplit(".", 1)[1] for u in uploads} == {"jpg", "png"}
    thumbnails = {f"appearances/{holdings.appearance.pk}.jpg"}
    assert set(archive_open(export).namelist()) == {"manifest.json", *JSON_FILES, "index.html", *uploads, *thumbnails}


def test_manifest_has_the_sha256_and_size_of_every_other_file(export, archive_open):
    archive = archive_open(export)
    manifest = _json(archive, "manifest.json")
    assert manifest["schema_version"] == 1
    assert manifest["generated_at"]
    assert manifest["subject"]["email"] == export.subject.email
    assert set(manifest["files"]) == set(archive.namelist()) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        content = archive.read(name)
        assert entry == {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}, name


def test_consents_file_holds_current_states_and_every_event_with_its_chain_fields(holdings, export, archive_open):
    consents = _json(archive_open(export), "consents.json")
    states = {c["purpose"]: c["state"] for c in consents["current"]}
    assert states == {"avatar": "granted", "cameo": "granted", "research": "withdrawn"}
    events = ConsentEvent.objects.filter(subject=holdings.subject).order_by("seq")
    assert [(e["seq"], e["prev_hash"], e["hash"]) for e in consents["events"]] == [
        (e.seq, e.prev_hash, e.hash) for e in events
    ]


def test_archive_images_are_the_stored_images_decrypted(holdings, export, archive_open):
    archive = archive_open(export)
    for upload in holdings.uploads:
        assert archive.read(f"uploads/{upload.pk}.{upload.extension}") == upload_image_bytes(upload=upload)


def test_appearance_thumbnails_are_the_stored_thumbnails_decrypted_and_named_in_appearances_json(
    holdings, export, archive_open
):
    archive = archive_open(export)
    path = f"appearances/{holdings.appearance.pk}.jpg"

    listed = {a["id"]: a["thumbnail"] for a in _json(archive, "appearances.json")}

    assert listed == {str(holdings.appearance.pk): path}
    assert archive.read(path) == appearance_thumbnail_bytes(appearance=holdings.appearance)
    assert archive.read(path).startswith(b"\xff\xd8")  # a JPEG, as ingestion re-encodes every thumbnail
    manifest = _json(archive, "manifest.json")["files"]
    assert manifest[path]["sha256"] == hashlib.sha256(archive.read(path)).hexdigest()


def test_an_appearance_without_a_thumbnail_names_no_file(subject, cameo, archive_open):
    grant_all(subject=subject, purposes=[cameo])
    partner = PartnerFactory()
    LinkFactory(partner=partner, subject=subject)
    appearance = appearance_report(
        subject=subject,
        partner=partner,
        kind="audio",
        made_by="subject",
        purpose_slugs=[cameo.slug],
        created_at=timezone.now(),
        content_sha256="cd" * 32,
    )

    archive = archive_open(export_build(request_id=export_request(subject=subject).pk))

    assert [(a["id"], a["thumbnail"]) for a in _json(archive, "appearances.json")] == [(str(appearance.pk), None)]
    assert not [name for name in archive.namelist() if name.startswith("appearances/")]


def test_partners_file_gives_the_pairwise_id_of_every_link(holdings, export, archive_open):
    partners = _json(archive_open(export), "partners.json")
    assert {(p["partner"], p["subject_id"]) for p in partners} == {
        ("Cameo Studio", str(holdings.link.pairwise_id)),
        ("Old Avatar App", str(holdings.old_link.pairwise_id)),
    }


def test_index_page_shows_profile_consents_history_uploads_access_log_and_apps(holdings, export, archive_open):
    archive = archive_open(export)
    page = _Page()
    page.feed(archive.read("index.html").decode())
    text = " ".join(page.text)
    assert holdings.subject.email in text
    assert holdings.subject.display_name in text
    for title in ("Avatar generation", "Cameos in shared videos", "Model research"):
        assert title in text
    for event in ConsentEvent.objects.filter(subject=holdings.subject):
        assert event.hash[:12] in text  # the history, with the chain
    assert holdings.reveal.reason in text  # the access log
    for link in (holdings.link, holdings.old_link):
        assert link.partner.name in text and str(link.pairwise_id) in text
    assert sorted(page.images) == sorted(
        [*(f"uploads/{u.pk}.{u.extension}" for u in holdings.uploads), f"appearances/{holdings.appearance.pk}.jpg"]
    )
    assert set(page.images) <= set(archive.namelist())


def test_archive_holds_nothing_about_another_subject(holdings, other_subject, avatar, archive_open):
    other_upload = FaceUploadFactory(subject=other_subject, purposes=[avatar], image=jpeg_bytes(color=(10, 200, 10)))
    other_link = LinkFactory(partner=holdings.partner, subject=other_subject)
    archive = archive_open(export_build(request_id=export_request(subject=holdings.subject).pk))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (
        other_subject.email,
        str(other_upload.pk),
        str(other_link.pairwise_id),
        str(other_subject.ledger_ref),
    ):
        assert secret.encode() not in everything
    assert upload_image_bytes(upload=other_upload) not in everything


def test_archive_is_stored_encrypted(subject, avatar, vault_storage):
    FaceUploadFactory(subject=subject, purposes=[avatar])
    export = export_build(request_id=export_request(subject=subject).pk)
    with default_storage.open(export.archive_object_name, "rb") as handle:
        raw = handle.read()
    assert raw.startswith(b"FPS1")
    stored = vault_storage()
    assert raw in stored
    assert not [blob for blob in stored if b"PK\x03\x04" in blob or subject.email.encode() in blob]


def test_archive_builder_holds_one_image_at_a_time(subject):
    """stream_zip must finish one image's chunks before it asks for the next image."""
    alive, most_alive = 0, 0

    def one_image(size: int):
        nonlocal alive, most_alive
        alive += 1
        most_alive = max(most_alive, alive)
        try:
            for _ in range(size // 65536):
                yield os.urandom(65536)
        finally:
            alive -= 1

    images = ((f"uploads/{n}.jpg", one_image(300_000)) for n in range(20))
    size = sum(
        len(chunk) for chunk in archive_stream(sections=export_sections_for_subject(subject=subject), images=images)
    )
    assert size > 20 * 262_144  # every image went in
    assert most_alive == 1


def _noise_png(width: int = 8000, height: int = 100) -> bytes:
    """2.4 MB that no codec can shrink; a thin strip, so face detection has little to do."""
    return image_bytes(Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)), "PNG")


def test_export_memory_does_not_grow_with_the_number_of_uploads(avatar, settings, tmp_path):
    """Measured on local files: on S3, boto3's multipart upload holds up to 10 parts of 8 MB whatever builds them."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    image = _noise_png()

    def build(uploads: int) -> tuple[int, int]:
        subject = UserFactory()
        for _ in range(uploads):
            FaceUploadFactory(subject=subject, purposes=[avatar], image=image)
        export = export_request(subject=subject)
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            export = export_build(request_id=export.pk)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        return peak, export.archive_size

    few_peak, few_size = build(2)
    many_peak, many_size = build(6)
    assert many_size - few_size > 9_000_000  # four more images of 2.4 MB went through the builder
    assert many_peak - few_peak < (many_size - few_size) / 4, (few_peak, many_peak)


def test_archive_lists_exactly_the_uploads_whose_images_it_holds(subject, avatar, storage_switch, archive_open):
    kept = FaceUploadFactory(subject=subject, purposes=[avatar])
    leaving = FaceUploadFactory(subject=subject, purposes=[avatar], image=jpeg_bytes(color=(0, 90, 90)))
    storage_switch.down()  # an erasure of one upload meets an outage and is left half done (status erasing)
    with pytest.raises(StorageUnavailable):
        upload_erase(upload_id=leaving.pk)
    storage_switch.up()
    archive = archive_open(export_build(request_id=export_request(subject=subject).pk))
    listed = {u["file"] for u in _json(archive, "uploads.json")}
    assert listed == {n for n in archive.namelist() if n.startswith("uploads/")} == {f"uploads/{kept.pk}.jpg"}
