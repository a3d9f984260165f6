"""Reads about accounts that pages share."""

from django.utils.translation import gettext as _

from accounts.activity import ActivityItem, ActivityKind, ActivityWindow
from accounts.models import SignIn, User


def sign_in_activity_for_subject(*, subject: User, window: ActivityWindow) -> list[ActivityItem]:
    """The subject's sign-ins for the Activity page, a new device marked; none when the page shows one app."""
    if window.partner_id is not None:
        return []
    rows = window.rows(SignIn.objects.filter(subject=subject), source="sign_in")
    return [
        ActivityItem(
            at=row.created_at,
            kind=ActivityKind.SIGN_INS,
            text=_("You signed in on %(device)s") % {"device": row.device},
            source="sign_in",
            key=row.pk,
            flag=_("New device") if row.new_device else "",
            detail=_("We had not seen a sign-in from this browser before.") if row.new_device else "",
        )
        for row in rows
    ]
