from django.utils.translation import gettext_lazy as _

from consents.exceptions import DomainError


class InvalidImage(DomainError):
    code = "invalid_image"
    status = 400
    title = _("This file is not an image we can accept.")


class ImageTooLarge(DomainError):
    code = "too_large"
    status = 413
    title = _("This file is too large.")


class UploadNotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("No such face upload.")


class StorageUnavailable(Exception):
    """Storage could not be reached; the job that met it retries later."""


class PurposesRequired(DomainError):
    code = "purposes_required"
    status = 400
    title = _("Name at least one purpose for the upload.")


class ReasonRequired(DomainError):
    code = "reason_required"
    status = 400
    title = _("Give a reason of at least 10 characters.")
