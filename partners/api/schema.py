"""OpenAPI: the partner API's OAuth2 client-credentials scheme, with each operation's scopes."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PartnerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.permissions.PartnerAuthentication"
    name = "partnerOAuth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "OAuth2 client credentials: POST /o/token/ with your client_id and client_secret.",
            "flows": {"clientCredentials": {"tokenUrl": "/o/token/", "scopes": settings.OAUTH2_PROVIDER["SCOPES"]}},
        }

    def get_security_requirement(self, auto_schema):
        return {self.name: list(getattr(auto_schema.view, "required_scopes", []))}
