"""The subject's pages for rules 5 to 7: activity across every app, exports, erasure, and the public erasure receipt;
and the home page, which sums up every app for the subject, so it lives in the top app.

Form -> service -> redirect + message, as on the consent pages; htmx only refreshes the export list while
one is being built, and a reload shows the same thing without JavaScript.
"""

from urllib.parse import urlencode

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.decorators import reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from accounts.activity import ActivityCursor
from data_rights.exceptions import ErasureInProgress, ExportInProgress, ExportNotAvailable, InvalidPassword
from data_rights.forms import ActivityFilterForm, ErasureForm
from data_rights.models import DataRequest
from data_rights.selectors import (
    activity_page_for_subject,
    data_request_list_for_subject,
    export_get_for_download,
    export_is_ready,
    export_status_shown,
    home_summary_for_subject,
)
from data_rights.services import erasure_request, export_download_stream, export_request
from partners.selectors import partner_list_for_subject

EXPORTS_SHOWN = 10
ACTIVITY_PER_PAGE = 25
DOWNLOAD_PARAM = "download"  # Your data's query parameter: the export to download once the password is confirmed
DOWNLOAD_SESSION_KEY = "data_rights_download_start"  # that download's URL, for the next full page of Your data


class ActivityView(LoginRequiredMixin, TemplateView):
    """Rule 5 and no surprises: everything that happened with the subject's data, from every app, newest first;
    filtered by kind and app with a GET form, paged with a cursor ("Older"), no JavaScript needed."""

    template_name = "data_rights/activity.html"

    def get_context_data(self, **kwargs):
        filters = ActivityFilterForm(
            self.request.GET, apps=list(partner_list_for_subject(subject=self.request.user).values_list("pk", "name"))
        )
        cursor = ActivityCursor.decode(self.request.GET.get("before"))
        page = activity_page_for_subject(
            subject=self.request.user, limit=ACTIVITY_PER_PAGE, cursor=cursor, **filters.selector_filters()
        )
        return {
            **super().get_context_data(**kwargs),
            "filters": filters,
            "items": page.items,
            "older": page.next_cursor.encode() if page.next_cursor else None,
            "paged": cursor is not None,
        }


def export_list_context(*, subject) -> dict:
    now = timezone.now()
    exports = list(data_request_list_for_subject(subject=subject).filter(kind=DataRequest.Kind.EXPORT)[:EXPORTS_SHOWN])
    for export in exports:
        export.shown_status = export_status_shown(export=export, now=now)
    return {"exports": exports, "export_active": any(e.status in DataRequest.ACTIVE for e in exports)}


def _recently_reauthenticated(request) -> bool:
    """allauth's own check, without its side effect: on a POST it would park the form, password included, in the session."""
    try:
        reauthentication_required(lambda request: None)(request)
    except ReauthenticationRequired:
        return False
    return True


def _reauthenticate_then(request, *, next_url: str) -> HttpResponseRedirect:
    """Ask for the password (or a second factor) as allauth would, and go on to `next_url` afterwards."""
    methods = get_account_adapter().get_reauthentication_methods(request.user)
    confirm = methods[0]["url"] if methods else reverse("account_login")
    return HttpResponseRedirect(f"{confirm}?{urlencode({REDIRECT_FIELD_NAME: next_url})}")


class HomeView(TemplateView):
    """The landing page for visitors; for a signed-in subject, a summary of every app (a welcome when new)."""

    template_name = "pages/home.html"

    def get_template_names(self):
        return ["data_rights/home.html" if self.request.user.is_authenticated else self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_authenticated:
            context["summary"] = home_summary_for_subject(subject=self.request.user, now=timezone.now())
        return context


class YourDataView(LoginRequiredMixin, TemplateView):
    """Exports with their status, and what erasure means; htmx polls the export list while one is built.

    `?download=<id>` is where the password confirmation for a download comes back to: it redirects to the plain
    page, which starts that download once (a meta refresh, no JavaScript) and says so, with a link to try again.
    """

    template_name = "data_rights/your_data.html"

    def get(self, request, *args, **kwargs):
        if request.htmx:
            response = render(request, "data_rights/_export_list.html", export_list_context(subject=request.user))
        elif DOWNLOAD_PARAM in request.GET:
            response = self.download_start(request, request_id=request.GET[DOWNLOAD_PARAM])
        else:
            download = request.session.pop(DOWNLOAD_SESSION_KEY, None)
            response = self.render_to_response(self.get_context_data(download=download))
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **export_list_context(subject=self.request.user)}

    @staticmethod
    def download_start(request, *, request_id) -> HttpResponse:
        try:
            export = export_get_for_download(subject=request.user, request_id=request_id)
        except ExportNotAvailable as error:
            messages.error(request, error.detail)
            return redirect("data_rights:your_data")
        url = reverse("data_rights:export_download", args=[export.pk])
        if not _recently_reauthenticated(request):
            return redirect(url)  # which asks for the password first, then comes back here
        request.session[DOWNLOAD_SESSION_KEY] = url
        messages.success(
            request,
            format_html(
                _(
                    'Password confirmed. Your copy is downloading. If it does not start, <a href="{url}">download it here</a>.'
                ),
                url=url,
            ),
        )
        return redirect("data_rights:your_data")


class ExportCreateView(LoginRequiredMixin, View):
    """Rule 6: ask for an export; one at a time."""

    http_method_names = ["post"]

    def post(self, request):
        try:
            export = export_request(subject=request.user)
        except ExportInProgress as error:
            messages.warning(request, error.detail)
        else:
            # While it is built, the export list itself says so (and stops saying so once it is ready); a message
            # here would outlive the build and sit next to a row marked Ready.
            if export_is_ready(export=export):
                messages.success(request, _("Your copy is ready. Download it below."))
        return redirect("data_rights:your_data")


class ExportDownloadView(LoginRequiredMixin, View):
    """The owner's ready export, after a recent re-authentication; anything else answers 404.

    Without a recent re-authentication it asks for the password and then lands on Your data, which starts the
    download: a file answer to the password form would leave the person on that form, password filled in.
    """

    http_method_names = ["get"]

    def get(self, request, request_id):
        try:
            export = export_get_for_download(subject=request.user, request_id=request_id)
        except ExportNotAvailable as error:
            raise Http404(error.detail) from error
        if not _recently_reauthenticated(request):
            your_data = reverse("data_rights:your_data")
            return _reauthenticate_then(request, next_url=f"{your_data}?{urlencode({DOWNLOAD_PARAM: export.pk})}")
        built = timezone.localdate(export.finished_at or export.created_at)
        response = StreamingHttpResponse(
            export_download_stream(export=export, subject=request.user), content_type="application/zip"
        )
        response["Content-Disposition"] = f'attachment; filename="face-privacy-export-{built.isoformat()}.zip"'
        response["Cache-Control"] = "private, no-store"
        return response


class ErasureConfirmView(LoginRequiredMixin, TemplateView):
    """Rule 7: what goes, then the password; afterwards the subject is signed out and sees the request id.

    The password on this form is the only prompt (the API asks for it too): no re-authentication page before it.
    """

    template_name = "data_rights/erasure_confirm.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ErasureForm()))

    def post(self, request, *args, **kwargs):
        form = ErasureForm(request.POST)
        if form.is_valid():
            try:
                erasure = erasure_request(subject=request.user, password=form.cleaned_data["password"])
            except InvalidPassword as error:
                form.add_error("password", error.detail)
            except ErasureInProgress as error:
                form.add_error(None, error.detail)
            else:
                logout(request)  # the service already ended every stored session; this one's cookie goes too
                return render(request, "data_rights/erasure_requested.html", {"erasure": erasure})
        return self.render_to_response(self.get_context_data(form=form))


class ErasureReceiptView(TemplateView):
    """Public proof of an erasure: id, times, status and counts; nothing that points to the person."""

    template_name = "data_rights/erasure_receipt.html"

    def get_context_data(self, **kwargs):
        erasure = get_object_or_404(DataRequest, pk=kwargs["request_id"], kind=DataRequest.Kind.ERASURE)
        return {**super().get_context_data(**kwargs), "erasure": erasure}
