from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Per-app exceptions: what an answer applies to, as partners read it (DESIGN.md "Finer consent").
SCOPE_ALL_APPS = "all_apps"
SCOPE_THIS_APP = "this_app"


class Channel(models.TextChoices):
    WEB = "web", _("web")
    API = "api", _("API")
    ADMIN = "admin", _("admin")
    GPC = "gpc", _("Global Privacy Control")
    EXPIRY = "expiry", _("expiry")


class ConsentStateName(models.TextChoices):
    """The states DESIGN.md fixes for the API; only `granted` counts as yes."""

    GRANTED = "granted", _("Granted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    NOT_ASKED = "not_asked", _("Not asked")
    RECONSENT_REQUIRED = "reconsent_required", _("Needs your decision again")


class Purpose(models.Model):
    """A named, versioned reason to process face data. Its text fields mirror its current version."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("plain-language description"))
    retention_days = models.PositiveIntegerField(_("retention days"), validators=[MinValueValidator(1)])
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("current version"), default=1)
    # Grants of a version below this one no longer count (rule 3).
    min_valid_version = models.PositiveIntegerField(_("oldest version whose grants still count"), default=1)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("order on the consent page"))
    sale_or_sharing = models.BooleanField(
        _("sale or sharing"),
        default=False,
        help_text=_("A browser sending Global Privacy Control at sign-up gets this purpose recorded as withdrawn."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("purpose")
        verbose_name_plural = _("purposes")
        ordering = ["position", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_valid_version__lte=F("version")), name="purpose_min_valid_version_lte_version"
            ),
            models.CheckConstraint(condition=Q(retention_days__gte=1), name="purpose_retention_days_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class PurposeVersion(models.Model):
    """One published text of a purpose. Never edited after publication."""

    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="versions", verbose_name=_("purpose"))
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("plain-language description"))
    retention_days = models.PositiveIntegerField(_("retention days"))
    requires_reconsent = models.BooleanField(
        _("requires re-consent"),
        default=False,
        help_text=_("Earlier grants stop counting until the subject decides again."),
    )
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("purpose version")
        verbose_name_plural = _("purpose versions")
        ordering = ["purpose", "-version"]
        constraints = [models.UniqueConstraint(fields=["purpose", "version"], name="purpose_version_unique")]

    def __str__(self) -> str:
        return f"{self.purpose.slug} v{self.version}"


class ConsentEvent(models.Model):
    """Rule 8: one append-only, hash-chained ledger entry. Only `ledger_append` creates rows.

    `subject_ref` is the subject's random ledger reference; the hash covers it and not the account,
    so erasing the account (subject set to NULL) leaves a tombstone that still verifies.

    Each subject's events form their own chain (`chain_seq` 1, 2, ...; `prev_hash` is the hash of the subject's
    event before, or the genesis hash), so decisions of different subjects never wait on each other. Events made
    before chains existed (`hash_version` 1) keep their hashes: they were chained across all subjects in `seq`
    order, and they still verify that way, up to the frozen LedgerHead. `seq` numbers every event once, in the
    order each subject's chain grew; it may skip numbers.
    """

    HASH_VERSION_GLOBAL_CHAIN = 1
    HASH_VERSION_SUBJECT_CHAIN = 2

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    hash_version = models.PositiveSmallIntegerField(
        _("hash version"), default=HASH_VERSION_SUBJECT_CHAIN, editable=False
    )
    chain_seq = models.PositiveBigIntegerField(_("position in the subject's chain"), editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_events",
        verbose_name=_("subject"),
    )
    subject_ref = models.UUIDField(_("subject reference"), db_index=True, editable=False)
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="events", verbose_name=_("purpose"))
    purpose_slug = models.SlugField(_("purpose slug"), max_length=64, editable=False)
    purpose_version = models.PositiveIntegerField(_("purpose version"), editable=False)
    granted = models.BooleanField(_("granted"), editable=False)
    # Per-app exceptions: null is a decision for all apps; otherwise the connected app's link (a partners.Link id,
    # held as a plain number because consents sits below partners) the decision is for.
    link_ref = models.PositiveBigIntegerField(_("for one app (link)"), null=True, blank=True, editable=False)
    # True when the person removed that app's exception: the app follows the decision for all apps again, and
    # `granted` records that decision as it stood.
    exception_removed = models.BooleanField(_("exception removed"), default=False, editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, editable=False)
    actor = models.CharField(
        _("actor"), max_length=80, editable=False, help_text=_("subject, staff:<id>, partner:<id> or system")
    )
    created_at = models.DateTimeField(_("time"), editable=False)
    # Expiring grants: the end a grant was given with (hash version 2 covers it); null is open-ended.
    expires_at = models.DateTimeField(_("grant expires"), null=True, blank=True, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, editable=False)
    hash = models.CharField(_("hash"), max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent ledger")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["subject", "purpose", "-seq"], name="consent_event_subject_idx")]
        constraints = [
            # Also the index the verifier walks: each subject's chain in order.
            models.UniqueConstraint(fields=["subject_ref", "chain_seq"], name="consent_event_chain_position_unique")
        ]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrew"
        if self.exception_removed:
            verb = "follows all apps"
        where = f" for link {self.link_ref}" if self.link_ref is not None else ""
        return f"#{self.seq} {verb} {self.purpose_slug} v{self.purpose_version}{where}"

    @property
    def scope(self) -> str:
        """`all_apps`, or `link:<id>` for a decision about one connected app."""
        return SCOPE_ALL_APPS if self.link_ref is None else f"link:{self.link_ref}"

    @property
    def actor_display(self) -> str:
        """Who decided, in words a subject understands."""
        kind = self.actor.split(":", 1)[0]
        return {"subject": _("by you"), "staff": _("by staff"), "partner": _("by an app")}.get(kind, _("by the system"))


class LedgerChain(models.Model):
    """The head of one subject's chain: the row a decision of that subject locks, and nothing else does.

    Keyed by the ledger reference, not the account, so it outlives an erasure as the events' tombstones do.
    """

    subject_ref = models.UUIDField(_("subject reference"), primary_key=True, editable=False)
    length = models.PositiveBigIntegerField(_("events"), default=0)
    head_hash = models.CharField(_("head hash"), max_length=64)
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger chain")
        verbose_name_plural = _("ledger chains")
        default_permissions = ()  # plumbing: staff read the ledger itself

    def __str__(self) -> str:
        return f"chain {self.subject_ref} ({self.length} events)"


class LedgerHead(models.Model):
    """The end of the ledger as it stood before subject chains: its last sequence number and hash, frozen.

    Events of hash version 1 chain across all subjects up to this head; nothing writes it any more.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("ledger head")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_head_singleton")]

    def __str__(self) -> str:
        return f"ledger head #{self.last_seq}"


class ConsentState(models.Model):
    """The current decision per subject and purpose, equal to its last event, so a check is one lookup."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_states", verbose_name=_("subject")
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="states", verbose_name=_("purpose"))
    granted = models.BooleanField(_("granted"))
    purpose_version = models.PositiveIntegerField(_("purpose version"))
    changed_at = models.DateTimeField(_("changed"))
    last_event = models.ForeignKey(
        ConsentEvent, on_delete=models.PROTECT, related_name="+", verbose_name=_("last event")
    )
    # Expiring grants: when this passes, `consents_expire` records a withdrawal (channel `expiry`). Null is
    # open-ended; a withdrawal or a new grant without it clears it. Not part of the ledger's hash.
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("consent state")
        verbose_name_plural = _("consent states")
        constraints = [models.UniqueConstraint(fields=["subject", "purpose"], name="consent_state_unique")]

    def __str__(self) -> str:
        return f"{self.purpose.slug}: {'granted' if self.granted else 'withdrawn'} (v{self.purpose_version})"


class ConsentException(models.Model):
    """Per-app exceptions: one connected app's own answer for one purpose, overriding the decision for all apps
    ("allowed for all apps except Studio B"; "no cameos, except in Studio A"). Equal to its last ledger event.

    `link_ref` is the partners.Link id, a plain number (consents sits below partners); partners removes the rows
    of a link when it ends.
    """

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_exceptions", verbose_name=_("subject")
    )
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("purpose"))
    link_ref = models.PositiveBigIntegerField(_("app (link)"))
    granted = models.BooleanField(_("granted"))
    purpose_version = models.PositiveIntegerField(_("purpose version"))
    changed_at = models.DateTimeField(_("changed"))
    last_event = models.ForeignKey(
        ConsentEvent, on_delete=models.PROTECT, related_name="+", verbose_name=_("last event")
    )

    class Meta:
        verbose_name = _("per-app exception")
        verbose_name_plural = _("per-app exceptions")
        constraints = [
            # Also the index of every check: (subject, purpose) then the app.
            models.UniqueConstraint(fields=["subject", "purpose", "link_ref"], name="consent_exception_unique")
        ]
        indexes = [models.Index(fields=["link_ref"], name="consent_exception_link_idx")]

    def __str__(self) -> str:
        return f"{self.purpose.slug} for link {self.link_ref}: {'granted' if self.granted else 'withdrawn'}"


class LikenessRestriction(models.Model):
    """One rule a subject can set for every use of their likeness, from a fixed list that staff manage.

    Subjects choose from this list only, by slug: no free text, so nothing a subject writes reaches a partner.
    """

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("plain-language description"))
    version = models.PositiveIntegerField(_("version"), default=1)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("order on the consent page"))

    class Meta:
        verbose_name = _("likeness restriction")
        verbose_name_plural = _("likeness restrictions")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class SubjectRestriction(models.Model):
    """One restriction a subject has chosen. Only `restrictions_set` writes these rows."""

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="likeness_restrictions",
        verbose_name=_("subject"),
    )
    restriction = models.ForeignKey(
        LikenessRestriction, on_delete=models.PROTECT, related_name="choices", verbose_name=_("restriction")
    )
    chosen_at = models.DateTimeField(_("chosen"), default=timezone.now)

    class Meta:
        verbose_name = _("chosen restriction")
        verbose_name_plural = _("chosen restrictions")
        constraints = [models.UniqueConstraint(fields=["subject", "restriction"], name="subject_restriction_unique")]

    def __str__(self) -> str:
        return self.restriction.slug
