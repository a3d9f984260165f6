"""Export and erasure requests (rules 6 and 7): the row is the job, the Celery task is its doorbell."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STATUTORY_DEADLINE = timedelta(days=30)


def _deadline():
    return timezone.now() + STATUTORY_DEADLINE


class DataRequest(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("export")
        ERASURE = "erasure", _("erasure")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        READY = "ready", _("ready")  # export built
        DONE = "done", _("done")  # erasure finished
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")  # export past its 7 days, archive deleted

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.READY, Status.DONE, Status.EXPIRED)  # nothing left to do before the deadline

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # NULL once the subject is erased: the erasure row stays as a receipt with no personal data.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="data_requests",
        verbose_name=_("subject"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    deadline = models.DateTimeField(_("statutory deadline"), default=_deadline)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    progress_done = models.PositiveIntegerField(_("items done"), default=0)
    progress_total = models.PositiveIntegerField(_("items in all"), default=0)
    # Export only
    archive_object_name = models.CharField(max_length=100, blank=True, editable=False)
    archive_size = models.PositiveBigIntegerField(_("archive size (bytes)"), null=True, blank=True)
    expires_at = models.DateTimeField(_("download expires"), null=True, blank=True)
    # Erasure only: where to send the receipt, cleared once it is sent; and the counts of what went.
    notify_email = models.EmailField(blank=True, editable=False)
    receipt = models.JSONField(_("receipt"), default=dict, blank=True)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "kind"],
                condition=Q(status__in=["queued", "running"]),
                name="data_request_one_active_per_kind",
            )
        ]
        indexes = [models.Index(fields=["status", "kind"], name="data_request_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def is_overdue(self) -> bool:
        return self.status not in self.FINISHED and timezone.now() > self.deadline
