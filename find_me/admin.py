"""Staff see sightings read-only, as a queue of removals past their deadline, and never any face data.

Face templates are not registered (they have no permissions at all: nobody, not even a superuser, sees one), nor are
the compared-upload notes. A sighting is shown without its subject (as appearances are), without the face's box,
the distance or any picture: what the privacy team needs to chase an app is the app, the upload's id at that app,
the status and the deadline. As for appearances, opening one writes no staff audit row: the row would name the
person's account, and tie them to the sighting for anyone reading the staff log, when the page itself does not.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdminMixin
from find_me.exceptions import RemovalNotForStaff
from find_me.models import Sighting
from find_me.selectors import OVERDUE, REMOVED, sighting_similarity, sighting_status_shown, sightings_overdue
from find_me.services import sighting_photo_remove_by_staff
from find_me.similarity import LIKELY, VERY_LIKELY

# The selectors' words speak to the person found ("you said it is not you"); staff read about them.
STAFF_STATUS_WORDS = {
    Sighting.Status.FOUND: _("new: not answered yet"),
    Sighting.Status.NOT_ME: _("dismissed: the person said it is not them"),
    Sighting.Status.REMOVAL_REQUESTED: _("removal requested"),
    OVERDUE: _("removal overdue"),
    REMOVED: _("removed: the photo is gone"),
}
STAFF_SIMILARITY_WORDS = {VERY_LIKELY: _("very likely"), LIKELY: _("likely")}


class OverdueFilter(admin.SimpleListFilter):
    title = _("removal")
    parameter_name = "removal"

    def lookups(self, request, model_admin):
        return [(OVERDUE, _("overdue"))]

    def queryset(self, request, queryset):
        if self.value() == OVERDUE:
            return queryset.filter(pk__in=sightings_overdue().values("pk"))
        return queryset


class StatusShownFilter(admin.SimpleListFilter):
    """By the status a person sees: the stored one, or removed once the photo is gone."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(code, STAFF_STATUS_WORDS[code]) for code in (*Sighting.Status.values, REMOVED)]

    def queryset(self, request, queryset):
        if self.value() == REMOVED:
            return queryset.filter(upload__isnull=True)
        if self.value() in Sighting.Status.values:
            return queryset.filter(status=self.value(), upload__isnull=False)
        return queryset


@admin.register(Sighting)
class SightingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["found_at", "status_shown", "partner", "removal_due_at"]
    list_filter = [OverdueFilter, StatusShownFilter, "partner"]
    list_select_related = ["partner"]
    ordering = ["removal_due_at", "-found_at"]
    search_fields = ["=id", "=upload_ref"]
    # Explicit, so that a field added to the model later is not shown by default.
    fields = readonly_fields = [
        "id",
        "found_at",
        "partner",
        "upload_ref",
        "similarity",
        "status_shown",
        "answered_at",
        "removal_due_at",
    ]
    show_full_result_count = False
    actions = ["remove_portal_photos"]

    def get_actions(self, request):
        # ReadOnlyAdminMixin offers none; this one action is for those allowed to remove portal photos.
        return admin.ModelAdmin.get_actions(self, request)

    def has_remove_portal_photo_permission(self, request) -> bool:
        return request.user.has_perm("find_me.remove_portal_photo")

    @admin.action(
        description=_("Remove the photos (uploaded in the portal) that the people found asked to be removed from"),
        permissions=["remove_portal_photo"],
    )
    def remove_portal_photos(self, request, queryset):
        """ "Remove me" for a photo no app holds: the privacy team erases it, as the app would have."""
        removed = refused = 0
        for sighting in queryset.select_related("upload"):
            try:
                removed += sighting_photo_remove_by_staff(sighting=sighting, staff=request.user)
            except RemovalNotForStaff:
                refused += 1
        if removed:
            messages.success(request, _("%(n)s photo(s) removed.") % {"n": removed})
        if refused:
            messages.warning(
                request,
                _(
                    "%(n)s skipped: only a photo uploaded in the portal whose removal was asked for is removed here; "
                    "an app's photo is the app's to delete."
                )
                % {"n": refused},
            )

    @admin.display(description=_("status"))
    def status_shown(self, obj: Sighting) -> str:
        code = sighting_status_shown(sighting=obj, now=timezone.now())
        return str(STAFF_STATUS_WORDS.get(code, code))

    @admin.display(description=_("how alike"))
    def similarity(self, obj: Sighting) -> str:
        code = sighting_similarity(sighting=obj)
        return str(STAFF_SIMILARITY_WORDS.get(code, code))

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("find_me.view_sighting")
