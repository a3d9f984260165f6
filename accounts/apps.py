from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    # allauth's `account` app is "Accounts" in admin too (its email addresses); ours holds people and the staff log.
    verbose_name = _("People and staff")
