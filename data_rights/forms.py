from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.activity import ActivityKind


class ErasureForm(forms.Form):
    """Only shapes the input: the password is checked by `erasure_request`, which owns the rule."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("We ask for it so that nobody else can close your account from an open browser."),
    )


class ActivityFilterForm(forms.Form):
    """The Activity page's filters (GET): one kind of activity, one app. An unknown value shows everything."""

    kind = forms.ChoiceField(label=_("What"), required=False)
    app = forms.TypedChoiceField(label=_("App"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, apps: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("Everything")), *ActivityKind.CHOICES]
        self.fields["app"].choices = [("", _("Every app and the portal")), *apps]

    def selector_filters(self) -> dict:
        """The filters as `activity_page_for_subject` takes them; a value that is not valid filters nothing."""
        self.is_valid()  # cleaned_data keeps every field that is valid, even when another one is not
        return {"kind": self.cleaned_data.get("kind") or None, "partner_id": self.cleaned_data.get("app")}

    @property
    def is_filtering(self) -> bool:
        return any(value is not None for value in self.selector_filters().values())
