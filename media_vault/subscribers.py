"""What the media vault does when the consent core announces a change (registered in MediaVaultConfig.ready)."""

from django.db import transaction

from config.enqueue import task_enqueue
from consents.hooks import ConsentChange
from media_vault.tasks import uploads_erase_orphaned as uploads_erase_orphaned_task


def consent_changed_erase_orphans(change: ConsentChange) -> None:
    """Rule 2: after a withdrawal commits, uploads left with no granted purpose go (the beat sweep backs this up)."""
    if change.granted:
        return
    subject_id = change.subject.pk
    transaction.on_commit(lambda: task_enqueue(uploads_erase_orphaned_task, subject_id=subject_id))
