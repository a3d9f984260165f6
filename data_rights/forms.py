from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureForm(forms.Form):
    """Only shapes the input: the password is checked by `erasure_request`, which owns the rule."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("We ask for it so that nobody else can close your account from an open browser."),
    )
