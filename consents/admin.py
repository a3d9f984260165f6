from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin import AuditedViewMixin, ReadOnlyAdminMixin
from consents.models import ConsentEvent, ConsentException, ConsentState, LikenessRestriction, Purpose, PurposeVersion
from consents.selectors import consent_state_name
from consents.services import purpose_create, purpose_update, restriction_save

_PURPOSE_FIELDS = ("title", "description", "retention_days", "position", "active", "sale_or_sharing")
_UPDATE_FIELDS = (*_PURPOSE_FIELDS, "requires_reconsent", "change_note")


class PurposeAdminForm(forms.ModelForm):
    requires_reconsent = forms.BooleanField(
        label=_("This change requires re-consent"),
        required=False,
        help_text=_(
            "Tick for a material change: grants of earlier versions stop counting until each subject decides again."
        ),
    )
    change_note = forms.CharField(
        label=_("What changed"),
        required=False,
        max_length=500,
        help_text=_("Shown to staff in the version history; say it plainly."),
    )

    class Meta:
        model = Purpose
        fields = ["slug", "title", "description", "retention_days", "active", "position", "sale_or_sharing"]


class PurposeVersionInline(admin.TabularInline):
    model = PurposeVersion
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "version",
        "title",
        "retention_days",
        "requires_reconsent",
        "change_note",
        "published_at",
        "published_by",
    ]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    """Editing the title, description or retention publishes a new version through the service."""

    form = PurposeAdminForm
    list_display = [
        "title",
        "slug",
        "version",
        "min_valid_version",
        "retention_days",
        "active",
        "sale_or_sharing",
        "position",
    ]
    list_filter = ["active", "sale_or_sharing"]
    search_fields = ["slug", "title"]
    readonly_fields = ["version", "min_valid_version"]
    inlines = [PurposeVersionInline]
    actions = None  # no bulk delete: purposes are referenced by the ledger

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = {name: data[name] for name in _PURPOSE_FIELDS}
            obj.pk = purpose_create(slug=data["slug"], actor=request.user, **fields).pk
            return
        version = purpose_update(purpose=obj, actor=request.user, **{name: data[name] for name in _UPDATE_FIELDS})
        if version is not None:
            messages.info(request, _("Published version %(v)s.") % {"v": version.version})
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        form.instance.refresh_from_db()
        super().save_related(request, form, formsets, change)


@admin.register(PurposeVersion)
class PurposeVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["purpose", "version", "requires_reconsent", "published_at", "published_by"]
    list_filter = ["requires_reconsent", "purpose"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("consents.view_purposeversion")


@admin.register(ConsentEvent)
class ConsentEventAdmin(AuditedViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: nobody adds, changes or deletes an event here, superusers included."""

    list_display = ["seq", "created_at", "purpose_slug", "purpose_version", "granted", "scope", "channel", "actor"]
    list_filter = ["channel", "granted", "purpose"]
    search_fields = ["=subject_ref"]
    list_select_related = ["purpose"]
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("consents.view_consentevent")


@admin.register(ConsentState)
class ConsentStateAdmin(AuditedViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subject", "purpose", "state", "purpose_version", "changed_at"]
    list_filter = ["purpose", "granted"]
    search_fields = ["=subject__email"]
    list_select_related = ["subject", "purpose"]

    @admin.display(description=_("state"))
    def state(self, obj: ConsentState) -> str:
        return consent_state_name(state=obj, purpose=obj.purpose)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("consents.view_consentstate")


@admin.register(ConsentException)
class ConsentExceptionAdmin(AuditedViewMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Per-app exceptions, read only: only the subject changes them (page or API)."""

    list_display = ["subject", "purpose", "link_ref", "granted", "purpose_version", "changed_at"]
    list_filter = ["purpose", "granted"]
    search_fields = ["=subject__email"]
    list_select_related = ["subject", "purpose"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("consents.view_consentexception")


@admin.register(LikenessRestriction)
class LikenessRestrictionAdmin(admin.ModelAdmin):
    """The fixed list subjects choose from; a new title or description is a new version (through the service)."""

    list_display = ["title", "slug", "version", "active", "position"]
    list_filter = ["active"]
    fields = ["slug", "title", "description", "version", "active", "position"]
    readonly_fields = ["version"]
    actions = None  # no bulk delete: subjects' choices refer to the list

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "slug"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # retire one by unticking "active"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        restriction_save(
            restriction=obj,
            actor=request.user,
            title=data["title"],
            description=data["description"],
            active=data["active"],
            position=data["position"],
        )
