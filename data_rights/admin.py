"""The privacy officer's queue of exports and erasures: read-only, with one action (retry a failed job)."""

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.admin import ActionsOnlyAdminMixin
from data_rights.models import DataRequest
from data_rights.services import data_requests_retry

_RETRIED = ngettext_lazy("%(n)s request queued again.", "%(n)s requests queued again.", "n")
_SKIPPED = ngettext_lazy(
    "%(n)s request was not failed and was left as it is.",
    "%(n)s requests were not failed and were left as they are.",
    "n",
)


class OverdueFilter(admin.SimpleListFilter):
    """Past the statutory deadline (30 days) and not finished: what the privacy officer must act on first."""

    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Within deadline or finished"))]

    def queryset(self, request, queryset):
        overdue = Q(deadline__lt=timezone.now()) & ~Q(status__in=DataRequest.FINISHED)
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


@admin.register(DataRequest)
class DataRequestAdmin(ActionsOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "short_id",
        "kind",
        "status",
        "overdue",
        "deadline_on",
        "tries",
        "last_error_shown",
        "subject_shown",
    ]
    list_display_links = ["short_id"]
    list_filter = [OverdueFilter, "kind", "status"]
    search_fields = ["=id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    actions = ["retry"]
    # No subject field, no email, no storage names: a row shows who only as an id, and "erased" once the account is gone.
    fields = readonly_fields = [
        "id",
        "kind",
        "status",
        "subject_shown",
        "created_at",
        "deadline",
        "overdue",
        "started_at",
        "finished_at",
        "attempts",
        "last_error",
        "progress_done",
        "progress_total",
        "archive_size",
        "expires_at",
        "receipt",
    ]

    @admin.display(description=_("request"), ordering="id")
    def short_id(self, obj: DataRequest) -> str:
        return str(obj.pk)[:8]  # the full id is on the detail page; search takes it whole

    @admin.display(description=_("subject"))
    def subject_shown(self, obj: DataRequest) -> str:
        return str(_("erased")) if obj.subject_id is None else f"#{obj.subject_id}"

    @admin.display(description=_("overdue"))
    def overdue(self, obj: DataRequest) -> str:
        # Words, not Django's boolean icons: a red cross on every request that is *not* overdue read as an alarm.
        if obj.is_overdue:
            return format_html('<strong class="overdue">{}</strong>', _("Overdue"))
        return "—"

    # The list shows the day of the deadline (30 days after the request, so the request date adds nothing there);
    # the detail page has both times.
    @admin.display(description=_("deadline"), ordering="deadline")
    def deadline_on(self, obj: DataRequest) -> str:
        return date_format(timezone.localtime(obj.deadline), "DATE_FORMAT")

    @admin.display(description=_("tries"), ordering="attempts")
    def tries(self, obj: DataRequest) -> int:
        return obj.attempts

    @admin.display(description=_("last error"))
    def last_error_shown(self, obj: DataRequest) -> str:
        if not obj.last_error:
            return "—"
        return format_html('<span class="cut" title="{}">{}</span>', obj.last_error, obj.last_error)

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": _("Exports and erasures"), **(extra_context or {})})

    @admin.action(description=_("Retry the selected failed requests"), permissions=["change"])
    def retry(self, request, queryset):
        retried = data_requests_retry(requests=queryset, actor=request.user)
        messages.success(request, _RETRIED % {"n": retried})
        if skipped := queryset.count() - retried:
            messages.info(request, _SKIPPED % {"n": skipped})
