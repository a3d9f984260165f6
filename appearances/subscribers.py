"""What appearances do when the consent core announces a change, and their share of a withdrawal's impact
(both registered in AppearancesConfig.ready)."""

from accounts.models import User
from appearances.selectors import appearances_live_under_purpose
from appearances.services import appearances_takedown_for_withdrawal
from consents.hooks import ConsentChange, WithdrawalImpact
from consents.models import Purpose


def consent_changed_request_takedowns(change: ConsentChange) -> None:
    """A withdrawal asks for the takedown of every live appearance made under it, in the withdrawal's transaction."""
    if change.granted:
        return
    appearances_takedown_for_withdrawal(
        subject=change.subject, purpose=change.purpose, link_ref=change.link_ref, now=change.event.created_at
    )


def withdrawal_impact_of_appearances(subject: User, purpose: Purpose, link_ref: int | None) -> WithdrawalImpact:
    """Told before it happens: the live appearances that withdrawing `purpose` (for all apps, or for the app of
    `link_ref`) would ask to take down."""
    return WithdrawalImpact(
        appearances_to_take_down=appearances_live_under_purpose(
            subject=subject, purpose=purpose, link_ref=link_ref
        ).count()
    )
