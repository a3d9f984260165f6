"""The bulk check's fast list field must accept, change and refuse exactly what DRF's own field does."""

import pytest
from rest_framework import serializers

from partners.api.views import ShortStringListField

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
