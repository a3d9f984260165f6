"""The subject's pages for face uploads (rule 5): list and upload, detail, images, delete.

Form -> service -> redirect + message, as on the consent pages; no JavaScript is needed anywhere.
"""

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from consents.exceptions import DomainError
from consents.selectors import purpose_list_active, purposes_granted_for_subject
from media_vault.exceptions import StorageUnavailable, UploadNotFound
from media_vault.forms import FaceUploadFilterForm, FaceUploadForm
from media_vault.models import AccessEvent, FaceUpload
from media_vault.renderings import faces_drawn
from media_vault.responses import image_response
from media_vault.selectors import (
    ACCESS_PREVIEW,
    access_groups_for_upload,
    no_face_questions_for_subject,
    upload_get_for_subject,
    upload_image_bytes,
    upload_label,
    upload_list_for_subject,
    uploads_with_access_groups,
)
from media_vault.services import upload_access_record, upload_erase_or_defer, upload_ingest, upload_keep_without_face

UPLOADS_PER_PAGE = 12
EVENTS_PER_PAGE = 25
NO_FACE_QUESTIONS = 5  # uploads without a face asked about at the top of the list; the rest wait their turn


def _upload_or_404(*, request, upload_id) -> FaceUpload:
    """The signed-in subject's own upload; anyone else's answers 404, exactly like a missing one."""
    try:
        return upload_get_for_subject(subject=request.user, upload_id=upload_id)
    except UploadNotFound as error:
        raise Http404(error.detail) from error


def _stored_message(*, upload: FaceUpload) -> tuple[int, str]:
    """What the list page says after an upload: how many faces the photo holds; a warning when none."""
    if not upload.faces_detected:
        return messages.WARNING, _("Your photo is stored, but we found no face in it. Choose below whether to keep it.")
    return messages.SUCCESS, ngettext(
        "Your photo is stored. We found %(count)s face in it.",
        "Your photo is stored. We found %(count)s faces in it.",
        upload.faces_detected,
    ) % {"count": upload.faces_detected}


def _erase_message(*, upload: FaceUpload, erased: bool) -> tuple[int, str]:
    """What the list page says after a delete: erased (and the app told), or hidden while storage is away."""
    values = {"photo": upload_label(upload=upload)}
    if not erased:
        text = _("“%(photo)s” is hidden and being erased. Storage did not answer, so we finish it shortly.")
        return messages.WARNING, text % values
    if upload.partner_id:
        text = _("“%(photo)s” is erased, and %(app)s has been told to delete its copy.")
        return messages.SUCCESS, text % {**values, "app": upload.partner.name}
    return messages.SUCCESS, _("“%(photo)s” is erased.") % values


class FaceUploadListView(LoginRequiredMixin, TemplateView):
    """Every upload tied to the subject, filtered and paged in a fixed number of queries; and the upload form."""

    template_name = "media_vault/upload_list.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.page_context(upload_form=None))

    def post(self, request, *args, **kwargs):
        purposes = list(purpose_list_active())
        form = FaceUploadForm(request.POST, request.FILES, purposes=purposes)
        if form.is_valid():
            chosen = form.cleaned_data["purposes"]
            try:
                upload = upload_ingest(
                    subject=request.user, data=form.cleaned_data["image"].read(), purpose_slugs=chosen
                )
            except FaceUploadForm.INGEST_REFUSALS as error:
                form.add_ingest_error(error, granted=purposes_granted_for_subject(subject=request.user))
            else:
                messages.add_message(request, *_stored_message(upload=upload))
                return redirect("media_vault:upload_list")
        return self.render_to_response(self.page_context(upload_form=form, purposes=purposes))

    def page_context(self, *, upload_form: FaceUploadForm | None, purposes=None) -> dict:
        purposes = purposes if purposes is not None else list(purpose_list_active())
        granted = purposes_granted_for_subject(subject=self.request.user)
        filters = FaceUploadFilterForm(self.request.GET, purposes=purposes)
        uploads = upload_list_for_subject(subject=self.request.user, **filters.selector_filters())
        page = Paginator(uploads, UPLOADS_PER_PAGE).get_page(self.request.GET.get("page"))
        upload_form = upload_form or FaceUploadForm(purposes=purposes)
        return self.get_context_data(
            page=page,
            uploads=uploads_with_access_groups(uploads=page.object_list),
            no_face=no_face_questions_for_subject(subject=self.request.user, limit=NO_FACE_QUESTIONS),
            access_preview=ACCESS_PREVIEW,
            filters=filters,
            upload_form=upload_form,
            granted_purposes=[p for p in purposes if p.slug in granted],
            checked_purposes=set(upload_form["purposes"].value() or []),
            max_upload_mb=f"{settings.FACE_UPLOAD_MAX_BYTES / 1_000_000:g}",
        )


class FaceUploadDetailView(LoginRequiredMixin, TemplateView):
    """One upload: the photo with the faces boxed, what is known about it, and every read of it."""

    template_name = "media_vault/upload_detail.html"

    def get_context_data(self, **kwargs):
        upload = _upload_or_404(request=self.request, upload_id=kwargs["upload_id"])
        history = access_groups_for_upload(upload=upload)
        return {**super().get_context_data(**kwargs), "upload": upload, "history": history}


class FaceUploadKeepView(LoginRequiredMixin, View):
    """The subject keeps an upload in which no face was found; the question is not asked again."""

    http_method_names = ["post"]

    def post(self, request, upload_id):
        upload = upload_keep_without_face(upload=_upload_or_404(request=request, upload_id=upload_id))
        messages.success(
            request, _("“%(photo)s” stays. We will not ask about it again.") % {"photo": upload_label(upload=upload)}
        )
        if request.POST.get("return_to") == "detail":
            return redirect("media_vault:upload_detail", upload_id=upload.pk)
        return redirect("media_vault:upload_list")


class _FaceImageView(LoginRequiredMixin, View):
    """Serves one image of the subject's own upload, never cached, and records the read when it shows a face."""

    http_method_names = ["get"]
    records_view = True

    def get(self, request, upload_id):
        upload = _upload_or_404(request=request, upload_id=upload_id)
        try:
            data, content_type = self.image_for(upload)
        except (DomainError, StorageUnavailable) as error:
            # An image that is gone (erased key, missing object) is a 404; a storage outage answers 503.
            status = getattr(error, "status", HTTPStatus.SERVICE_UNAVAILABLE)
            if status == HTTPStatus.NOT_FOUND:
                raise Http404(str(error)) from error
            return HttpResponse(status=status)
        if self.records_view:
            upload_access_record(
                upload=upload, actor_kind=AccessEvent.ActorKind.SUBJECT, action=AccessEvent.Action.VIEW
            )
        return image_response(data=data, content_type=content_type)

    def image_for(self, upload: FaceUpload) -> tuple[bytes, str]:
        raise NotImplementedError


class FaceUploadThumbnailView(_FaceImageView):
    # Not recorded: the list shows every thumbnail on each visit, which would drown the real views
    # (the full image and the boxed one) in the subject's Activity page.
    records_view = False

    def image_for(self, upload: FaceUpload) -> tuple[bytes, str]:
        return upload_image_bytes(upload=upload, thumbnail=True), "image/jpeg"


class FaceUploadImageView(_FaceImageView):
    def image_for(self, upload: FaceUpload) -> tuple[bytes, str]:
        return upload_image_bytes(upload=upload), upload.content_type


class FaceUploadAnnotatedView(_FaceImageView):
    def image_for(self, upload: FaceUpload) -> tuple[bytes, str]:
        return faces_drawn(data=upload_image_bytes(upload=upload), boxes=upload.face_boxes), "image/jpeg"


class FaceUploadDeleteView(LoginRequiredMixin, TemplateView):
    """GET asks for confirmation; POST erases the upload everywhere and tells the app that uploaded it."""

    template_name = "media_vault/upload_confirm_delete.html"

    def get_context_data(self, **kwargs):
        upload = _upload_or_404(request=self.request, upload_id=kwargs["upload_id"])
        return {**super().get_context_data(**kwargs), "upload": upload}

    def post(self, request, upload_id):
        upload = _upload_or_404(request=request, upload_id=upload_id)
        erased = upload_erase_or_defer(upload_id=upload.pk)
        messages.add_message(request, *_erase_message(upload=upload, erased=erased))
        return redirect("media_vault:upload_list")
