from django.urls import path

from partners.views import ConnectedAppListView, LinkCodeCreateView, LinkDeleteView

app_name = "partners"
urlpatterns = [
    path("", ConnectedAppListView.as_view(), name="connected_apps"),
    path("link-code/", LinkCodeCreateView.as_view(), name="link_code_create"),
    path("<str:link_id>/disconnect/", LinkDeleteView.as_view(), name="link_delete"),
]
