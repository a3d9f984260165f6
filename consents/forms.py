from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consents.hooks import WithdrawalImpact
from consents.services import expiry_latest

# A grant "until a day" ends at the last second of that day in the site's time zone (TIME_ZONE).
EXPIRY_END_OF_DAY = time(23, 59, 59)


def expiry_end_of_day(day: date) -> datetime:
    """The moment a grant "until `day`" ends: the end of that day in the site's time zone."""
    return datetime.combine(day, EXPIRY_END_OF_DAY, tzinfo=timezone.get_current_timezone())


def expiry_days_offered(*, now: datetime) -> tuple[date, date]:
    """The first and last day the date picker offers: a hint only, consents.services.expiry_validate decides."""
    latest = timezone.localtime(expiry_latest(now=now))
    last = latest.date() if expiry_end_of_day(latest.date()) <= latest else latest.date() - timedelta(days=1)
    return timezone.localtime(now).date(), last


class Duration:
    """The ways a grant can last, as the consent page offers them."""

    OPEN, DAYS_7, DAYS_30, UNTIL_DAY = "open", "7d", "30d", "until"
    DAYS = {DAYS_7: 7, DAYS_30: 30}
    CHOICES = [
        (OPEN, _("Until you withdraw it")),
        (DAYS_7, _("For 7 days")),
        (DAYS_30, _("For 30 days")),
        (UNTIL_DAY, _("Until a day you choose")),
    ]


class ImpactConfirmationForm(forms.Form):
    """Nothing erased by surprise: a decision that erases or takes anything down carries what the person was shown
    and agreed to, so one that would now erase more asks again."""

    confirmed_uploads = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    confirmed_appearances = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def confirms(self, impact: WithdrawalImpact) -> bool:
        """Whether the person confirmed at least this impact (nothing to confirm when nothing would go)."""
        if not impact.anything:
            return True
        uploads, appearances = self.cleaned_data["confirmed_uploads"], self.cleaned_data["confirmed_appearances"]
        if uploads is None:
            return False
        return impact.within(uploads=uploads, appearances=appearances or 0)


class ConsentDecisionForm(ImpactConfirmationForm):
    """One decision for one purpose: grant or withdraw, with the same effort; a grant may say how long it lasts.

    A withdrawal that erases or takes anything down needs the person's confirmation first; the confirming form
    carries what they were shown, so a withdrawal that would now erase more asks again (nothing by surprise).

    How long a grant lasts is only shaped here into a moment (`expires_at`); whether that moment is allowed is
    consents.services.expiry_validate's rule, which consent_decide applies. An ambiguous choice (a day without
    "until a day you choose", or that option without a day) is refused, never guessed.
    """

    decision = forms.ChoiceField(
        choices=[("grant", _("Grant")), ("withdraw", _("Withdraw"))],
        error_messages={
            "required": _("Choose to grant or to withdraw."),
            "invalid_choice": _("Choose to grant or to withdraw."),
        },
    )
    duration = forms.ChoiceField(
        required=False,  # a form without the choice (a withdrawal, the confirmation) means "until withdrawn"
        choices=Duration.CHOICES,
        error_messages={"invalid_choice": _("Choose how long your consent lasts.")},
    )
    until = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],  # what <input type="date"> sends: no guessing between day and month
        error_messages={"invalid": _("Enter the last day as a real date, as year-month-day (for example 2026-12-31).")},
    )

    def clean(self):
        cleaned = super().clean()
        if self.expiry_errors:
            return cleaned
        duration, until = cleaned.get("duration") or Duration.OPEN, cleaned.get("until")
        if duration == Duration.UNTIL_DAY and until is None:
            self.add_error("until", _("Choose the last day, or another option."))
        elif duration != Duration.UNTIL_DAY and until is not None:
            self.add_error(
                "until", _("You entered a last day: choose “Until a day you choose” to use it, or clear it.")
            )
        return cleaned

    @property
    def granted(self) -> bool:
        return self.cleaned_data["decision"] == "grant"

    @property
    def expiry_errors(self) -> list[str]:
        """What is wrong with how long the grant should last (shown at that question, not as a page error)."""
        return [*self.errors.get("duration", []), *self.errors.get("until", [])]

    def expires_at(self, *, now: datetime) -> datetime | None:
        """When the grant ends, or None for "until you withdraw it"."""
        duration = self.cleaned_data.get("duration") or Duration.OPEN
        if duration in Duration.DAYS:
            return now + timedelta(days=Duration.DAYS[duration])
        if duration == Duration.UNTIL_DAY:
            return expiry_end_of_day(self.cleaned_data["until"])
        return None


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


class ConsentAppDecisionForm(ImpactConfirmationForm):
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
