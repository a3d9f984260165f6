"""Staff see face uploads as blurred previews only; a privacy officer may reveal one, for a written reason."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin
from accounts.models import User
from config.errors import DomainError
from media_vault.exceptions import RevealGrantExpired, RevealGrantNotFound
from media_vault.models import AccessEvent, FaceUpload, RevealGrant
from media_vault.renderings import blurred_preview
from media_vault.responses import image_response
from media_vault.selectors import REVEAL_PERMISSION, reveal_grant_get_valid, upload_image_bytes
from media_vault.services import upload_reveal

_SHOWN_UNTIL = _("Shown until %(t)s UTC. The subject sees this access and your reason.")

# The models' choice labels speak to the subject on the portal's pages ("you, in the portal", "you"); staff read
# about the subject. The stored values and the subject's wording stay as they are.
STAFF_SOURCE_LABELS = {
    FaceUpload.Source.PORTAL: _("the subject, in the portal"),
    FaceUpload.Source.PARTNER: _("an app"),
}
STAFF_ACTOR_LABELS = {
    AccessEvent.ActorKind.SUBJECT: _("the subject"),
    AccessEvent.ActorKind.PARTNER: _("an app"),
    AccessEvent.ActorKind.STAFF: _("privacy staff"),
}
STAFF_ACTION_LABELS = {
    AccessEvent.Action.VIEW: _("viewed the image"),
    AccessEvent.Action.CONTENT: _("downloaded the image"),
    AccessEvent.Action.REVEAL: _("revealed the original"),
    AccessEvent.Action.EXPORT: _("downloaded their export"),
}


def _staff_choice_filter(*, field: str, title: str, labels: dict) -> type[admin.SimpleListFilter]:
    """A list filter on `field` whose choices carry the staff wording in `labels`."""

    class StaffChoiceFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return list(labels.items())

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    StaffChoiceFilter.title = title
    return StaffChoiceFilter


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see the original?"),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The subject sees this reason on their Activity page."),
    )

    def __init__(self, *args, upload: FaceUpload, staff: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload, self.staff = upload, staff

    def reveal(self) -> RevealGrant | None:
        """The grant for a valid reason; None, with the refusal on the form, otherwise."""
        if not self.is_valid():
            return None
        try:
            return upload_reveal(upload=self.upload, staff=self.staff, reason=self.cleaned_data["reason"])
        except DomainError as error:
            self.add_error("reason", error.detail)
            return None


@admin.register(FaceUpload)
class FaceUploadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["blurred", "short_id", "source_shown", "faces", "created_at", "retention_until", "status"]
    list_display_links = ["short_id"]
    list_filter = [
        _staff_choice_filter(field="source", title=_("source"), labels=STAFF_SOURCE_LABELS),
        "status",
        "partner",
    ]
    list_select_related = ["partner"]
    search_fields = ["=id"]
    fields = [
        "preview",
        "id",
        "source_shown",
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

    @admin.display(description=_("blurred"))
    def blurred(self, obj: FaceUpload) -> str:
        return self.preview(obj)  # the same image, under a header short enough for the list

    @admin.display(description=_("upload"))
    def short_id(self, obj: FaceUpload) -> str:
        return format_html('<span title="{}">{}</span>', obj.pk, str(obj.pk)[:8])  # search takes the whole id

    @admin.display(description=_("source"), ordering="source")
    def source_shown(self, obj: FaceUpload) -> str:
        label = STAFF_SOURCE_LABELS.get(obj.source, obj.source)
        if obj.partner_id is None:
            return label
        return format_html('{}: <span class="cut" title="{}">{}</span>', label, obj.partner.name, obj.partner.name)

    @admin.display(description=_("faces"), ordering="faces_detected")
    def faces(self, obj: FaceUpload) -> int:
        return obj.faces_detected

    @admin.display(description=_("original"))
    def reveal_link(self, obj: FaceUpload) -> str:
        url = reverse("admin:media_vault_faceupload_reveal", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Reveal the original (needs a reason)"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:upload_id>/blurred/", view(self.blurred_view), name="media_vault_faceupload_blurred"),
            path("<uuid:upload_id>/reveal/", view(self.reveal_view), name="media_vault_faceupload_reveal"),
            path(
                "reveal/<int:grant_id>/image/",
                view(self.revealed_image_view),
                name="media_vault_faceupload_revealed_image",
            ),
            *super().get_urls(),
        ]

    def blurred_view(self, request, upload_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = get_object_or_404(FaceUpload, pk=upload_id)
        return image_response(data=blurred_preview(upload=upload), content_type="image/jpeg")

    def reveal_view(self, request, upload_id):
        if not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        upload = get_object_or_404(FaceUpload, pk=upload_id)
        form = RevealForm(request.POST or None, upload=upload, staff=request.user)
        grant = form.reveal() if request.method == "POST" else None
        if grant is not None:
            messages.warning(request, _SHOWN_UNTIL % {"t": f"{grant.expires_at:%H:%M}"})
        context = self.admin_site.each_context(request)
        context.update(title=_("Reveal a face upload"), upload=upload, form=form, grant=grant, opts=self.opts)
        return TemplateResponse(request, "admin/media_vault/reveal.html", context)

    def revealed_image_view(self, request, grant_id):
        try:
            grant = reveal_grant_get_valid(grant_id=grant_id, staff=request.user)
        except RevealGrantNotFound as error:
            raise Http404 from error
        except RevealGrantExpired as error:
            raise PermissionDenied from error
        return image_response(data=upload_image_bytes(upload=grant.upload), content_type=grant.upload.content_type)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("media_vault.view_faceupload")


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "who", "what", "partner", "staff", "upload_ref"]
    list_filter = [
        _staff_choice_filter(field="actor_kind", title=_("who"), labels=STAFF_ACTOR_LABELS),
        _staff_choice_filter(field="action", title=_("what"), labels=STAFF_ACTION_LABELS),
    ]
    list_select_related = ["partner", "staff"]
    fields = readonly_fields = [
        "created_at",
        "who",
        "what",
        "reason",
        "partner",
        "staff",
        "subject",
        "upload",
        "upload_ref",
    ]

    @admin.display(description=_("who"), ordering="actor_kind")
    def who(self, obj: AccessEvent) -> str:
        return STAFF_ACTOR_LABELS.get(obj.actor_kind, obj.actor_kind)

    @admin.display(description=_("what"), ordering="action")
    def what(self, obj: AccessEvent) -> str:
        return STAFF_ACTION_LABELS.get(obj.action, obj.action)
