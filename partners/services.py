"""Writes for partners and links: registration, link codes, redemption, unlinking. DESIGN.md's partner side."""

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts.models import User
from partners.exceptions import LinkCodeInvalid
from partners.models import Link, LinkCode, Partner
from partners.url_safety import webhook_url_resolve
from partners.webhooks import webhook_enqueue

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
    *, name: str, webhook_url: str = "", contact_email: str = "", scopes: list[str] | None = None
) -> PartnerCredentials:
    """Register a partner with a confidential client-credentials application. Secrets are returned once."""
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
    return PartnerCredentials(partner, application.client_id, client_secret, webhook_secret)


@transaction.atomic
def partner_webhook_secret_rotate(*, partner: Partner) -> str:
    """Replace the webhook secret; the new one is returned once and signs every later attempt."""
    partner.webhook_secret = webhook_secret_generate()
    partner.save(update_fields=["webhook_secret"])
    return partner.webhook_secret


@transaction.atomic
def partner_set_active(*, partner: Partner, active: bool) -> Partner:
    """Enable or disable a partner; disabling revokes every token at once."""
    partner.active = active
    partner.save(update_fields=["active"])
    if not active:
        RefreshToken.objects.filter(application=partner.application).delete()
        AccessToken.objects.filter(application=partner.application).delete()
    return partner


def _code_hash(code: str) -> str:
    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()


@transaction.atomic
def link_code_create(*, subject: User, now: datetime | None = None) -> tuple[LinkCode, str]:
    """Make a single-use code for the subject to give to an app; only its hash is stored."""
    now = now or timezone.now()
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    code = f"{raw[:4]}-{raw[4:]}"
    link_code = LinkCode.objects.create(
        subject=subject, code_hash=_code_hash(code), created_at=now, expires_at=now + LINK_CODE_LIFETIME
    )
    return link_code, code


@transaction.atomic
def link_redeem(*, partner: Partner, code: str, now: datetime | None = None) -> Link:
    """Redeem a subject's link code: single use, within 10 minutes. Gives the partner its pairwise id."""
    now = now or timezone.now()
    claimed = LinkCode.objects.filter(code_hash=_code_hash(code), used_at__isnull=True, expires_at__gt=now).update(
        used_at=now, used_by=partner
    )
    if claimed != 1:  # unknown, expired or used: one answer for all three
        raise LinkCodeInvalid()
    subject = LinkCode.objects.select_related("subject").get(code_hash=_code_hash(code)).subject
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
    link.unlinked_at = now
    link.save(update_fields=["unlinked_at"])
    return link


def link_consent_reads_record(*, link_ids: list[int], now: datetime | None = None) -> None:
    """Remember when each partner last read a subject's consents (at most one write a minute per link).

    On PostgreSQL the write skips waiting for the disk flush: losing the last seconds of these
    timestamps in a crash is harmless, and the wait would otherwise dominate a consent check.
    """
    if not link_ids:
        return
    now = now or timezone.now()
    stale = now - timedelta(minutes=1)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Link.objects.filter(pk__in=link_ids).filter(
            Q(last_consent_read_at__isnull=True) | Q(last_consent_read_at__lt=stale)
        ).update(last_consent_read_at=now)
