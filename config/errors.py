"""The base of every rule's refusal. It sits at the bottom layer, so every app can raise it and both APIs and
the pages can map it, without any app importing another for it."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule said no. Interfaces map `.code` and `.status` to problem details or a page message."""

    code = "invalid"
    status = 400
    title = _("The request could not be carried out.")

    def __init__(self, detail: str | None = None):
        self.detail = str(detail or self.title)
        super().__init__(self.detail)
