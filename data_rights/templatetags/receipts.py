"""`{% receipt_lines erasure.receipt as lines %}`: the receipt page and the receipt email word counts the same way."""

from django import template

from data_rights.receipt import receipt_lines as _receipt_lines

register = template.Library()


@register.simple_tag
def receipt_lines(receipt: dict | None, with_zeros: bool = False) -> list[str]:
    return _receipt_lines(receipt=receipt or {}, with_zeros=with_zeros)
