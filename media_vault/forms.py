"""Forms for the subject's face-upload pages: they validate and shape input, and put the service's refusals
next to the field they are about; nothing more."""

from collections.abc import Collection, Iterable

from django import forms
from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from consents.exceptions import ConsentRequired
from consents.models import Purpose
from media_vault.exceptions import ImageTooLarge, InvalidImage, PurposesRequired, StorageUnavailable
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

    # The refusals of `upload_ingest` that the page shows on the form; anything else is a server error.
    INGEST_REFUSALS = (ConsentRequired, PurposesRequired, InvalidImage, ImageTooLarge, StorageUnavailable)

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

    def add_ingest_error(self, error: DomainError, *, granted: Collection[str]) -> None:
        """Show a refusal of `upload_ingest` at the field it is about, in the page's own words."""
        if isinstance(error, ConsentRequired):
            self.add_error("purposes", self._not_granted_message(granted=granted) or error.detail)
        elif isinstance(error, PurposesRequired):
            self.add_error("purposes", gettext("Choose at least one purpose: nothing is kept without one."))
        elif isinstance(error, InvalidImage | ImageTooLarge):
            self.add_error("image", error.detail)
        elif isinstance(error, StorageUnavailable):
            self.add_error(
                None, gettext("The photo could not be stored just now, so nothing was kept. Try again soon.")
            )
        else:
            raise error

    def _not_granted_message(self, *, granted: Collection[str]) -> str:
        """Names, by title, the chosen purposes the subject does not grant now (a consent withdrawn in another tab)."""
        chosen = self.cleaned_data.get("purposes", [])
        titles = ", ".join(
            f"“{title}”" for slug, title in self.fields["purposes"].choices if slug in chosen and slug not in granted
        )
        if not titles:
            return ""
        return gettext("You do not grant %(titles)s now, so nothing was stored. Choose only granted purposes.") % {
            "titles": titles
        }


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

    def selector_filters(self) -> dict:
        """The filters as `upload_list_for_subject` takes them; a value that is not valid filters nothing."""
        wanted = self.cleaned_data if self.is_valid() else {}
        return {"source": wanted.get("source") or None, "purpose_slug": wanted.get("purpose") or None}
