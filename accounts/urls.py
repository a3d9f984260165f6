from django.urls import path

from accounts.views import DisplayNameUpdateView

app_name = "accounts"
urlpatterns = [
    path("name/", DisplayNameUpdateView.as_view(), name="display_name"),
]
