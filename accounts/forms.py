from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class DisplayNameForm(forms.Form):
    """Only shapes the input; `account_display_name_set` stores it."""

    display_name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=User._meta.get_field("display_name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("What the portal calls you. Leave it empty to be called by your email address. Apps never see it."),
    )
