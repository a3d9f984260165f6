from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _site_update(*, using: str, **kwargs) -> None:
    from accounts.services import site_update_from_settings

    site_update_from_settings(using=using)


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's `account` app is "Accounts" in admin too (its email addresses); ours holds people and the staff log.
    verbose_name = _("People and staff")

    def ready(self) -> None:
        # After every `migrate` (and every test database flush), after django.contrib.sites made its example.com.
        post_migrate.connect(_site_update, sender=self, dispatch_uid="accounts.site_update")
