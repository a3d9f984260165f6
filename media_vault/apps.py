from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaVaultConfig(AppConfig):
    name = "media_vault"
    verbose_name = _("Media vault")

    def ready(self) -> None:
        from consents.hooks import consent_changed, withdrawal_impact
        from media_vault.subscribers import consent_changed_erase_orphans, withdrawal_impact_of_uploads

        consent_changed.subscribe(consent_changed_erase_orphans)
        withdrawal_impact.subscribe(withdrawal_impact_of_uploads)
