"""Staff see face uploads as blurred previews only; a privacy officer may reveal one, for a written reason."""

import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFilter

from accounts.admin import ReadOnlyAdminMixin
from config.errors import DomainError
from media_vault.models import AccessEvent, FaceUpload, RevealGrant
from media_vault.responses import image_response
from media_vault.selectors import upload_image_bytes
from media_vault.services import upload_reveal

REVEAL_PERMISSION = "media_vault.reveal_faceupload"


def blurred_preview(*, upload: FaceUpload) -> bytes:
    """A preview no one can recognise a face in: the thumbnail, heavily blurred."""
    image = Image.open(io.BytesIO(upload_image_bytes(upload=upload, thumbnail=True))).convert("RGB")
    image = image.filter(ImageFilter.GaussianBlur(radius=max(image.size) / 12))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see the original?"),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The subject sees this reason on their Activity page."),
    )


@admin.register(FaceUpload)
class FaceUploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["preview", "id", "source", "partner", "faces_detected", "created_at", "retention_until", "status"]
    list_filter = ["source", "status", "partner"]
    list_select_related = ["partner"]
    search_fields = ["=id"]
    fields = [
        "preview",
        "id",
        "source",
        "partner",
        "width",
        "height",
        "format",
        "size_bytes",
        "sha256",
        "faces_detected",
        "created_at",
        "retention_until",
        "status",
        "reveal_link",
    ]
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description=_("preview (blurred)"))
    def preview(self, obj: FaceUpload) -> str:
        url = reverse("admin:media_vault_faceupload_blurred", args=[obj.pk])
        return format_html(
            '<img src="{}" alt="{}" width="96" height="96" class="blurred-preview">', url, _("blurred preview")
        )

    @admin.display(description=_("original"))
    def reveal_link(self, obj: FaceUpload) -> str:
        url = reverse("admin:media_vault_faceupload_reveal", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Reveal the original (needs a reason)"))

    def get_urls(self):
        own = [
            path(
                "<uuid:upload_id>/blurred/",
                self.admin_site.admin_view(self.blurred_view),
                name="media_vault_faceupload_blurred",
            ),
            path(
                "<uuid:upload_id>/reveal/",
                self.admin_site.admin_view(self.reveal_view),
                name="media_vault_faceupload_reveal",
            ),
            path(
                "reveal/<int:grant_id>/image/",
                self.admin_site.admin_view(self.revealed_image_view),
                name="media_vault_faceupload_revealed_image",
            ),
        ]
        return own + super().get_urls()

    def blurred_view(self, request, upload_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = get_object_or_404(FaceUpload, pk=upload_id)
        return image_response(data=blurred_preview(upload=upload), content_type="image/jpeg")

    def reveal_view(self, request, upload_id):
        if not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        upload = get_object_or_404(FaceUpload, pk=upload_id)
        form = RevealForm(request.POST or None)
        grant = None
        if request.method == "POST" and form.is_valid():
            try:
                grant = upload_reveal(upload=upload, staff=request.user, reason=form.cleaned_data["reason"])
            except DomainError as error:
                form.add_error("reason", error.detail)
            else:
                messages.warning(
                    request,
                    _("Shown until %(t)s UTC. The subject sees this access and your reason.")
                    % {"t": f"{grant.expires_at:%H:%M}"},
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reveal a face upload"),
            "upload": upload,
            "form": form,
            "grant": grant,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/media_vault/reveal.html", context)

    def revealed_image_view(self, request, grant_id):
        grant = get_object_or_404(RevealGrant.objects.select_related("upload"), pk=grant_id, staff=request.user)
        if grant.expires_at <= timezone.now() or not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        return image_response(data=upload_image_bytes(upload=grant.upload), content_type=grant.upload.content_type)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("media_vault.view_faceupload")


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor_kind", "action", "partner", "staff", "upload_ref"]
    list_filter = ["actor_kind", "action"]
    list_select_related = ["partner", "staff"]
