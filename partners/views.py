from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from config.errors import DomainError
from partners.models import SCOPE_MEANING_FOR_SUBJECT
from partners.selectors import link_get_for_subject, link_list_for_subject
from partners.services import link_code_create, link_unlink


class ConnectedAppListView(LoginRequiredMixin, TemplateView):
    """The apps connected to the subject: what each may do, when it last read, whether it was told."""

    template_name = "partners/connected_apps.html"

    def get_context_data(self, **kwargs):
        links = list(link_list_for_subject(subject=self.request.user))
        for link in links:
            link.scope_descriptions = [SCOPE_MEANING_FOR_SUBJECT[s] for s in link.partner.scopes]
        return {**super().get_context_data(**kwargs), "links": links}


class LinkCodeCreateView(LoginRequiredMixin, View):
    """Make a link code and show it once, on a page of its own (no JavaScript needed)."""

    http_method_names = ["post"]

    def post(self, request):
        link_code, code = link_code_create(subject=request.user)
        return render(request, "partners/link_code.html", {"code": code, "expires_at": link_code.expires_at})


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
