from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _gpc_honour_on_sign_up(*, request, user, **kwargs) -> None:
    """Global Privacy Control: a sign-up whose browser sends `Sec-GPC: 1` opts out of sale and sharing at once."""
    from consents.services import consent_gpc_honour

    if request is not None and request.headers.get("Sec-GPC", "").strip() == "1":
        consent_gpc_honour(subject=user)


class ConsentsConfig(AppConfig):
    name = "consents"
    verbose_name = _("Consents")

    def ready(self) -> None:
        # allauth's own sign-up flow announces new accounts with this signal; honouring the browser's signal there
        # covers the page and allauth's headless API alike.
        from allauth.account.signals import user_signed_up

        user_signed_up.connect(_gpc_honour_on_sign_up, dispatch_uid="consents.gpc_honour_on_sign_up")
