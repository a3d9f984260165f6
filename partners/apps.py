from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from consents.hooks import consent_changed_subscribe
        from partners.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from partners.subscribers import consent_changed_notify_partners

        consent_changed_subscribe(consent_changed_notify_partners)
