from django.urls import path

from partners.api import views

urlpatterns = [
    path("ping/", views.PingApi.as_view(), name="partner_ping"),
    path("purposes/", views.PurposeListApi.as_view(), name="purpose_list"),
    path("restrictions/", views.RestrictionListApi.as_view(), name="restriction_list"),
    path("links/", views.LinkRedeemApi.as_view(), name="link_redeem"),
    path("subjects/<str:subject_id>/consents/", views.SubjectConsentListApi.as_view(), name="subject_consent_list"),
    path("consent-checks/", views.ConsentCheckApi.as_view(), name="consent_check"),
    path("events/", views.EventListApi.as_view(), name="event_list"),
    path("me/link-codes/", views.MeLinkCodeCreateApi.as_view(), name="me_link_code_create"),
    path("me/links/", views.MeLinkListApi.as_view(), name="me_link_list"),
    path("me/links/<str:link_id>/", views.MeLinkDeleteApi.as_view(), name="me_link_delete"),
]
