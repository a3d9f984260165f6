from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from config.errors import DomainError
from consents.selectors import consent_answers_by_app, consent_states_for_subject
from partners.selectors import (
    link_code_live_for_subject,
    link_get_for_subject,
    link_list_for_subject,
    link_scope_meanings_for_subject,
)
from partners.services import link_code_create, link_unlink


class ConnectedAppListView(LoginRequiredMixin, TemplateView):
    """The apps connected to the subject: what each may do, when it last read, whether it was told; and the
    subject's live link code, the same one on every visit until it is used or expires."""

    template_name = "partners/connected_apps.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        links = list(link_list_for_subject(subject=self.request.user))
        rows = consent_states_for_subject(subject=self.request.user)
        by_app = consent_answers_by_app(subject=self.request.user, rows=rows)
        for link in links:
            link.scope_descriptions = link_scope_meanings_for_subject(partner=link.partner)
            # Per-app exceptions: each purpose's answer for this app, with the decision for all apps beside it.
            link.purpose_answers = [
                (row, answer) for row in rows for answer in by_app[row.purpose_slug] if answer.app.link_ref == link.pk
            ]
        live_code = link_code_live_for_subject(subject=self.request.user, now=now)
        return {**super().get_context_data(**kwargs), "links": links, "live_code": live_code, "now": now}


class LinkCodeCreateView(LoginRequiredMixin, View):
    """Make a new link code (ending the earlier one), then show it on the Connected apps page."""

    http_method_names = ["post"]

    def post(self, request):
        replaced = link_code_live_for_subject(subject=request.user) is not None
        link_code_create(subject=request.user)
        if replaced:
            messages.info(request, _("Here is your new code. The code before it no longer works."))
        return redirect("partners:connected_apps")


class LinkDeleteView(LoginRequiredMixin, TemplateView):
    """GET asks for confirmation; POST disconnects the app and tells it."""

    template_name = "partners/link_confirm_delete.html"

    def get(self, request, link_id):
        try:
            link = link_get_for_subject(subject=request.user, link_id=link_id)
        except DomainError as error:
            messages.error(request, error.detail)
            return redirect("partners:connected_apps")
        return self.render_to_response({"link": link})

    def post(self, request, link_id):
        try:
            link = link_unlink(link=link_get_for_subject(subject=request.user, link_id=link_id))
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _("%(app)s is disconnected and has been told.") % {"app": link.partner.name})
        return redirect("partners:connected_apps")
