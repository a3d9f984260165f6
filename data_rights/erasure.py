"""The order of a subject's erasure (rule 7). Every app erases its own data; this module only orchestrates.

Each step is an app's idempotent `*_erase_for_subject` service, so a retry resumes where the last attempt
stopped. Its counts are added to the request's receipt in the same transaction as the step, so a resumed job
still reports the whole. Storage objects go before the rows that name them, and the data key goes last but
one: a crash never leaves an object nobody can find, and never a readable copy without its row.
"""

from collections.abc import Callable
from functools import partial

from django.db import transaction

from accounts.models import User
from accounts.services import account_delete, account_records_erase
from appearances.services import appearances_erase_for_subject
from consents.services import consent_records_anonymise_for_subject
from data_rights.models import DataRequest
from find_me.services import find_me_forget_for_subject
from media_vault.selectors import upload_count_for_subject
from media_vault.services import access_events_erase_for_subject, data_key_erase_for_subject, uploads_erase_for_subject
from media_vault.storage import vault_object_delete
from partners.services import links_erase_for_subject


def _add(job: DataRequest, counts: dict[str, int]) -> None:
    """Add to the receipt's counts, in the caller's transaction (the step that erased them)."""
    receipt = DataRequest.objects.select_for_update().get(pk=job.pk).receipt or {}
    for key, value in counts.items():
        receipt[key] = receipt.get(key, 0) + value
    DataRequest.objects.filter(pk=job.pk).update(receipt=receipt)


def _step(job: DataRequest, subject: User, *services: Callable[..., dict[str, int]]) -> None:
    """Run services for the subject and count what they erased, all in one transaction."""
    with transaction.atomic():
        for service in services:
            _add(job, service(subject=subject))


def _exports(job: DataRequest, subject: User) -> None:
    """The subject's export archives: the object first, then its row (data_rights' own)."""
    for export in DataRequest.objects.filter(subject=subject, kind=DataRequest.Kind.EXPORT):
        if export.archive_object_name:
            vault_object_delete(name=export.archive_object_name)
        with transaction.atomic():
            export.delete()
            _add(job, {"exports": 1})


def _detach_requests(*, job: DataRequest, subject: User) -> dict[str, int]:
    """Data requests outlive the account, holding no reference to it (the receipt stays public)."""
    leftovers = (
        upload_count_for_subject(subject=subject)
        + DataRequest.objects.filter(subject=subject, kind=DataRequest.Kind.EXPORT).count()
    )
    if leftovers:  # never destroy the key or the account while anything remains
        raise RuntimeError(f"{leftovers} uploads or exports still remain")
    DataRequest.objects.filter(subject=subject).update(subject=None)
    return {}


def erase_everything(*, job: DataRequest, renew: Callable[[int, int], None]) -> dict[str, int]:
    """Run every step for the job's subject (none left if an earlier attempt finished them all)."""
    subject = User.objects.filter(pk=job.subject_id).first() if job.subject_id else None
    if subject is not None:

        def counted(counts: dict[str, int], done: int, total: int) -> None:
            _add(job, counts)
            renew(done, total)

        # Templates first: each goes with its source upload (cascade), so after the uploads nobody could count them.
        _step(job, subject, find_me_forget_for_subject)
        uploads_erase_for_subject(subject=subject, on_batch=counted)
        _exports(job, subject)
        appearances_erase_for_subject(subject=subject, on_erased=lambda counts: _add(job, counts))
        _step(job, subject, links_erase_for_subject)
        # Once the consent states are gone, find-me cannot write for this subject any more (it writes under the lock
        # of their `find-me` decision): what a comparison wrote since the first pass goes now, counted, in the same
        # transaction.
        _step(
            job,
            subject,
            access_events_erase_for_subject,
            consent_records_anonymise_for_subject,
            find_me_forget_for_subject,
            account_records_erase,
        )
        _step(
            job,
            subject,
            partial(_detach_requests, job=job),
            data_key_erase_for_subject,
            account_delete,
        )
    return DataRequest.objects.get(pk=job.pk).receipt
