"""Writes for partners and links: registration, link codes, redemption, unlinking. DESIGN.md's partner side."""

import base64
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts.models import StaffAction, User
from accounts.services import staff_action_log
from consents.services import consent_exceptions_drop_for_link
from partners.exceptions import LinkCodeInvalid
from partners.link_codes import link_code_hash, link_code_seal
from partners.models import Link, LinkCode, Partner, WebhookEvent
from partners.outbox import webhook_enqueue
from partners.url_safety import webhook_url_resolve

logger = logging.getLogger(__name__)

LINK_CODE_LIFETIME = timedelta(minutes=10)
# Crockford's base32 without look-alikes: easy to read aloud and to type.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"


def webhook_secret_generate() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class PartnerCredentials:
    partner: Partner
    client_id: str
    client_secret: str
    webhook_secret: str


@transaction.atomic
def partner_create(
    *,
    name: str,
    webhook_url: str = "",
    contact_email: str = "",
    scopes: list[str] | None = None,
    actor: User | None = None,
) -> PartnerCredentials:
    """Register a partner with a client-credentials application; secrets are returned once. Audited for staff."""
    if webhook_url:
        webhook_url_resolve(url=webhook_url)
    client_secret = secrets.token_urlsafe(40)
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=client_secret,  # hashed by django-oauth-toolkit on save
        hash_client_secret=True,
    )
    webhook_secret = webhook_secret_generate()
    partner = Partner.objects.create(
        name=name,
        application=application,
        webhook_url=webhook_url,
        contact_email=contact_email,
        webhook_secret=webhook_secret,
        **({"allowed_scopes": " ".join(scopes)} if scopes is not None else {}),
    )
    if actor is not None:
        _partner_action_log(partner=partner, actor=actor, reason="created")
    return PartnerCredentials(partner, application.client_id, client_secret, webhook_secret)


def _partner_action_log(*, partner: Partner, actor: User, reason: str) -> None:
    staff_action_log(
        actor=actor, kind=StaffAction.Kind.CHANGE, target=f"{Partner._meta.label}:{partner.pk}", reason=reason
    )


@transaction.atomic
def partner_webhook_secret_rotate(*, partner: Partner, actor: User) -> str:
    """Replace the webhook secret; the new one is returned once and signs every later attempt. Audited (rule 8)."""
    partner.webhook_secret = webhook_secret_generate()
    partner.save(update_fields=["webhook_secret"])
    _partner_action_log(partner=partner, actor=actor, reason="rotated the webhook secret")
    return partner.webhook_secret


@transaction.atomic
def partner_set_active(*, partner: Partner, active: bool, actor: User) -> Partner:
    """Enable or disable a partner; disabling revokes every token at once. Audited (rule 8)."""
    partner.active = active
    partner.save(update_fields=["active"])
    if not active:
        RefreshToken.objects.filter(application=partner.application).delete()
        AccessToken.objects.filter(application=partner.application).delete()
    _partner_action_log(partner=partner, actor=actor, reason="enabled" if active else "disabled")
    return partner


def partner_update(
    *,
    partner: Partner,
    actor: User,
    name: str,
    contact_email: str,
    webhook_url: str,
    scopes: list[str],
    active: bool,
) -> Partner:
    """Staff edit a partner: activation changes go through `partner_set_active`; every change is audited (rule 8)."""
    if webhook_url and not Partner.objects.filter(pk=partner.pk, webhook_url=webhook_url).exists():
        webhook_url_resolve(url=webhook_url)  # a DNS lookup: before the transaction, not inside it
    with transaction.atomic():
        stored = Partner.objects.select_for_update().get(pk=partner.pk)
        fields = {"name": name, "contact_email": contact_email, "webhook_url": webhook_url}
        changed = [field for field, value in fields.items() if getattr(stored, field) != value]
        if set(stored.allowed_scopes.split()) != set(scopes):
            fields["allowed_scopes"] = " ".join(scopes)
            changed.append("allowed_scopes")
        if changed:
            for field in changed:
                setattr(stored, field, fields[field])
            stored.save(update_fields=changed)
            _partner_action_log(partner=stored, actor=actor, reason="changed " + ", ".join(changed))
        if stored.active != active:
            partner_set_active(partner=stored, active=active, actor=actor)
    return stored


@transaction.atomic
def link_code_create(*, subject: User, now: datetime | None = None) -> tuple[LinkCode, str]:
    """Make a single-use code for the subject to give to an app: its hash, and the code sealed for the page.

    One live code per subject: a new code ends the subject's earlier unused ones at once, so no code the
    person can no longer see keeps working.
    """
    now = now or timezone.now()
    LinkCode.objects.filter(subject=subject, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now, code_sealed=b""
    )
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    code = f"{raw[:4]}-{raw[4:]}"
    code_hash = link_code_hash(code)
    link_code = LinkCode.objects.create(
        subject=subject,
        code_hash=code_hash,
        code_sealed=link_code_seal(code=code, code_hash=code_hash),
        created_at=now,
        expires_at=now + LINK_CODE_LIFETIME,
    )
    return link_code, code


@transaction.atomic
def link_redeem(*, partner: Partner, code: str, now: datetime | None = None) -> Link:
    """Redeem a subject's link code: single use, within 10 minutes. Gives the partner its pairwise id."""
    now = now or timezone.now()
    code_hash = link_code_hash(code)
    claimed = LinkCode.objects.filter(code_hash=code_hash, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now, used_by=partner, code_sealed=b""
    )
    if claimed != 1:  # unknown, expired or used: one answer for all three
        raise LinkCodeInvalid()
    subject = LinkCode.objects.select_related("subject").get(code_hash=code_hash).subject
    if not subject.is_active:
        raise LinkCodeInvalid()
    link = Link.objects.select_for_update().filter(partner=partner, subject=subject, unlinked_at__isnull=True).first()
    if link is None:
        link = Link.objects.create(partner=partner, subject=subject, linked_at=now)
        logger.info("link created partner=%s link=%s", partner.pk, link.pk)
    return link


@transaction.atomic
def link_unlink(*, link: Link, now: datetime | None = None) -> Link:
    """Disconnect an app: it is told (`subject.unlinked`), then its pairwise id answers 404."""
    now = now or timezone.now()
    link = Link.objects.select_for_update().get(pk=link.pk)
    if link.unlinked_at is not None:
        return link
    webhook_enqueue(link=link, event_type="subject.unlinked", data={})
    consent_exceptions_drop_for_link(link_ref=link.pk)
    link.unlinked_at = now
    link.save(update_fields=["unlinked_at"])
    return link


@transaction.atomic
def links_erase_for_subject(*, subject: User) -> dict[str, int]:
    """Rule 7: tell every partner (`subject.erased`, written before the links go), then erase links and payloads.

    Idempotent: a partner already told is not told twice. `subject.erased` stays until delivered: it carries
    only the partner's random pairwise id, which points to nobody once the link is gone.
    """
    links = list(Link.objects.filter(subject=subject).select_related("partner"))
    for link in links:
        already = WebhookEvent.objects.filter(link=link, event_type="subject.erased").exists()
        if not already and link.unlinked_at is None:
            webhook_enqueue(link=link, event_type="subject.erased", data={})
    payloads = WebhookEvent.objects.filter(link__in=links).exclude(event_type="subject.erased").delete()[0]
    link_codes = LinkCode.objects.filter(subject=subject).delete()[0]
    removed = Link.objects.filter(pk__in=[link.pk for link in links]).delete()[1].get("partners.Link", 0)
    return {"links": removed, "webhook_payloads": payloads, "link_codes": link_codes}


# Reads of consents are remembered per link for the Connected apps page. Writing a row on every read
# would cost more than the read itself, so each process keeps the latest read per link in memory and
# writes them in a few UPDATEs at most every PARTNER_READ_FLUSH_SECONDS (0: at once). A crash loses at
# most those seconds of "last read" times, which is harmless.
_pending_reads: dict[int, datetime] = {}
_pending_lock = threading.Lock()
_last_flush = [float("-inf")]


def link_consent_reads_record(*, link_ids: list[int], now: datetime | None = None) -> None:
    """Remember when a partner last read each subject's consents (written in batches)."""
    if not link_ids:
        return
    now = now or timezone.now()
    with _pending_lock:
        for link_id in link_ids:
            _pending_reads[link_id] = now
        if time.monotonic() - _last_flush[0] < settings.PARTNER_READ_FLUSH_SECONDS:
            return
    link_consent_reads_flush()


def link_consent_reads_flush() -> int:
    """Write the pending last-read times: one UPDATE per distinct second. Returns the links written."""
    with _pending_lock:
        batch = dict(_pending_reads)
        _pending_reads.clear()
        _last_flush[0] = time.monotonic()
    by_second: dict[datetime, list[int]] = {}
    for link_id, read_at in batch.items():
        by_second.setdefault(read_at.replace(microsecond=0), []).append(link_id)
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":  # no need to wait for the disk for these timestamps
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit TO OFF")
            for ids in by_second.values():
                read_at = max(batch[link_id] for link_id in ids)  # the latest read of that second, for all
                # Rows another process is writing right now are skipped, never waited for: no deadlock.
                free = list(
                    Link.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=ids)
                    .filter(Q(last_consent_read_at__isnull=True) | Q(last_consent_read_at__lt=read_at))
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                Link.objects.filter(pk__in=free).update(last_consent_read_at=read_at)
    except DatabaseError:  # best effort: a read must never fail because its timestamp could not be kept
        logger.warning("could not record %s consent reads", len(batch), exc_info=True)
        return 0
    return len(batch)
