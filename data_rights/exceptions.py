from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class ExportInProgress(DomainError):
    code = "export_in_progress"
    status = 409
    title = _("An export is already being built; wait for it to finish.")


class ErasureInProgress(DomainError):
    code = "erasure_in_progress"
    status = 409
    title = _("Erasure has already been requested.")


class InvalidPassword(DomainError):
    code = "invalid_password"
    status = 403
    title = _("The password is not correct.")


class ExportNotAvailable(DomainError):
    code = "not_found"
    status = 404
    title = _("No such export, or it has expired.")
