from django.urls import path

from data_rights.api.views import MeErasureCreateApi, MeExportListCreateApi

urlpatterns = [
    path("me/exports/", MeExportListCreateApi.as_view(), name="me_export_list"),
    path("me/erasure/", MeErasureCreateApi.as_view(), name="me_erasure_create"),
]
