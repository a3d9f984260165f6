from django.urls import path

from consents.views import ConsentDecideView, ConsentListView

app_name = "consents"
urlpatterns = [
    path("", ConsentListView.as_view(), name="consent_list"),
    path("<slug:purpose>/decide/", ConsentDecideView.as_view(), name="consent_decide"),
]
