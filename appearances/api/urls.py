from django.urls import path

from appearances.api import views

urlpatterns = [
    path(
        "subjects/<str:subject_id>/appearances/",
        views.SubjectAppearanceListCreateApi.as_view(),
        name="subject_appearance_list",
    ),
    path(
        "subjects/<str:subject_id>/appearances/<str:appearance_id>/taken-down/",
        views.SubjectAppearanceTakenDownApi.as_view(),
        name="subject_appearance_taken_down",
    ),
    path("me/appearances/", views.MeAppearanceListApi.as_view(), name="me_appearance_list"),
    path(
        "me/appearances/<str:appearance_id>/takedown/",
        views.MeAppearanceTakedownApi.as_view(),
        name="me_appearance_takedown",
    ),
]
