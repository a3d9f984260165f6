"""What find-me does when the consent core announces a change or the media vault stores an upload, and its share of
a withdrawal's impact (registered in FindMeConfig.ready)."""

from django.db import transaction

from accounts.models import User
from config.enqueue import task_enqueue
from consents.hooks import ConsentChange, WithdrawalImpact
from consents.models import Purpose
from find_me.selectors import find_me_records_count, sightings_count_for_app
from find_me.services import FIND_ME, find_me_forget_for_subject, sightings_forget_for_app
from find_me.tasks import subject_enrol as subject_enrol_task
from find_me.tasks import uploads_scan as uploads_scan_task


def consent_changed_enrol_or_forget(change: ConsentChange) -> None:
    """Granting `find-me` (for all apps) enrols the person's own photos after the commit; withdrawing it destroys
    every template and sighting in the withdrawal's own transaction."""
    if change.purpose.slug != FIND_ME:
        return
    if change.link_ref is not None:  # no for one app: its sightings go; templates serve every other app
        if not change.granted:
            sightings_forget_for_app(subject=change.subject, link_ref=change.link_ref)
        return
    if change.granted:
        subject_id = change.subject.pk
        transaction.on_commit(lambda: task_enqueue(subject_enrol_task, subject_id=subject_id))
    else:
        find_me_forget_for_subject(subject=change.subject)


def upload_stored_scan(upload) -> None:
    """A new face upload is compared with the enrolled templates in the background, after it commits."""
    if upload.faces_detected:
        transaction.on_commit(lambda: task_enqueue(uploads_scan_task))


def withdrawal_impact_of_find_me(subject: User, purpose: Purpose, link_ref: int | None) -> WithdrawalImpact:
    """Told before it happens: withdrawing `find-me` destroys the face templates and the sightings; saying no to it
    for one app forgets the sightings in that app's uploads."""
    if purpose.slug != FIND_ME:
        return WithdrawalImpact()
    if link_ref is not None:
        return WithdrawalImpact(sightings=sightings_count_for_app(subject=subject, link_ref=link_ref))
    templates, sightings = find_me_records_count(subject=subject)
    return WithdrawalImpact(face_templates=templates, sightings=sightings)
