"""The subject's Appearances page: every appearance from every app, its thumbnail, and a takedown request.

Form -> service -> redirect + message; no JavaScript is needed anywhere.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from appearances.exceptions import AppearanceNotFound
from appearances.forms import AppearanceFilterForm, TakedownForm
from appearances.models import Appearance
from appearances.selectors import (
    OVERDUE,
    appearance_get_for_subject,
    appearance_list_for_subject,
    appearance_partners_for_subject,
    appearance_status_shown,
    appearance_thumbnail_bytes,
)
from appearances.services import appearance_takedown_request
from config.errors import DomainError
from media_vault.responses import image_page_response

STATUS_WORDS = {
    Appearance.Status.LIVE: gettext_lazy("Live"),
    Appearance.Status.TAKEDOWN_REQUESTED: gettext_lazy("Takedown requested"),
    OVERDUE: gettext_lazy("Overdue"),
    Appearance.Status.TAKEN_DOWN: gettext_lazy("Taken down"),
}


def _appearance_or_404(*, request, appearance_id) -> Appearance:
    try:
        return appearance_get_for_subject(subject=request.user, appearance_id=appearance_id)
    except AppearanceNotFound as error:
        raise Http404(str(error)) from error


class AppearanceListView(LoginRequiredMixin, TemplateView):
    template_name = "appearances/appearance_list.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        filters = AppearanceFilterForm(
            self.request.GET or None, apps=appearance_partners_for_subject(subject=self.request.user)
        )
        appearances = appearance_list_for_subject(
            subject=self.request.user, now=now, **(filters.selector_filters() if filters.is_bound else {})
        )
        rows = []
        for appearance in appearances:
            shown = appearance_status_shown(appearance=appearance, now=now)
            rows.append(
                {
                    "appearance": appearance,
                    "status": shown,
                    "status_words": STATUS_WORDS[shown],
                    "purposes": sorted(p.title for p in appearance.purposes.all()),
                }
            )
        return {
            **super().get_context_data(**kwargs),
            "rows": rows,
            "filters": filters,
            "takedown_form": TakedownForm(),
        }


class AppearanceThumbnailView(LoginRequiredMixin, View):
    def get(self, request, appearance_id):
        appearance = _appearance_or_404(request=request, appearance_id=appearance_id)
        if not appearance.thumbnail_object_name:
            raise Http404()
        return image_page_response(read=lambda: appearance_thumbnail_bytes(appearance=appearance))


class AppearanceTakedownView(LoginRequiredMixin, View):
    """POST asks the app that made it to take it down within 48 hours."""

    def post(self, request, appearance_id):
        appearance = _appearance_or_404(request=request, appearance_id=appearance_id)
        form = TakedownForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        try:
            appearance_takedown_request(appearance=appearance, reason=reason)
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                _("%(app)s has been asked to take it down within 48 hours.") % {"app": appearance.partner.name},
            )
        return redirect("appearances:appearance_list")
