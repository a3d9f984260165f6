"""OpenAPI: the partner API's OAuth2 client-credentials scheme, with each operation's scopes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from partners.models import PartnerScope

_SCOPES = {scope.value: str(scope.label) for scope in PartnerScope}


class PartnerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.permissions.PartnerAuthentication"
    name = "partnerOAuth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "OAuth2 client credentials: POST /o/token/ with your client_id and client_secret.",
            "flows": {"clientCredentials": {"tokenUrl": "/o/token/", "scopes": _SCOPES}},
        }

    def get_security_requirement(self, auto_schema):
        return {self.name: list(getattr(auto_schema.view, "required_scopes", []))}
