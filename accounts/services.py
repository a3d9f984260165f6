from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.contrib.sites.models import Site
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from accounts.devices import device_label
from accounts.models import SignIn, StaffAction, User


@transaction.atomic
def subject_create(*, email: str, password: str | None, verified: bool = False, display_name: str = "") -> User:
    """Create a subject account with its allauth email address row."""
    user = get_user_model().objects.create_user(email=email, password=password, display_name=display_name)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def staff_action_log(
    *, actor: User | None, kind: str, target: str, subject: User | None = None, reason: str = ""
) -> StaffAction:
    """Rule 8: record a staff action on personal data."""
    return StaffAction.objects.create(actor=actor, subject=subject, kind=kind, target=target, reason=reason)


def sessions_end_for_subject(*, subject: User) -> int:
    """Delete every stored session of the subject (the database backend keeps the user id inside), and allauth's
    record of each (device, address, last seen). Returns the sessions ended."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=2000):
        if str(session.get_decoded().get("_auth_user_id")) == str(subject.pk):
            ended.append(session.pk)
    Session.objects.filter(pk__in=ended).delete()
    UserSession.objects.filter(user=subject).delete()
    return len(ended)


def sign_in_record(*, subject: User, user_agent: str) -> SignIn:
    """Record a sign-in for the subject's Activity page; a browser never seen for this account is a new device."""
    device = device_label(user_agent)[: SignIn._meta.get_field("device").max_length]
    known = SignIn.objects.filter(subject=subject, device=device).exists()
    return SignIn.objects.create(subject=subject, device=device, new_device=not known)


@transaction.atomic
def account_display_name_set(*, subject: User, display_name: str) -> User:
    """The name the portal calls the person by; blank means none. Apps never receive it."""
    subject.display_name = " ".join(display_name.split())
    subject.save(update_fields=["display_name"])
    return subject


@transaction.atomic
def account_disable(*, subject: User) -> int:
    """Rule 7, at once: the account can no longer sign in and every session ends. Returns sessions ended."""
    subject.is_active = False
    subject.set_unusable_password()  # also invalidates every session's auth hash at once
    subject.save(update_fields=["is_active", "password"])
    return sessions_end_for_subject(subject=subject)


def _admin_log_entries(*, subject: User):
    """Admin's change log names each object by its str(): for the account and its addresses, the email."""
    addresses = [str(pk) for pk in EmailAddress.objects.filter(user=subject).values_list("pk", flat=True)]
    return LogEntry.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(User), object_id=str(subject.pk))
        | Q(content_type=ContentType.objects.get_for_model(EmailAddress), object_id__in=addresses)
    )


@transaction.atomic
def account_records_erase(*, subject: User) -> dict[str, int]:
    """Rule 7: staff log rows about the subject, addresses, two-factor, OAuth rows, sign-ins, devices (allauth's
    session records) and sessions. Idempotent."""
    oauth_rows = sum(
        model.objects.filter(user=subject).delete()[0] for model in (RefreshToken, AccessToken, IDToken, Grant)
    )
    return {
        "staff_log_entries": StaffAction.objects.filter(subject=subject).delete()[0]
        + _admin_log_entries(subject=subject).delete()[0],
        "account_records": EmailAddress.objects.filter(user=subject).delete()[0]
        + Authenticator.objects.filter(user=subject).delete()[0]
        + oauth_rows
        + SignIn.objects.filter(subject=subject).delete()[0]
        + UserSession.objects.filter(user=subject).delete()[0],
        "sessions": sessions_end_for_subject(subject=subject),
    }


@transaction.atomic
def account_delete(*, subject: User) -> dict[str, int]:
    """Rule 7, last step: the account row itself."""
    subject.delete()
    return {"accounts": 1}


def site_update_from_settings(*, using: str = "default") -> Site:
    """Name the portal in allauth's emails: the current Site takes PORTAL_NAME and SITE_URL's host (not example.com)."""
    site, _ = Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"name": str(settings.PORTAL_NAME)[:50], "domain": urlsplit(settings.SITE_URL).netloc[:100]},
    )
    return site
