from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts.forms import DisplayNameForm
from accounts.services import account_display_name_set


class HomeView(TemplateView):
    """The landing page; signed-in subjects go straight to their consents."""

    template_name = "pages/home.html"

    def get(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("consents:consent_list")
        return super().get(request, *args, **kwargs)


class DisplayNameUpdateView(LoginRequiredMixin, FormView):
    """The person's name: form -> account_display_name_set -> back here with a message."""

    template_name = "accounts/display_name.html"
    form_class = DisplayNameForm
    success_url = reverse_lazy("accounts:display_name")

    def get_initial(self):
        return {"display_name": self.request.user.display_name}

    def form_valid(self, form):
        account_display_name_set(subject=self.request.user, display_name=form.cleaned_data["display_name"])
        messages.success(self.request, _("Your name is saved."))
        return super().form_valid(form)
