from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import StaffAction, User


@transaction.atomic
def subject_create(*, email: str, password: str | None, verified: bool = False, display_name: str = "") -> User:
    """Create a subject account with its allauth email address row."""
    from allauth.account.models import EmailAddress

    user = get_user_model().objects.create_user(email=email, password=password, display_name=display_name)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def staff_action_log(
    *, actor: User | None, kind: str, target: str, subject: User | None = None, reason: str = ""
) -> StaffAction:
    """Rule 8: record a staff action on personal data."""
    return StaffAction.objects.create(actor=actor, subject=subject, kind=kind, target=target, reason=reason)
