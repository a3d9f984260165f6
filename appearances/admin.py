"""Staff see appearances read-only, with the takedowns past their deadline as a queue."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appearances.models import Appearance
from appearances.selectors import OVERDUE, appearance_status_shown, appearances_overdue


class OverdueFilter(admin.SimpleListFilter):
    title = _("takedown")
    parameter_name = "takedown"

    def lookups(self, request, model_admin):
        return [(OVERDUE, _("overdue"))]

    def queryset(self, request, queryset):
        if self.value() == OVERDUE:
            return queryset.filter(pk__in=appearances_overdue().values("pk"))
        return queryset


@admin.register(Appearance)
class AppearanceAdmin(admin.ModelAdmin):
    list_display = ("id", "partner", "kind", "made_by", "status_shown", "takedown_due_at", "created_at")
    list_filter = (OverdueFilter, "status", "kind", "made_by", "partner")
    search_fields = ("id", "content_sha256", "c2pa_manifest_id")
    ordering = ("takedown_due_at", "-created_at")
    exclude = ("subject",)

    @admin.display(description=_("status"))
    def status_shown(self, obj: Appearance) -> str:
        return appearance_status_shown(appearance=obj, now=timezone.now())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
