from django.urls import path

from data_rights.views import (
    ActivityView,
    ErasureConfirmView,
    ErasureReceiptView,
    ExportCreateView,
    ExportDownloadView,
    YourDataView,
)

app_name = "data_rights"
urlpatterns = [
    path("activity/", ActivityView.as_view(), name="activity"),
    path("your-data/", YourDataView.as_view(), name="your_data"),
    path("your-data/exports/", ExportCreateView.as_view(), name="export_create"),
    path("your-data/exports/<uuid:request_id>/download", ExportDownloadView.as_view(), name="export_download"),
    path("your-data/erasure/", ErasureConfirmView.as_view(), name="erasure_confirm"),
    path("erasure-receipts/<uuid:request_id>/", ErasureReceiptView.as_view(), name="erasure_receipt"),
]
