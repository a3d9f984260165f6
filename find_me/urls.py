from django.urls import path

from find_me.views import FoundYouView, SightingNotMeView, SightingPreviewView, SightingRemoveView

app_name = "find_me"
urlpatterns = [
    path("", FoundYouView.as_view(), name="found_you"),
    path("<uuid:sighting_id>/preview.jpg", SightingPreviewView.as_view(), name="sighting_preview"),
    path("<uuid:sighting_id>/not-me/", SightingNotMeView.as_view(), name="sighting_not_me"),
    path("<uuid:sighting_id>/remove/", SightingRemoveView.as_view(), name="sighting_remove"),
]
