"""What the media vault does when the consent core announces a change, and its share of a withdrawal's impact
(both registered in MediaVaultConfig.ready)."""

from django.db import transaction

from accounts.models import User
from config.enqueue import task_enqueue
from consents.hooks import ConsentChange, WithdrawalImpact
from consents.models import Purpose
from media_vault.selectors import uploads_left_without_purpose_by_app
from media_vault.tasks import uploads_erase_orphaned as uploads_erase_orphaned_task


def consent_changed_erase_orphans(change: ConsentChange) -> None:
    """Rule 2: after a withdrawal commits, uploads left with no granted purpose go (the beat sweep backs this up)."""
    if change.granted:
        return
    subject_id = change.subject.pk
    transaction.on_commit(lambda: task_enqueue(uploads_erase_orphaned_task, subject_id=subject_id))


def withdrawal_impact_of_uploads(subject: User, purpose: Purpose, link_ref: int | None) -> WithdrawalImpact:
    """Rule 2, told before it happens: the uploads that withdrawing `purpose` (for all apps, or for the app of
    `link_ref`) would leave with no granted purpose."""
    by_app = uploads_left_without_purpose_by_app(subject=subject, purpose=purpose, link_ref=link_ref)
    own = by_app.pop(None, 0)
    return WithdrawalImpact(own_uploads=own, uploads_by_app=by_app)
