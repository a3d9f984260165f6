from django.shortcuts import redirect
from django.views.generic import TemplateView


class HomeView(TemplateView):
    """The landing page; signed-in subjects go straight to their consents."""

    template_name = "pages/home.html"

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("consents:consent_list")
        return super().get(request, *args, **kwargs)
