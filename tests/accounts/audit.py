"""A staff audit log that refuses writes, to show that a change and its audit row share one transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models.signals import pre_save

from accounts.models import StaffAction

_UID = "tests.accounts.audit.staff_audit_refused"


class AuditRefused(Exception):
    """Raised instead of writing a staff audit row."""


def _refuse(sender, **kwargs):
    raise AuditRefused


@contextmanager
def staff_audit_refused() -> Iterator[None]:
    """While open, writing a StaffAction raises AuditRefused, as a database refusing the insert would."""
    pre_save.connect(_refuse, sender=StaffAction, dispatch_uid=_UID)
    try:
        yield
    finally:
        pre_save.disconnect(sender=StaffAction, dispatch_uid=_UID)
