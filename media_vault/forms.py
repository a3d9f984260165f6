"""Forms for the subject's face-upload pages: they validate and shape input, nothing more."""

from collections.abc import Iterable

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consents.models import Purpose
from media_vault.models import FaceUpload


class FaceUploadForm(forms.Form):
    """One photo and the purposes it is collected for. Rule 1 is checked by `upload_ingest`, not here."""

    image = forms.FileField(
        label=_("Photo of your face"),
        error_messages={
            "required": _("Choose a photo to upload."),
            "empty": _("The file is empty."),
        },
    )
    # Not required here: `upload_ingest` is the one gate, and its PurposesRequired becomes this field's error.
    purposes = forms.MultipleChoiceField(
        label=_("What it may be used for"),
        required=False,
        error_messages={"invalid_choice": _("“%(value)s” is not a purpose you can choose.")},
    )

    def __init__(self, *args, purposes: Iterable[Purpose], **kwargs):
        super().__init__(*args, **kwargs)
        # Any active purpose is a well-formed value; the page offers only the granted ones, and a page left
        # open while a consent was withdrawn is refused by the service (ConsentRequired), not by this form.
        self.fields["purposes"].choices = [(p.slug, p.title) for p in purposes]

    def clean_image(self):
        image = self.cleaned_data["image"]
        limit = settings.FACE_UPLOAD_MAX_BYTES
        if image.size > limit:  # from the upload handler's count, before anything reads the file
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB. Choose a smaller photo."),
                code="too_large",
                params={"mb": f"{limit / 1_000_000:g}"},
            )
        return image


class FaceUploadFilterForm(forms.Form):
    """The list's filters, sent with GET so they work as links and without JavaScript."""

    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[
            ("", _("Any source")),
            (FaceUpload.Source.PORTAL, _("You, in the portal")),
            (FaceUpload.Source.PARTNER, _("Connected apps")),
        ],
    )
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)

    def __init__(self, *args, purposes: Iterable[Purpose], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [("", _("Any purpose")), *((p.slug, p.title) for p in purposes)]

    @property
    def is_filtering(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
