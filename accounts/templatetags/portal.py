"""The portal's name and absolute links, for emails (rendered without a request as often as with one)."""

from django import template
from django.conf import settings
from django.urls import reverse

register = template.Library()


@register.simple_tag
def portal_name() -> str:
    """PORTAL_NAME, as every email names the portal."""
    return str(settings.PORTAL_NAME)


@register.simple_tag
def portal_url(name: str = "", *args) -> str:
    """An absolute link on the portal from SITE_URL: `{% portal_url "data_rights:your_data" %}`; none: the home page."""
    return settings.SITE_URL.rstrip("/") + (reverse(name, args=args) if name else "/")
