"""Partner authentication, scopes and throttling for the partner API."""

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication, TokenHasScope
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from partners.models import Partner


class PartnerAuthentication(OAuth2Authentication):
    """A bearer token of an active partner's application; a disabled partner is refused at once."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        # Loaded with the token (partners.oauth.PartnerOAuth2Validator), so this costs no query.
        partner = getattr(token.application, "partner", None)
        if partner is None or not partner.active:
            raise exceptions.AuthenticationFailed(_("This app is disabled."), code="partner_disabled")
        request.partner = partner
        # A client-credentials token has no user; None would reach Django's request.user and break
        # middleware that reads `request.user.is_authenticated`. The partner is request.partner.
        return user or AnonymousUser(), token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class HasScope(TokenHasScope):
    """Every partner endpoint names the scope it needs in `required_scopes`."""

    message = _("Your token lacks the scope this endpoint needs.")
    code = "insufficient_scope"


def partner_for_request(request) -> Partner:
    return request.partner


class PartnerRateThrottle(SimpleRateThrottle):
    """Per-partner rates, configurable per endpoint group through DEFAULT_THROTTLE_RATES."""

    def get_rate(self):
        return self.THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", "partner")
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        partner = getattr(request, "partner", None)
        if partner is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": partner.pk}
