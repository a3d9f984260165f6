from django.urls import path

from consents.api.views import (
    MeConsentAppApi,
    MeConsentListApi,
    MeConsentUpdateApi,
    MeConsentWithdrawalImpactApi,
    MeReceiptApi,
    MeReceiptListApi,
    MeRestrictionsApi,
)

urlpatterns = [
    path("me/restrictions/", MeRestrictionsApi.as_view(), name="me_restrictions"),
    path("me/consents/", MeConsentListApi.as_view(), name="me_consent_list"),
    path("me/consents/<str:purpose>/", MeConsentUpdateApi.as_view(), name="me_consent_update"),
    path(
        "me/consents/<str:purpose>/withdrawal-impact/",
        MeConsentWithdrawalImpactApi.as_view(),
        name="me_consent_withdrawal_impact",
    ),
    path("me/receipts/", MeReceiptListApi.as_view(), name="me_receipt_list"),
    path("me/receipts/<str:event_id>", MeReceiptApi.as_view(), name="me_receipt"),
    path("me/consents/<str:purpose>/apps/<str:link_id>/", MeConsentAppApi.as_view(), name="me_consent_app"),
]
