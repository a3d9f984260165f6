from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppearancesConfig(AppConfig):
    name = "appearances"
    verbose_name = _("Appearances")

    def ready(self) -> None:
        from appearances.subscribers import consent_changed_request_takedowns, withdrawal_impact_of_appearances
        from consents.hooks import consent_changed, withdrawal_impact

        consent_changed.subscribe(consent_changed_request_takedowns)
        withdrawal_impact.subscribe(withdrawal_impact_of_appearances)
