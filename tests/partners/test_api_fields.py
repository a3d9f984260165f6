"""The partner API's own fields: the bulk check's fast list field must accept, change and refuse exactly what
DRF's own field does; the event feed's digits field takes decimal digits and nothing else."""

import pytest
from rest_framework import serializers

from partners.api.views import DigitsField, ShortStringListField

CASES = [
    ["0f6a3c1e-1111-4a4a-9b9b-000000000001", "ABC"],
    ["x" * 64],
    ["x" * 65],
    [""],
    ["   "],
    [" padded "],
    ["tab\t"],
    ["nul\x00byte"],
    ["ünïcode"],
    ["\ud800"],
    [5, 6.5],
    [True],
    [None],
    [["nested"]],
    [{"a": 1}],
    ["fine", ""],
]


def _outcome(field):
    def run(data):
        try:
            return ("ok", field.run_validation(data))
        except serializers.ValidationError as error:
            return ("error", error.detail)

    return run


@pytest.mark.parametrize("data", CASES, ids=repr)
def test_the_fast_list_field_answers_exactly_like_drfs_list_field(data):
    fast = ShortStringListField(child=serializers.CharField(max_length=64), min_length=1, max_length=1000)
    drf = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=1000)

    assert _outcome(fast)(data) == _outcome(drf)(data)


def test_the_fast_list_field_keeps_the_list_length_limits():
    field = ShortStringListField(child=serializers.CharField(max_length=64), min_length=1, max_length=3)

    with pytest.raises(serializers.ValidationError):
        field.run_validation(["a", "b", "c", "d"])
    with pytest.raises(serializers.ValidationError):
        field.run_validation([])


@pytest.mark.parametrize(
    ("raw", "number"), [("0", 0), ("7", 7), ("007", 7), ("500", 500), ("١٢", 12), ("9" * 25, int("9" * 25))]
)
def test_the_digits_field_reads_decimal_digits(raw, number):
    assert DigitsField().run_validation(raw) == number


@pytest.mark.parametrize(
    "raw", ["", " ", " 1", "1 ", "1\n", "+1", "-1", "1.0", "1e3", "0x1", "1_0", "²", "abc", "9" * 5000, 7]
)
def test_the_digits_field_refuses_anything_else_that_int_or_integerfield_would_take(raw):
    field = DigitsField(error_messages={"invalid": "Not a number from this feed."})

    with pytest.raises(serializers.ValidationError) as refused:
        field.run_validation(raw)

    assert refused.value.detail == ["Not a number from this feed."]
