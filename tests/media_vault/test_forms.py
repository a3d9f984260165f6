"""The upload form puts each refusal of `upload_ingest` next to the field it is about, in the page's words; the
filter form hands the list's filters to the selector."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from config.errors import DomainError
from consents.exceptions import ConsentRequired
from media_vault.exceptions import ImageTooLarge, InvalidImage, PurposesRequired, StorageUnavailable
from media_vault.forms import FaceUploadFilterForm, FaceUploadForm
from tests.consents.factories import PurposeFactory
from tests.media_vault.factories import jpeg_bytes

PURPOSES = [
    PurposeFactory.build(slug="avatar", title="Make my avatar"),
    PurposeFactory.build(slug="cameo", title="Let other people use my likeness"),
    PurposeFactory.build(slug="train", title="Train models"),
]


def _valid_form(*, chosen: list[str]) -> FaceUploadForm:
    image = SimpleUploadedFile("me.jpg", jpeg_bytes(), content_type="image/jpeg")
    form = FaceUploadForm({"purposes": chosen}, {"image": image}, purposes=PURPOSES)
    assert form.is_valid(), form.errors
    return form


def test_a_consent_refusal_names_by_title_in_page_order_each_chosen_purpose_not_granted_now():
    form = _valid_form(chosen=["train", "avatar", "cameo"])

    form.add_ingest_error(ConsentRequired("Consent has not been granted for: cameo, train."), granted={"avatar"})

    assert form.errors == {
        "purposes": [
            "You do not grant “Let other people use my likeness”, “Train models” now, so nothing was stored. "
            "Choose only granted purposes."
        ]
    }


def test_a_consent_refusal_for_purposes_granted_again_since_falls_back_to_the_services_words():
    form = _valid_form(chosen=["avatar"])

    form.add_ingest_error(ConsentRequired("Consent has not been granted for: avatar."), granted={"avatar"})

    assert form.errors == {"purposes": ["Consent has not been granted for: avatar."]}


def test_no_purpose_is_an_error_on_the_purposes():
    form = _valid_form(chosen=[])

    form.add_ingest_error(PurposesRequired(), granted=set())

    assert form.errors == {"purposes": ["Choose at least one purpose: nothing is kept without one."]}


@pytest.mark.parametrize(
    "error", [InvalidImage("This file is not a JPEG, PNG or WebP image."), ImageTooLarge("Too big.")]
)
def test_an_image_refusal_is_an_error_on_the_image(error):
    form = _valid_form(chosen=["avatar"])

    form.add_ingest_error(error, granted={"avatar"})

    assert form.errors == {"image": [error.detail]}


def test_a_storage_outage_is_an_error_on_the_whole_form():
    form = _valid_form(chosen=["avatar"])

    form.add_ingest_error(StorageUnavailable("connect timeout"), granted={"avatar"})

    assert form.non_field_errors() == ["The photo could not be stored just now, so nothing was kept. Try again soon."]
    assert "connect timeout" not in str(form.errors)


def test_a_refusal_the_page_does_not_show_is_raised_again():
    form = _valid_form(chosen=["avatar"])

    with pytest.raises(DomainError, match="something else"):
        form.add_ingest_error(DomainError("something else"), granted={"avatar"})


# --- The list's filters ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ({}, {"source": None, "purpose_slug": None}),
        ({"source": "", "purpose": ""}, {"source": None, "purpose_slug": None}),
        ({"source": "partner"}, {"source": "partner", "purpose_slug": None}),
        ({"source": "portal", "purpose": "cameo"}, {"source": "portal", "purpose_slug": "cameo"}),
        # a value the form does not know filters nothing at all, so the page shows everything
        ({"source": "elsewhere", "purpose": "cameo"}, {"source": None, "purpose_slug": None}),
        ({"purpose": "no-such-purpose"}, {"source": None, "purpose_slug": None}),
    ],
)
def test_the_filters_reach_the_selector_as_it_takes_them(query, filters):
    assert FaceUploadFilterForm(query, purposes=PURPOSES).selector_filters() == filters
