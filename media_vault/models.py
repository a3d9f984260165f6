"""Face uploads, the subjects' data keys, and the access log (rules 4, 5, 9)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubjectKey(models.Model):
    """A subject's data key, wrapped by a master key. Deleting this row makes every copy unreadable."""

    subject = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_key", verbose_name=_("subject")
    )
    wrapped_key = models.BinaryField(_("wrapped data key"))
    master_key_id = models.CharField(_("master key id"), max_length=32)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Uploads are numbered per subject ("Photo 3"): the highest number given so far, so a number is never
    # given twice, not even after the photo that had it is deleted. Goes with the key on erasure.
    uploads_numbered = models.PositiveIntegerField(_("uploads numbered"), default=0, editable=False)

    class Meta:
        verbose_name = _("subject data key")
        verbose_name_plural = _("subject data keys")

    def __str__(self) -> str:
        return f"data key #{self.pk} (master {self.master_key_id})"


class FaceUpload(models.Model):
    """One image of a subject's face, stored encrypted, collected for one or more purposes."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("you, in the portal")
        PARTNER = "partner", _("an app")

    class Status(models.TextChoices):
        STORED = "stored", _("stored")
        ERASING = "erasing", _("being erased")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="face_uploads", verbose_name=_("subject")
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("partner"),
    )
    purposes = models.ManyToManyField("consents.Purpose", related_name="uploads", verbose_name=_("purposes"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.STORED)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    format = models.CharField(_("format"), max_length=8)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the stored image"), max_length=64)
    faces_detected = models.PositiveIntegerField(_("faces found"), default=0)
    face_boxes = models.JSONField(_("face boxes"), default=list, help_text=_("[x, y, width, height] per face"))
    object_name = models.CharField(_("object name"), max_length=100, unique=True, editable=False)
    thumbnail_object_name = models.CharField(_("thumbnail object name"), max_length=100, unique=True, editable=False)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)
    retention_until = models.DateTimeField(_("kept until"), db_index=True)
    number = models.PositiveIntegerField(
        _("number"), default=0, editable=False, help_text=_("1, 2, 3… per subject, in upload order; never reused")
    )
    no_face_kept_at = models.DateTimeField(
        _("kept without a face"),
        null=True,
        blank=True,
        help_text=_("When the subject chose to keep this upload although no face was found in it."),
    )

    class Meta:
        verbose_name = _("face upload")
        verbose_name_plural = _("face uploads")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "-created_at"], name="face_upload_subject_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source="portal", partner__isnull=True)
                | models.Q(source="partner", partner__isnull=False),
                name="face_upload_partner_matches_source",
            )
        ]
        permissions = [("reveal_faceupload", "Can reveal the original of a face upload, with a reason")]

    def __str__(self) -> str:
        return f"face upload {self.pk}"

    @property
    def content_type(self) -> str:
        return {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[self.format]

    @property
    def extension(self) -> str:
        return {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[self.format]

    @property
    def awaits_no_face_answer(self) -> bool:
        """No face was found in it and the subject has not said to keep it (media_vault.selectors has the query)."""
        return self.faces_detected == 0 and self.no_face_kept_at is None


class AccessEvent(models.Model):
    """Rule 5: somebody read a face image (or an export), or a face image was deleted. Shown to the subject on the
    Activity page. A deletion is recorded once, when it is decided: by the subject, an app, or the portal itself."""

    class ActorKind(models.TextChoices):
        SUBJECT = "subject", _("you")
        PARTNER = "partner", _("an app")
        STAFF = "staff", _("privacy staff")
        SYSTEM = "system", _("the portal")

    class Action(models.TextChoices):
        VIEW = "view", _("viewed the image")
        CONTENT = "content", _("downloaded the image")
        REVEAL = "reveal", _("revealed the original")
        EXPORT = "export", _("downloaded your export")
        ERASE = "erase", _("deleted the image")
        EXPIRE = "expire", _("deleted the image: its keeping period ended")
        ORPHAN = "orphan", _("deleted the image: no purpose you grant covers it any more")

    DELETIONS = (Action.ERASE, Action.EXPIRE, Action.ORPHAN)

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_events", verbose_name=_("subject")
    )
    upload = models.ForeignKey(
        FaceUpload,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_events",
        verbose_name=_("upload"),
    )
    upload_ref = models.UUIDField(_("upload id"), null=True, blank=True)
    # When the upload was made, kept after it is erased, so the subject can still tell which photo it was.
    upload_created_at = models.DateTimeField(_("upload made"), null=True, blank=True)
    actor_kind = models.CharField(_("who"), max_length=10, choices=ActorKind.choices)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner"),
        help_text=_("the app that read it; for a deletion, the app that held the image"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    action = models.CharField(_("what"), max_length=10, choices=Action.choices)
    reason = models.CharField(_("why"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "-created_at"], name="access_event_subject_idx")]

    def __str__(self) -> str:
        # Stored values, not the choice labels: those speak to the subject ("you"), and this reads in admin.
        return f"access #{self.pk} ({self.actor_kind} {self.action}, {self.created_at:%Y-%m-%d %H:%M})"


class RevealGrant(models.Model):
    """A staff member's short-lived permission to see one original, given for a written reason."""

    upload = models.ForeignKey(FaceUpload, on_delete=models.CASCADE, related_name="reveals", verbose_name=_("upload"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("staff member")
    )
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("reveal")
        verbose_name_plural = _("reveals")

    def __str__(self) -> str:
        return f"reveal #{self.pk}"
