import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PartnerScope(models.TextChoices):
    """The OAuth2 scopes of the partner API (DESIGN.md), each with what it lets an app do, for staff."""

    CONSENTS_READ = "consents:read", _("Read subjects' consents and purposes")
    UPLOADS_WRITE = "uploads:write", _("Upload and delete face images")
    UPLOADS_READ = "uploads:read", _("Read the partner's own face uploads")
    LINKS_WRITE = "links:write", _("Redeem link codes")
    EVENTS_READ = "events:read", _("Read the partner's event feed")
    APPEARANCES_WRITE = "appearances:write", _("Report appearances and confirm takedowns")
    APPEARANCES_READ = "appearances:read", _("Read the partner's own appearances")


PARTNER_SCOPES = PartnerScope.values

# The same scopes as the person whose data it is reads them, on the Connected apps page.
SCOPE_MEANING_FOR_SUBJECT = {
    PartnerScope.CONSENTS_READ: _("See your consent decisions"),
    PartnerScope.UPLOADS_WRITE: _("Upload face images of you, for purposes you granted"),
    PartnerScope.UPLOADS_READ: _("Read the face images it uploaded"),
    PartnerScope.LINKS_WRITE: _("Connect to your account with a code you give it"),
    PartnerScope.EVENTS_READ: _("Be told when you change a decision"),
    PartnerScope.APPEARANCES_WRITE: _("Tell you about media it made with your likeness, and take it down when asked"),
    PartnerScope.APPEARANCES_READ: _("Read the list of media it made with your likeness"),
}


class Partner(models.Model):
    """An app registered by staff. It calls the API with OAuth2 client credentials of its application."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    application = models.OneToOneField(
        "oauth2_provider.Application",
        on_delete=models.PROTECT,
        related_name="partner",
        verbose_name=_("OAuth2 application"),
    )
    allowed_scopes = models.CharField(
        _("allowed scopes"),
        max_length=200,
        default=" ".join(PARTNER_SCOPES),
        help_text=_("Space-separated: the scopes this partner may request."),
    )
    webhook_url = models.URLField(_("webhook URL"), blank=True, max_length=500)
    webhook_secret = models.CharField(_("webhook secret"), max_length=100, editable=False)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("A disabled partner's tokens stop working at once.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.allowed_scopes.split() if s in PARTNER_SCOPES]

    @property
    def ledger_actor_label(self) -> str:
        return f"partner:{self.pk}"


class Link(models.Model):
    """A subject's connection to one partner, with the partner's own random (pairwise) subject id."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="links", verbose_name=_("partner"))
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="links", verbose_name=_("subject")
    )
    pairwise_id = models.UUIDField(_("pairwise subject id"), default=uuid.uuid4, unique=True, editable=False)
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)
    unlinked_at = models.DateTimeField(_("unlinked"), null=True, blank=True)
    last_consent_read_at = models.DateTimeField(_("last read consents"), null=True, blank=True)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        ordering = ["-linked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "subject"], condition=Q(unlinked_at__isnull=True), name="link_one_active_per_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner} ↔ {self.pairwise_id}"


class LinkCode(models.Model):
    """A short, single-use code that a subject makes in the portal and a partner redeems (10 minutes)."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="link_codes", verbose_name=_("subject")
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    used_by = models.ForeignKey(
        Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("used by")
    )
    # The code itself, encrypted (partners.link_codes), so the Connected apps page can show the same code again
    # while it is live; emptied when it is used or replaced. Never stored in the clear.
    code_sealed = models.BinaryField(_("code, encrypted"), blank=True, default=b"", editable=False)

    class Meta:
        verbose_name = _("link code")
        verbose_name_plural = _("link codes")

    def __str__(self) -> str:
        return f"link code #{self.pk}"


def _new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEvent(models.Model):
    """One event for one partner: the outbox row for its webhook and an entry of its event feed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("retrying")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        FEED_ONLY = "feed_only", _("in the event feed (no webhook URL)")

    TYPES = [
        "consent.granted",
        "consent.withdrawn",
        "upload.erased",
        "subject.erased",
        "subject.unlinked",
        "restrictions.changed",
        "appearance.takedown_requested",
        "sighting.removal_requested",
    ]

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="events", verbose_name=_("partner"))
    link = models.ForeignKey(
        Link, on_delete=models.SET_NULL, null=True, blank=True, related_name="events", verbose_name=_("link")
    )
    webhook_id = models.CharField(_("webhook id"), max_length=40, unique=True, default=_new_webhook_id, editable=False)
    event_type = models.CharField(_("type"), max_length=32, choices=[(t, t) for t in TYPES])
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    retry_from = models.DateTimeField(_("retrying since"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["partner", "id"], name="webhook_event_feed_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_event_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One try to deliver a webhook: every attempt is a row, shown in admin."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("event"))
    attempted_at = models.DateTimeField(_("time"), default=timezone.now)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    success = models.BooleanField(_("delivered"), default=False)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["-attempted_at"]

    def __str__(self) -> str:
        return f"attempt {self.attempted_at:%Y-%m-%d %H:%M:%S} → {self.status_code or self.error[:40]}"
