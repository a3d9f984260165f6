"""Template filters for face uploads: `{% load uploads %}{{ upload|upload_label }}` on any page."""

from django import template

from media_vault.models import FaceUpload
from media_vault.selectors import upload_label as _upload_label

register = template.Library()


@register.filter
def upload_label(upload: FaceUpload) -> str:
    """The upload's name for people, e.g. "Photo 3 · from Cameo Studio · 1 Dec 2026, 14:05"."""
    return _upload_label(upload=upload)
