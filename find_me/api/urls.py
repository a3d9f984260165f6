from django.urls import path

from find_me.api import views

urlpatterns = [
    path("me/sightings/", views.MeSightingListApi.as_view(), name="me_sighting_list"),
    path("me/sightings/<str:sighting_id>/not-me/", views.MeSightingNotMeApi.as_view(), name="me_sighting_not_me"),
    path("me/sightings/<str:sighting_id>/remove/", views.MeSightingRemoveApi.as_view(), name="me_sighting_remove"),
]
