from django.urls import path

from consents.views import (
    ConsentAppDecideView,
    ConsentDecideView,
    ConsentListView,
    ConsentReceiptDownloadView,
    RestrictionsUpdateView,
)

app_name = "consents"
urlpatterns = [
    path("", ConsentListView.as_view(), name="consent_list"),
    path("receipts/<int:event_id>/", ConsentReceiptDownloadView.as_view(), name="receipt_download"),
    path("restrictions/", RestrictionsUpdateView.as_view(), name="restrictions_update"),
    path("<slug:purpose>/decide/", ConsentDecideView.as_view(), name="consent_decide"),
    path("<slug:purpose>/apps/<str:link_id>/", ConsentAppDecideView.as_view(), name="consent_app_decide"),
]
