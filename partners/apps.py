from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners")

    def ready(self) -> None:
        from consents.hooks import connected_apps, consent_changed, restrictions_changed
        from partners.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from partners.doorbell import doorbell_connect
        from partners.embedded import embedded_deliverer
        from partners.subscribers import (
            connected_apps_of_subject,
            consent_changed_notify_partners,
            restrictions_changed_notify_partners,
        )
        from partners.tasks import webhook_deliver as webhook_deliver_task

        consent_changed.subscribe(consent_changed_notify_partners)
        restrictions_changed.subscribe(restrictions_changed_notify_partners)
        connected_apps.subscribe(connected_apps_of_subject)
        # Here, not imported by the doorbell: both senders import delivery, which rings the doorbell.
        doorbell_connect(task=webhook_deliver_task, thread=embedded_deliverer)
