from django import forms
from django.utils.translation import gettext_lazy as _


class ConsentDecisionForm(forms.Form):
    """One decision for one purpose: grant or withdraw, with the same effort."""

    decision = forms.ChoiceField(
        choices=[("grant", _("Grant")), ("withdraw", _("Withdraw"))],
        error_messages={
            "required": _("Choose to grant or to withdraw."),
            "invalid_choice": _("Choose to grant or to withdraw."),
        },
    )

    @property
    def granted(self) -> bool:
        return self.cleaned_data["decision"] == "grant"
