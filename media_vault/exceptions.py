from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


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


class StorageUnavailable(DomainError):
    """Storage could not be reached; the job that met it retries later, an API caller gets 503."""

    code = "storage_unavailable"
    status = 503
    title = _("Storage is unavailable for a moment; nothing was changed. Please try again shortly.")

    def __init__(self, internal: str = ""):
        self.internal = internal  # for logs and the request queue, never shown to callers
        super().__init__(None)

    def __str__(self) -> str:
        return self.internal or self.detail


class DataKeyDestroyed(DomainError):
    code = "not_found"
    status = 404
    title = _("This data has been erased and can no longer be read.")


class PurposesRequired(DomainError):
    code = "purposes_required"
    status = 400
    title = _("Name at least one purpose for the upload.")


class ReasonRequired(DomainError):
    code = "reason_required"
    status = 400
    title = _("Give a reason of at least 10 characters.")


class ObjectMissing(DomainError):
    code = "not_found"
    status = 404
    title = _("This image is no longer stored.")


class RevealGrantNotFound(DomainError):
    """Unknown, or revealed to someone else: one answer for both, as for partners' ids."""

    code = "not_found"
    status = 404
    title = _("No such reveal.")


class RevealGrantExpired(DomainError):
    """The reveal's few minutes are over, or its officer no longer holds the reveal permission."""

    code = "reveal_expired"
    status = 403
    title = _("This reveal is over; reveal again with a new reason.")
