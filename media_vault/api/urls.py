from django.urls import path

from media_vault.api import views

urlpatterns = [
    path("subjects/<str:subject_id>/uploads/", views.SubjectUploadListCreateApi.as_view(), name="subject_upload_list"),
    path(
        "subjects/<str:subject_id>/uploads/<str:upload_id>/content",
        views.SubjectUploadContentApi.as_view(),
        name="subject_upload_content",
    ),
    path(
        "subjects/<str:subject_id>/uploads/<str:upload_id>/",
        views.SubjectUploadDeleteApi.as_view(),
        name="subject_upload_delete",
    ),
    path("me/uploads/", views.MeUploadListApi.as_view(), name="me_upload_list"),
]
