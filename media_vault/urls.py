from django.urls import path

from media_vault.views import (
    FaceUploadAnnotatedView,
    FaceUploadDeleteView,
    FaceUploadDetailView,
    FaceUploadImageView,
    FaceUploadKeepView,
    FaceUploadListView,
    FaceUploadThumbnailView,
)

app_name = "media_vault"
urlpatterns = [
    path("", FaceUploadListView.as_view(), name="upload_list"),
    path("<uuid:upload_id>/", FaceUploadDetailView.as_view(), name="upload_detail"),
    path("<uuid:upload_id>/thumbnail", FaceUploadThumbnailView.as_view(), name="upload_thumbnail"),
    path("<uuid:upload_id>/image", FaceUploadImageView.as_view(), name="upload_image"),
    path("<uuid:upload_id>/annotated", FaceUploadAnnotatedView.as_view(), name="upload_annotated"),
    path("<uuid:upload_id>/delete/", FaceUploadDeleteView.as_view(), name="upload_delete"),
    path("<uuid:upload_id>/keep/", FaceUploadKeepView.as_view(), name="upload_keep"),
]
