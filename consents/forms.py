from django import forms
from django.utils.translation import gettext_lazy as _

from consents.hooks import WithdrawalImpact


class ConsentDecisionForm(forms.Form):
    """One decision for one purpose: grant or withdraw, with the same effort.

    A withdrawal that erases or takes anything down needs the person's confirmation first; the confirming form
    carries what they were shown, so a withdrawal that would now erase more asks again (nothing by surprise).
    """

    decision = forms.ChoiceField(
        choices=[("grant", _("Grant")), ("withdraw", _("Withdraw"))],
        error_messages={
            "required": _("Choose to grant or to withdraw."),
            "invalid_choice": _("Choose to grant or to withdraw."),
        },
    )
    confirmed_uploads = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    confirmed_appearances = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    @property
    def granted(self) -> bool:
        return self.cleaned_data["decision"] == "grant"

    def confirms(self, impact: WithdrawalImpact) -> bool:
        """Whether the person confirmed at least this impact (nothing to confirm when nothing would go)."""
        if not impact.anything:
            return True
        uploads, appearances = self.cleaned_data["confirmed_uploads"], self.cleaned_data["confirmed_appearances"]
        if uploads is None:
            return False
        return impact.within(uploads=uploads, appearances=appearances or 0)


class RestrictionsForm(forms.Form):
    """The subject's likeness restrictions: ticks from the list only, never free text."""

    restrictions = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose only rules from the list.")},
    )

    def __init__(self, *args, restrictions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["restrictions"].choices = [(r.slug, r.title) for r in restrictions]


class ConsentAppDecisionForm(ConsentDecisionForm):
    """Per-app exceptions: one app's answer for one purpose (allow, deny, or follow the decision for all apps), with
    the same confirmation as a withdrawal when its answer turns to no and anything would go."""

    ALLOW, DENY, FOLLOW = "allow", "deny", "follow"
    BACK_TO_APPS = "apps"

    decision = forms.ChoiceField(
        choices=[(ALLOW, _("Allow in this app")), (DENY, _("Not in this app")), (FOLLOW, _("Follow my choice"))],
        error_messages={
            "required": _("Choose what this app may do."),
            "invalid_choice": _("Choose what this app may do."),
        },
    )
    back = forms.ChoiceField(required=False, choices=[("", ""), (BACK_TO_APPS, "")], widget=forms.HiddenInput)

    @property
    def granted(self) -> bool:
        return self.cleaned_data["decision"] == self.ALLOW
