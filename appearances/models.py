"""Appearances: media a partner made with a subject's likeness, and the subject's takedown requests."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Appearance(models.Model):
    """One video, image or voice clip that an app made with a subject's likeness, as the app reported it."""

    class Kind(models.TextChoices):
        VIDEO = "video", _("video")
        IMAGE = "image", _("image")
        AUDIO = "audio", _("audio")

    class MadeBy(models.TextChoices):
        SUBJECT = "subject", _("you")
        OTHER_PERSON = "other_person", _("someone else (cameo)")

    class Status(models.TextChoices):
        LIVE = "live", _("live")
        TAKEDOWN_REQUESTED = "takedown_requested", _("takedown requested")
        TAKEN_DOWN = "taken_down", _("taken down")

    class TakedownReason(models.TextChoices):
        NOT_WANTED = "not_wanted", _("I no longer want it online")
        NOT_ME = "not_me", _("It is not how I want to be shown")
        MISLEADING = "misleading", _("It is misleading or puts words in my mouth")
        OFFENSIVE = "offensive", _("It is offensive or harmful")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("I withdrew consent for its purpose")
        OTHER = "other", _("Another reason")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="appearances", verbose_name=_("subject")
    )
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="appearances", verbose_name=_("app")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    made_by = models.CharField(_("made by"), max_length=16, choices=MadeBy.choices)
    title = models.CharField(_("title"), max_length=200, blank=True)
    purposes = models.ManyToManyField("consents.Purpose", related_name="appearances", verbose_name=_("purposes"))
    created_at = models.DateTimeField(_("made"), help_text=_("when the app made it, as the app reported"))
    reported_at = models.DateTimeField(_("reported"), default=timezone.now, db_index=True)
    content_sha256 = models.CharField(_("SHA-256 of the content"), max_length=64)
    c2pa_manifest_id = models.CharField(_("C2PA manifest id"), max_length=200, blank=True)
    source_upload_ids = models.JSONField(_("source uploads"), default=list, blank=True)
    thumbnail_object_name = models.CharField(
        _("thumbnail object name"), max_length=100, unique=True, null=True, blank=True, editable=False
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.LIVE)
    takedown_requested_at = models.DateTimeField(_("takedown requested"), null=True, blank=True)
    takedown_due_at = models.DateTimeField(_("takedown due"), null=True, blank=True, db_index=True)
    taken_down_at = models.DateTimeField(_("taken down"), null=True, blank=True)
    takedown_reason = models.CharField(_("takedown reason"), max_length=20, choices=TakedownReason.choices, blank=True)

    class Meta:
        verbose_name = _("appearance")
        verbose_name_plural = _("appearances")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "-created_at"], name="appearance_subject_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="live")
                | models.Q(takedown_requested_at__isnull=False, takedown_due_at__isnull=False)
                | models.Q(status="taken_down"),
                name="appearance_takedown_has_deadline",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="taken_down") | models.Q(taken_down_at__isnull=False),
                name="appearance_taken_down_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"appearance {self.pk} ({self.kind}, {self.status})"
