from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaVaultConfig(AppConfig):
    name = "media_vault"
    verbose_name = _("Media vault")
