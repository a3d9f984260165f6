from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from config.errors import DomainError
from consents.forms import ConsentDecisionForm
from consents.models import Channel, ConsentStateName
from consents.selectors import consent_history_for_subject, consent_states_for_subject
from consents.services import consent_decide


def consent_page_context(*, subject) -> dict:
    statuses = consent_states_for_subject(subject=subject)
    return {
        "statuses": statuses,
        "reconsent_needed": [s for s in statuses if s.state == ConsentStateName.RECONSENT_REQUIRED],
        "history": consent_history_for_subject(subject=subject)[:100],
    }


class ConsentListView(LoginRequiredMixin, TemplateView):
    """Every purpose in plain language, its state, one control to change it, and the history."""

    template_name = "consents/consent_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **consent_page_context(subject=self.request.user)}


def _decided_message(event) -> str:
    """What the page says after a decision: the purpose in words and where it now stands."""
    verb = _("granted") if event.granted else _("withdrawn")
    return _("“%(title)s” is now %(verb)s.") % {"title": event.purpose.title, "verb": verb}


class ConsentDecideView(LoginRequiredMixin, View):
    """Form post -> consent_decide -> redirect with a message; htmx gets the updated section instead."""

    http_method_names = ["post"]

    def post(self, request, purpose: str):
        form = ConsentDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.errors["decision"][0])
            return self.consent_page_or_section(request)
        subject = request.user
        try:
            event = consent_decide(
                subject=subject, purpose_slug=purpose, granted=form.granted, channel=Channel.WEB, actor=subject
            )
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _decided_message(event))
        return self.consent_page_or_section(request)

    def consent_page_or_section(self, request):
        """htmx swaps in the updated section; without JavaScript the browser goes back to the page."""
        if request.htmx:
            return render(request, "consents/_consent_main.html", consent_page_context(subject=request.user))
        return redirect(reverse("consents:consent_list"))
