from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.api import api_not_found
from consents.views import LedgerCheckpointView, ReceiptKeysView
from data_rights.views import HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    # Browsers ask for /favicon.ico whatever the pages link; send them to the one icon the pages use.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path(".well-known/jwks.json", ReceiptKeysView.as_view(), name="receipt_jwks"),
    path(".well-known/ledger-checkpoint.json", LedgerCheckpointView.as_view(), name="ledger_checkpoint"),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("consents/", include("consents.urls")),
    path("connected-apps/", include("partners.urls")),
    path("uploads/", include("media_vault.urls")),
    path("appearances/", include("appearances.urls")),
    path("found-you/", include("find_me.urls")),
    path("", include("data_rights.urls")),
    path("admin/", admin.site.urls),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/v1/", include("consents.api.urls")),
    path("api/v1/", include("partners.api.urls")),
    path("api/v1/", include("media_vault.api.urls")),
    path("api/v1/", include("appearances.api.urls")),
    path("api/v1/", include("find_me.api.urls")),
    path("api/v1/", include("data_rights.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/<path:rest>", api_not_found),
]

# Under /api/ these answer problem details (config.api); elsewhere Django's pages from templates/.
handler400 = "config.api.bad_request"
handler403 = "config.api.permission_denied"
handler500 = "config.api.server_error"

admin.site.site_header = "Face privacy portal: staff"
admin.site.site_title = "Face privacy staff"
admin.site.index_title = "Privacy operations"
