from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class AppearanceNotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("No such appearance.")


class InvalidSourceUploads(DomainError):
    code = "invalid_source_uploads"
    status = 400
    title = _("Every source upload must be one of your uploads of this subject.")


class TakedownNotPossible(DomainError):
    code = "takedown_not_possible"
    status = 409
    title = _("This appearance is already taken down.")
