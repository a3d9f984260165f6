from django.urls import path

from consents.api.views import MeConsentListApi, MeConsentUpdateApi

urlpatterns = [
    path("me/consents/", MeConsentListApi.as_view(), name="me_consent_list"),
    path("me/consents/<str:purpose>/", MeConsentUpdateApi.as_view(), name="me_consent_update"),
]
