from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FindMeConfig(AppConfig):
    name = "find_me"
    verbose_name = _("Find me")

    def ready(self) -> None:
        from consents.hooks import consent_changed, withdrawal_impact
        from find_me.subscribers import (
            consent_changed_enrol_or_forget,
            upload_stored_scan,
            withdrawal_impact_of_find_me,
        )
        from media_vault.hooks import upload_stored

        consent_changed.subscribe(consent_changed_enrol_or_forget)
        withdrawal_impact.subscribe(withdrawal_impact_of_find_me)
        upload_stored.subscribe(upload_stored_scan)
