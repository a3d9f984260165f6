from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule said no. Interfaces map `.code` and `.status` to problem details or a page message."""

    code = "invalid"
    status = 400
    title = _("The request could not be carried out.")

    def __init__(self, detail: str | None = None):
        self.detail = str(detail or self.title)
        super().__init__(self.detail)


class PurposeNotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("There is no active purpose with that name.")


class ConsentRequired(DomainError):
    code = "consent_required"
    status = 403
    title = _("The subject has not granted every purpose named.")
