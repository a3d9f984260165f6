from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.generic import FormView

from accounts.forms import DisplayNameForm
from accounts.services import account_display_name_set


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
