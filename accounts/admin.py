from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import StaffAction, User
from accounts.services import staff_action_log


class ReadOnlyAdminMixin:
    """For records nobody may write from admin, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


class ActionsOnlyAdminMixin:
    """Records nobody edits, whose list still offers actions (retry, redeliver) to those with the change permission.

    A single record is then shown read-only, with no Save buttons: Django offers them whenever the change
    permission holds for the record, even when every field is read-only.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)


class AuditedViewMixin:
    """Rule 8: opening a record that holds personal data writes a staff audit row."""

    audit_subject_field = "subject"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        # Only a view that will be shown is logged: a refused attempt (403) is not a view.
        if obj is not None and request.method == "GET" and self.has_view_or_change_permission(request, obj):
            subject = obj if isinstance(obj, User) else getattr(obj, self.audit_subject_field, None)
            staff_action_log(
                actor=request.user,
                kind=StaffAction.Kind.VIEW,
                subject=subject,
                target=f"{obj._meta.label}:{obj.pk}",
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(User)
class UserAdmin(AuditedViewMixin, DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email"]
    readonly_fields = ["ledger_ref", "date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name", "ledger_ref"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor", "kind", "target", "subject"]
    list_filter = ["kind"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "subject"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("accounts.view_staffaction")
