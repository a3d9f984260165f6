from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class SubjectNotFound(DomainError):
    """Unknown and unlinked ids answer alike, so a partner learns nothing about other partners' subjects."""

    code = "not_found"
    status = 404
    title = _("No subject with that id is linked to your app.")


class LinkCodeInvalid(DomainError):
    code = "invalid_link_code"
    status = 400
    title = _("This link code is unknown, expired or already used.")


class LinkNotFound(DomainError):
    code = "not_found"
    status = 404
    title = _("No such connected app.")


class WebhookUrlRejected(DomainError):
    code = "invalid_webhook_url"
    status = 400
    title = _("Webhook URLs must use https and resolve to public addresses.")


class UnknownPurposes(DomainError):
    code = "unknown_purpose"
    status = 400
    title = _("One or more purposes do not exist or are inactive.")
