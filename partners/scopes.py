from oauth2_provider.scopes import SettingsScopes
from oauthlib.oauth2.rfc6749.errors import UnauthorizedClientError

from partners.models import PartnerScope


class PartnerScopes(SettingsScopes):
    """A partner may only obtain the scopes staff allowed it; a disabled partner gets none. The scopes
    themselves are partners.models.PartnerScope (not the SCOPES setting): one definition."""

    def _partner_scopes(self, application) -> list[str]:
        partner = getattr(application, "partner", None) if application is not None else None
        if partner is None:
            return []
        if not partner.active:  # without this, /o/token/ would still issue a disabled partner a scopeless token
            raise UnauthorizedClientError(description="This app is disabled.")
        return partner.scopes

    def get_all_scopes(self) -> dict[str, str]:
        return {scope.value: str(scope.label) for scope in PartnerScope}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return self._partner_scopes(application)

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self._partner_scopes(application)
