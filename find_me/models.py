"""Find me: the face templates of people who opted in, the sightings of them in other people's uploads, and which
uploads have been compared (DESIGN "Find me")."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FaceTemplate(models.Model):
    """One embedding of a subject's face, from one of their own uploads that holds exactly one face.

    The vector is stored only encrypted under the subject's data key (AES-256-GCM, the template's name as associated
    data). It goes with its source upload (cascade), and every template of a subject goes when `find-me` does."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="face_templates", verbose_name=_("subject")
    )
    source_upload = models.OneToOneField(
        "media_vault.FaceUpload", on_delete=models.CASCADE, related_name="+", verbose_name=_("made from upload")
    )
    vector_encrypted = models.BinaryField(_("encrypted embedding"), editable=False)
    created_at = models.DateTimeField(_("made"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("face template")
        verbose_name_plural = _("face templates")
        ordering = ["created_at", "id"]
        default_permissions = ()  # nobody, not even staff, may see or change one in admin

    def __str__(self) -> str:
        return f"face template {self.pk}"

    @property
    def object_name(self) -> str:
        """The associated data its encryption is bound to: a vector moved to another row does not decrypt."""
        return f"face-template:{self.pk}"


class Sighting(models.Model):
    """A face in someone else's upload that matched a subject's templates: shown to that subject only."""

    class Status(models.TextChoices):
        FOUND = "found", _("new")
        NOT_ME = "not_me", _("not me")
        REMOVAL_REQUESTED = "removal_requested", _("removal requested")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sightings", verbose_name=_("subject")
    )
    # The other person's upload; null once it is erased (then the sighting shows as removed).
    upload = models.ForeignKey(
        "media_vault.FaceUpload",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("upload"),
    )
    upload_ref = models.UUIDField(_("upload id"))
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("app"),
        help_text=_("the app that holds the upload; empty for a photo uploaded in the portal"),
    )
    face_box = models.JSONField(_("face box"), help_text=_("[x, y, width, height] of the matched face"))
    distance = models.FloatField(
        _("distance"), help_text=_("between the face and the closest template; lower is closer")
    )
    found_at = models.DateTimeField(_("found"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.FOUND)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    removal_due_at = models.DateTimeField(_("removal due"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")
        ordering = ["-found_at", "-id"]
        permissions = [("remove_portal_photo", "Can remove a portal photo that a person asked to be removed from")]
        constraints = [
            # At most one sighting per upload and subject; a dismissed one stays, so that upload is not matched again.
            models.UniqueConstraint(fields=["subject", "upload_ref"], name="sighting_once_per_upload_and_subject"),
            models.CheckConstraint(
                condition=~models.Q(status="removal_requested") | models.Q(removal_due_at__isnull=False),
                name="sighting_removal_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"sighting {self.pk} ({self.status})"


class UploadScan(models.Model):
    """An upload whose faces were compared with the enrolled templates (once; the faces themselves are not kept)."""

    upload = models.OneToOneField(
        "media_vault.FaceUpload",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("upload"),
    )
    claimed_at = models.DateTimeField(_("taken by a batch"), default=timezone.now)
    scanned_at = models.DateTimeField(_("compared"), null=True, blank=True)
    faces_compared = models.PositiveIntegerField(_("faces compared"), default=0)

    class Meta:
        verbose_name = _("compared upload")
        verbose_name_plural = _("compared uploads")
        default_permissions = ()

    def __str__(self) -> str:
        return f"scan of {self.upload_id}"
