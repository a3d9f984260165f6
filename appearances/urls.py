from django.urls import path

from appearances.views import AppearanceListView, AppearanceTakedownView, AppearanceThumbnailView

app_name = "appearances"
urlpatterns = [
    path("", AppearanceListView.as_view(), name="appearance_list"),
    path("<uuid:appearance_id>/thumbnail", AppearanceThumbnailView.as_view(), name="appearance_thumbnail"),
    path("<uuid:appearance_id>/takedown/", AppearanceTakedownView.as_view(), name="appearance_takedown"),
]
