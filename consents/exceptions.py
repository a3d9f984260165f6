from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class PurposeNotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("There is no active purpose with that name.")


class ConsentRequired(DomainError):
    code = "consent_required"
    status = 403
    title = _("The subject has not granted every purpose named.")


class UnknownRestriction(DomainError):
    code = "unknown_restriction"
    status = 400
    title = _("Only restrictions from the list can be chosen.")


class InvalidExpiry(DomainError):
    code = "invalid_expiry"
    status = 400
    title = _("An expiry must come with a grant, lie in the future and at most three years ahead.")


class AppNotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("No such connected app.")


class ReceiptNotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("No such consent receipt.")
