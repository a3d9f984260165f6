"""The steps of a subject's erasure (rule 7). Each step is idempotent, so a retry resumes where it stopped.

Counts are added to the request's receipt as each step commits, so a resumed job still reports the whole.
Storage objects go before the rows that name them: a crash never leaves an object nobody can find.
"""

from collections.abc import Callable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from accounts.models import StaffAction, User
from consents.models import ConsentEvent, ConsentState
from data_rights.models import DataRequest
from media_vault.models import AccessEvent, FaceUpload, SubjectKey
from media_vault.storage import vault_object_delete, vault_objects_delete
from partners.models import Link, LinkCode, WebhookEvent
from partners.outbox import webhook_enqueue

UPLOAD_BATCH = 500


def _add(job: DataRequest, counts: dict[str, int]) -> None:
    """Add to the receipt's counts in the same transaction as the step that erased them."""
    receipt = DataRequest.objects.select_for_update().get(pk=job.pk).receipt or {}
    for key, value in counts.items():
        receipt[key] = receipt.get(key, 0) + value
    DataRequest.objects.filter(pk=job.pk).update(receipt=receipt)


def _uploads(job: DataRequest, subject: User, renew: Callable[[int, int], None]) -> None:
    total = FaceUpload.objects.filter(subject=subject).count()
    done = 0
    while True:
        batch = list(
            FaceUpload.objects.filter(subject=subject).values_list("pk", "object_name", "thumbnail_object_name")[
                :UPLOAD_BATCH
            ]
        )
        if not batch:
            return
        ids = [row[0] for row in batch]
        FaceUpload.objects.filter(pk__in=ids).update(status=FaceUpload.Status.ERASING)
        vault_objects_delete(names=[name for row in batch for name in row[1:]])  # batched: 1,000 keys a request
        with transaction.atomic():
            access_events = AccessEvent.objects.filter(upload_id__in=ids).delete()[0]
            deleted = FaceUpload.objects.filter(pk__in=ids).delete()[1].get("media_vault.FaceUpload", 0)
            _add(job, {"face_uploads": deleted, "storage_objects": 2 * deleted, "access_events": access_events})
        done += len(batch)
        renew(done, total)


def _exports(job: DataRequest, subject: User) -> None:
    for export in DataRequest.objects.filter(subject=subject, kind=DataRequest.Kind.EXPORT):
        if export.archive_object_name:
            vault_object_delete(name=export.archive_object_name)
        with transaction.atomic():
            export.delete()
            _add(job, {"exports": 1})


@transaction.atomic
def _partners(job: DataRequest, subject: User) -> None:
    """Tell every partner (`subject.erased`, written before the links go), then erase links and payloads."""
    links = list(Link.objects.filter(subject=subject).select_related("partner"))
    for link in links:
        already = WebhookEvent.objects.filter(link=link, event_type="subject.erased").exists()
        if not already and link.unlinked_at is None:
            webhook_enqueue(link=link, event_type="subject.erased", data={})
    # Payloads of other events (consent changes, uploads) go; `subject.erased` stays until delivered:
    # it carries only the partner's random pairwise id, which points to nobody once the link is gone.
    payloads = WebhookEvent.objects.filter(link__in=links).exclude(event_type="subject.erased").delete()[0]
    link_codes = LinkCode.objects.filter(subject=subject).delete()[0]
    removed = Link.objects.filter(pk__in=[link.pk for link in links]).delete()[1].get("partners.Link", 0)
    _add(job, {"links": removed, "webhook_payloads": payloads, "link_codes": link_codes})


def _admin_log_entries(subject: User):
    """Admin's change log names each object by its str(): for the account and its addresses, the email."""
    from allauth.account.models import EmailAddress

    addresses = [str(pk) for pk in EmailAddress.objects.filter(user=subject).values_list("pk", flat=True)]
    return LogEntry.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(User), object_id=str(subject.pk))
        | Q(content_type=ContentType.objects.get_for_model(EmailAddress), object_id__in=addresses)
    )


@transaction.atomic
def _records(job: DataRequest, subject: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

    from data_rights.services import _sessions_end

    counts = {
        "access_events": AccessEvent.objects.filter(subject=subject).delete()[0],
        "consent_states": ConsentState.objects.filter(subject=subject).delete()[0],
        # The ledger stays verifiable: events become tombstones (the hash covers a random reference, not the account).
        "consent_events_anonymised": ConsentEvent.objects.filter(subject=subject).update(subject=None),
        "staff_log_entries": StaffAction.objects.filter(subject=subject).delete()[0]
        + _admin_log_entries(subject).delete()[0],
        "account_records": EmailAddress.objects.filter(user=subject).delete()[0]
        + Authenticator.objects.filter(user=subject).delete()[0]
        + sum(model.objects.filter(user=subject).delete()[0] for model in (RefreshToken, AccessToken, IDToken, Grant)),
        "sessions": _sessions_end(subject=subject),
    }
    _add(job, counts)


@transaction.atomic
def _key_and_account(job: DataRequest, subject: User) -> None:
    """Last: the data key (every copy anywhere becomes unreadable), then the account itself."""
    leftovers = (
        FaceUpload.objects.filter(subject=subject).count()
        + DataRequest.objects.filter(subject=subject, kind=DataRequest.Kind.EXPORT).count()
    )
    if leftovers:  # never mark done while anything remains
        raise RuntimeError(f"{leftovers} uploads or exports still remain")
    keys = SubjectKey.objects.filter(subject=subject).delete()[0]
    DataRequest.objects.filter(subject=subject).exclude(pk=job.pk).update(subject=None)
    DataRequest.objects.filter(pk=job.pk).update(subject=None)
    subject.delete()
    _add(job, {"data_keys": keys, "accounts": 1})


def erase_everything(*, job: DataRequest, renew: Callable[[int, int], None]) -> dict[str, int]:
    """Run every step for the job's subject (none left if an earlier attempt finished them all)."""
    subject = User.objects.filter(pk=job.subject_id).first() if job.subject_id else None
    if subject is not None:
        _uploads(job, subject, renew)
        _exports(job, subject)
        _partners(job, subject)
        _records(job, subject)
        _key_and_account(job, subject)
    return DataRequest.objects.get(pk=job.pk).receipt
