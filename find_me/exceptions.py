"""What find-me answers when a request cannot be done (problem+json on the API, a message on the page)."""

from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class SightingNotFound(DomainError):
    """Another person's sighting, or none at all: the same 404, so nothing is learnt."""

    code = "not_found"
    status = 404
    title = _("No such sighting.")


class SightingRemoved(DomainError):
    code = "sighting_removed"
    status = 409
    title = _("That photo has already been removed; there is nothing left to answer.")


class RemovalNotForStaff(DomainError):
    """Only a photo uploaded in the portal itself, whose removal a person asked for, is removed by the privacy team:
    an app's photo is the app's to delete."""

    code = "removal_not_for_staff"
    status = 409
    title = _("Only a photo uploaded in the portal, whose removal was asked for, can be removed here.")
