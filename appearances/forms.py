"""The Appearances page's forms: its filters (GET) and the takedown request (POST)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from appearances.models import Appearance
from appearances.selectors import OVERDUE


class AppearanceFilterForm(forms.Form):
    """The list's filters, sent with GET so they work as links and without JavaScript."""

    app = forms.TypedChoiceField(label=_("App"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any status")),
            (Appearance.Status.LIVE, _("Live")),
            (Appearance.Status.TAKEDOWN_REQUESTED, _("Takedown requested")),
            (OVERDUE, _("Overdue")),
            (Appearance.Status.TAKEN_DOWN, _("Taken down")),
        ],
    )

    def __init__(self, *args, apps: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["app"].choices = [("", _("Any app")), *apps]

    @property
    def is_filtering(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())

    def selector_filters(self) -> dict:
        """The filters as `appearance_list_for_subject` takes them; a value that is not valid filters nothing."""
        wanted = self.cleaned_data if self.is_valid() else {}
        return {"partner_id": wanted.get("app") or None, "status": wanted.get("status") or ""}


class TakedownForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason (optional)"),
        required=False,
        choices=[("", _("No reason given")), *Appearance.TakedownReason.choices],
    )
